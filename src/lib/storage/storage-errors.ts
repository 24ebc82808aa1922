/**
 * Storage faults that retrying cannot fix: a missing bucket, refused credentials, a
 * read-only or unwritable folder. Everything else (network, 5xx, throttling) may pass.
 */
const PERMANENT_S3 = new Set([
  'NoSuchBucket',
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AllAccessDisabled',
  'InvalidBucketName',
  'PermanentRedirect',
]);
const PERMANENT_FS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR']);

export function isPermanentStorageError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, code } = err as { name?: string; code?: string };
  return (name !== undefined && PERMANENT_S3.has(name)) || (code !== undefined && PERMANENT_FS.has(code));
}
