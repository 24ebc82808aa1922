/**
 * One interface over storage URLs (DESIGN.md rule 6). Keys are relative,
 * '/'-separated paths under the storage root; pipelines never branch on the backend.
 */
export interface StoredObject {
  key: string;
  size: number;
}

export interface PutOptions {
  contentType?: string;
  /** Small string metadata: S3 user metadata, a hidden sidecar file for folders. Keys lowercase. */
  metadata?: Record<string, string>;
}

export interface ObjectInfo {
  size: number;
  metadata: Record<string, string>;
}

export interface Storage {
  /** Canonical URL of the root, e.g. file:///data or s3://bucket/prefix. */
  readonly url: string;
  /** Writes the whole object atomically: readers see the old object or the new one, never part. */
  put(key: string, body: Buffer | string, options?: PutOptions): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  exists(key: string): Promise<boolean>;
  /** Size and metadata without the bytes, or undefined when there is no object. */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Objects whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<StoredObject[]>;
  delete(key: string): Promise<void>;
  /**
   * Deletes every object under the folder `prefix` (not empty, ending with '/') and what a
   * process that died mid-write left there; returns how many objects there were. For
   * scratch folders, which a crashed worker may leave temp files in.
   */
  deleteFolder(prefix: string): Promise<number>;
}

/** Rejects keys that could escape the root or mean different things on different backends. */
export function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new Error('storage key is empty');
  if (key.length > 1024) throw new Error(`storage key is longer than 1024 characters: '${key.slice(0, 60)}…'`);
  if (key.startsWith('/') || key.includes('\\') || key.includes('\0')) {
    throw new Error(`storage key '${key}' must be relative, use '/' and contain no NUL`);
  }
  const segments = key.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`storage key '${key}' has an empty, '.' or '..' segment`);
  }
  return key;
}

/** A folder prefix: not empty (never the whole root) and ending with '/'. */
export function checkFolderPrefix(prefix: string): string {
  if (!prefix.endsWith('/') || prefix === '/') throw new Error(`folder prefix '${prefix}' must name a folder: not empty, ending with '/'`);
  return checkPrefix(prefix);
}

/** Prefixes may be empty or end with '/'; otherwise they follow the key rules. */
export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  checkKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}
