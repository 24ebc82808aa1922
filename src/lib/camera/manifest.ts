import { Storage } from '../storage/storage';
import { manifestKey } from './capture-keys';

export interface ManifestLine {
  /** Planned tick in UTC (the name of the file). */
  tick: string;
  fetchedAt: string;
  key: string;
  bytes: number;
  sha256: string;
  hash: string;
  hashKind: string;
  /** Hamming distance to the nearest recent kept image; null for the first. */
  distance: number | null;
  width: number;
  height: number;
  format: string;
  contentType: string | null;
  url: string;
  lastModified: string | null;
  etag: string | null;
}

/**
 * Adds a line for `line.key` unless the manifest already has one, so a retried tick
 * never writes it twice. The whole manifest is rewritten with one atomic put because
 * S3 has no append; a camera keeping an image a minute for a week stays near 3 MB.
 */
export async function appendManifestLine(storage: Storage, cameraId: string, line: ManifestLine): Promise<void> {
  const key = manifestKey(cameraId);
  const current = (await storage.get(key))?.toString('utf8') ?? '';
  if (readManifest(current).some((l) => l.key === line.key)) return;
  const prefix = current === '' || current.endsWith('\n') ? current : `${current}\n`;
  await storage.put(key, `${prefix}${JSON.stringify(line)}\n`, { contentType: 'application/x-ndjson' });
}

export function readManifest(text: string): ManifestLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ManifestLine);
}
