/**
 * The reduce bench's photographs, 2-12 MP like the survey cameras' uploads to CVAT:
 *
 * - every photograph found (frames.ts `findPhotos`) whose own size is 2-12 MP, used
 *   as is (at most MAX_NATIVE of them): real encoders, real quality settings;
 * - the largest photographs resampled to camera sizes of 5, 8 and 12 MP, with sensor
 *   grain (sigma 2) and saved as JPEG quality 92 4:2:0, like camera output. The grain
 *   stands in for the detail an upscaled wallpaper lacks: without it a 12 MP file is
 *   about 1 MB, a third of a real camera's.
 *
 * Resampled files are cached by recipe version under the bench cache.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { mapWithConcurrency } from './concurrency';
import { findPhotos, photoDirs } from './frames';
import { writeFileAtomic } from './paths';
import { createRandom } from './prng';
import { encodeJpeg, withSensorNoise } from './raw-image';

/** Bump when the recipe changes, so caches regenerate. */
export const REDUCE_CORPUS_VERSION = 'reduce-photos-v1';
export const CAMERA_QUALITY = 92;
const GRAIN_SIGMA = 2;
const MIN_PIXELS = 2_000_000;
const MAX_PIXELS = 12_600_000;
const MAX_NATIVE = 12;
/** Camera sizes the resampled files take, and how many of each. */
const CAMERA_SIZES = [
  { width: 2592, height: 1944, count: 2 }, // 5 MP
  { width: 3264, height: 2448, count: 3 }, // 8 MP
  { width: 4000, height: 3000, count: 3 }, // 12 MP
];

export interface ReduceFile {
  id: string;
  /** 'native': a photograph at its own size; 'resampled': a photograph resampled to a camera size. */
  kind: 'native' | 'resampled';
  /** The photograph the file is, or was resampled from. */
  origin: string;
  path: string;
  width: number;
  height: number;
  bytes: number;
}

export interface ReduceCorpus {
  files: ReduceFile[];
  photosFound: number;
  photoDirs: string[];
}

/** The corpus, or an empty one when the machine has no photographs (the part is then skipped). */
export async function prepareReduceCorpus(cacheDir: string, concurrency: number): Promise<ReduceCorpus> {
  const dirs = photoDirs();
  const photos = await Promise.all(
    (await findPhotos(dirs)).map(async (file) => {
      const meta = await sharp(file).metadata();
      return { file, width: meta.autoOrient?.width ?? meta.width ?? 0, height: meta.autoOrient?.height ?? meta.height ?? 0 };
    }),
  );
  const found = { photosFound: photos.length, photoDirs: dirs.filter((d) => existsSync(d)) };
  if (photos.length === 0) return { files: [], ...found };

  const native = photos
    .filter((p) => p.width * p.height >= MIN_PIXELS && p.width * p.height <= MAX_PIXELS)
    .slice(0, MAX_NATIVE);
  const files: ReduceFile[] = [];
  for (const p of native) {
    files.push({ id: `native-${nameOf(p.file)}`, kind: 'native', origin: p.file, path: p.file, width: p.width, height: p.height, bytes: (await stat(p.file)).size });
  }

  const sources = [...photos].sort((a, b) => b.width * b.height - a.width * a.height || (a.file < b.file ? -1 : 1));
  const specs = CAMERA_SIZES.flatMap((size) => Array.from({ length: size.count }, () => size)).map((size, i) => {
    const origin = sources[i % sources.length].file;
    const id = `${size.width}x${size.height}-${nameOf(origin)}`;
    return { id, origin, ...size, path: path.join(cacheDir, REDUCE_CORPUS_VERSION, `${id}.jpg`) };
  });
  const resampled = await mapWithConcurrency(specs, concurrency, async (spec) => {
    if (!existsSync(spec.path)) await writeFileAtomic(spec.path, await cameraJpeg(spec.origin, spec.width, spec.height, spec.id));
    return { id: spec.id, kind: 'resampled' as const, origin: spec.origin, path: spec.path, width: spec.width, height: spec.height, bytes: (await stat(spec.path)).size };
  });
  return { files: [...files, ...resampled], ...found };
}

/** The photograph cropped to the camera's aspect ratio, resampled, with seeded sensor grain, as JPEG q92 4:2:0. */
async function cameraJpeg(origin: string, width: number, height: number, seed: string): Promise<Buffer> {
  const { data, info } = await sharp(origin).rotate().resize(width, height, { fit: 'cover' }).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const grainy = withSensorNoise({ data, width: info.width, height: info.height }, GRAIN_SIGMA, createRandom(seed));
  return encodeJpeg(grainy, CAMERA_QUALITY);
}

/** The photograph's name plus a digest of its path: another photo folder never reuses a cached file. */
function nameOf(file: string): string {
  return `${path.basename(file, path.extname(file))}-${createHash('sha1').update(file).digest('hex').slice(0, 8)}`;
}

export function megapixels(f: Pick<ReduceFile, 'width' | 'height'>): number {
  return (f.width * f.height) / 1e6;
}
