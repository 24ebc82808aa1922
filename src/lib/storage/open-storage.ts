import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import { normalizeStorageUrl, S3Settings } from '../../config';
import { FileStorage } from './file-storage';
import { createS3Client, S3Storage } from './s3-storage';
import { Storage } from './storage';

export type StorageOpener = (url: string) => Storage;

/**
 * Returns a function that opens any storage URL. One S3 client is shared by every
 * s3:// URL so connections are pooled.
 */
export function createStorageOpener(s3: S3Settings): StorageOpener {
  let client: S3Client | undefined;
  return (url: string): Storage => {
    const canonical = normalizeStorageUrl(url);
    if (canonical.startsWith('s3://')) {
      const rest = canonical.slice('s3://'.length);
      const slash = rest.indexOf('/');
      const bucket = slash < 0 ? rest : rest.slice(0, slash);
      const prefix = slash < 0 ? '' : rest.slice(slash + 1);
      client ??= createS3Client(s3);
      return new S3Storage(client, bucket, prefix);
    }
    return new FileStorage(fileURLToPath(canonical));
  };
}
