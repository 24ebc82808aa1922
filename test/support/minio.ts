/**
 * A real MinIO server on a free loopback port, with a fresh data folder and one bucket.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { findBinary } from './find-binary';
import { freePort } from './free-port';

export interface MinioServer {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  stop(): Promise<void>;
}

export async function startMinio(): Promise<MinioServer | { missing: string }> {
  const binary = findBinary('minio', 'MINIO_PATH');
  if (!binary) return { missing: 'no minio binary (MINIO_PATH, PATH, $(go env GOPATH)/bin); install with `go install github.com/minio/minio@latest`' };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-minio-'));
  const port = await freePort();
  const consolePort = await freePort();
  const accessKey = 'visionflow-test';
  const secretKey = 'visionflow-test-secret';
  const child: ChildProcess = spawn(binary, ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'], {
    env: { ...process.env, MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: 'off' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`minio exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${endpoint}/minio/health/live`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`minio did not start within 60 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const bucket = 'visionflow-test';
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: accessKey, secretAccessKey: secretKey } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  return {
    endpoint,
    bucket,
    accessKey,
    secretKey,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
