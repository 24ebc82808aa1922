/**
 * What a program like ffmpeg can open for a storage or web URL: a local path for
 * file://, the URL itself for http(s), and a presigned GET URL (ranged reads, so
 * segment workers seek without downloading the whole object) for s3://.
 */
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

export async function readableUrl(url: string, s3: () => S3Client, expiresInS = 6 * 3600): Promise<string> {
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (/^https?:\/\//i.test(url)) return url;
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m) throw new Error(`'${url}' is not a file://, http(s):// or s3://bucket/key URL`);
  return getSignedUrl(s3(), new GetObjectCommand({ Bucket: m[1], Key: m[2] }), { expiresIn: expiresInS });
}

/** The name of a video for folders and reports: its file name without extension. */
export function mediaName(url: string): string {
  const last = decodeURIComponent(url.split('?')[0].split('/').filter(Boolean).pop() ?? 'video');
  const stem = last.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  return stem.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '') || 'video';
}
