import { ApplicationFailure } from '@temporalio/activity';
import { isPermanentStorageError } from '../lib/storage/storage-errors';

/**
 * A storage fault that retrying cannot fix (missing bucket, refused credentials,
 * read-only folder) as a non-retryable `StorageUnavailable` failure naming the storage;
 * undefined for anything else.
 */
export function storageFailure(err: unknown, storageUrl: string): ApplicationFailure | undefined {
  if (!isPermanentStorageError(err)) return undefined;
  const { name, message } = err as Error;
  return ApplicationFailure.nonRetryable(`destination ${storageUrl} cannot be written: ${name}: ${message}`, 'StorageUnavailable');
}
