/**
 * Reads what a capture stored, straight from the folder or from S3 with the AWS SDK,
 * so assertions do not go through the code under test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

/** A client for the test MinIO (global setup), independent of the code under test. */
export function testS3Client(): S3Client {
  return new S3Client({
    endpoint: process.env.VF_TEST_S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: process.env.VF_TEST_S3_ACCESS_KEY!, secretAccessKey: process.env.VF_TEST_S3_SECRET_KEY! },
  });
}

/** An object's bytes from the test MinIO, or undefined. */
export async function readS3Object(s3: S3Client, bucket: string, key: string): Promise<Buffer | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  } catch {
    return undefined;
  }
}

export async function readStored(destination: string, prefix: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (destination.startsWith('file://')) {
    const root = fileURLToPath(destination);
    const walk = (rel: string) => {
      const dir = path.join(root, rel);
      if (!fs.existsSync(dir)) return;
      for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (entry.name === '.visionflow-meta') continue; // object metadata, not objects
        if (entry.isDirectory()) walk(`${rel}/${entry.name}`);
        else out.set(`${rel}/${entry.name}`, fs.readFileSync(path.join(dir, entry.name)));
      }
    };
    walk(prefix);
    return out;
  }
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(destination)!;
  const [bucket, base] = [m[1], m[2]];
  const s3 = testS3Client();
  const full = base ? `${base}/${prefix}/` : `${prefix}/`;
  const contents = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: full, ContinuationToken: token }));
    contents.push(...(page.Contents ?? []));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  for (const obj of contents) {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: obj.Key! }));
    out.set(`${prefix}/${obj.Key!.slice(full.length)}`, Buffer.from(await res.Body!.transformToByteArray()));
  }
  s3.destroy();
  return out;
}
