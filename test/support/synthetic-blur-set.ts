/**
 * A small labelled blur dataset for integration tests: real photos from the Debian
 * wallpaper packages through our own synthetic blur generator, at a small size so
 * feature extraction and training take seconds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { synthesizeDataset } from '../../src/lib/blur/synthesize-dataset';
import { FileStorage } from '../../src/lib/storage/file-storage';
import { tempDir } from './harness';
import { testPhotos } from './photos';

export async function syntheticBlurSet(label: string, photos: number, size = 384, variants = 1): Promise<string> {
  const src = tempDir(`${label}-photos`);
  for (const [i, p] of testPhotos(photos).entries()) fs.copyFileSync(p, path.join(src, `photo${i}-${path.basename(p)}`));
  const dir = tempDir(`${label}-dataset`);
  await synthesizeDataset({ from: new FileStorage(src), to: new FileStorage(dir), seed: 3, variants, size });
  return dir;
}
