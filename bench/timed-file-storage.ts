import { FileStorage } from '../src/lib/storage/file-storage';
import { ObjectInfo, PutOptions } from '../src/lib/storage/storage';

/** FileStorage that adds up the time spent in head and put. */
export class TimedFileStorage extends FileStorage {
  headMs = 0;
  putMs = 0;

  override async head(key: string): Promise<ObjectInfo | undefined> {
    const start = performance.now();
    try {
      return await super.head(key);
    } finally {
      this.headMs += performance.now() - start;
    }
  }

  override async put(key: string, body: Buffer | string, options?: PutOptions): Promise<void> {
    const start = performance.now();
    try {
      await super.put(key, body, options);
    } finally {
      this.putMs += performance.now() - start;
    }
  }
}
