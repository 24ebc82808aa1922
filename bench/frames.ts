/**
 * The bench's camera frames: 1920x1080 JPEG at quality 85, like a city traffic camera
 * (the Grand Lyon cameras serve about that). Real photographs are used when the machine
 * has some (desktop wallpaper packages such as mate-backgrounds); the rest are synthetic
 * street scenes rendered from SVG. Each frame keeps a lossless master (PNG) so the
 * dedupe bench can derive variants from the clean pixels rather than from a JPEG.
 * Everything is cached by generator version and is the same on every run.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { hammingDistance } from '../src/lib/hash/hamming';
import { perceptualHash } from '../src/lib/hash/perceptual-hash';
import { mapWithConcurrency } from './concurrency';
import { writeFileAtomic } from './paths';
import { seedFromString } from './prng';
import { decodeRaw, encodeJpeg, encodePng, RawImage } from './raw-image';
import { streetSceneSvg } from './street-scene';

export const FRAME_WIDTH = 1920;
export const FRAME_HEIGHT = 1080;
export const FRAME_QUALITY = 85;
/** Bump when the scene generator or the frame recipe changes, so caches regenerate. */
export const FRAMES_VERSION = 'frames-v3';

const DEFAULT_PHOTO_DIRS = ['/usr/share/backgrounds', '/usr/share/wallpapers'];

/**
 * Folders searched for photographs: VISIONFLOW_BENCH_PHOTO_DIRS (':'-separated; empty
 * for none, e.g. to bench synthetic frames only, or a folder of real camera captures),
 * else the desktop wallpaper folders.
 */
export function photoDirs(): string[] {
  const env = process.env.VISIONFLOW_BENCH_PHOTO_DIRS;
  if (env === undefined) return DEFAULT_PHOTO_DIRS;
  return env.split(':').filter((d) => d !== '');
}

export type FrameSource = 'photo' | 'synthetic';

export interface Frame {
  id: string;
  source: FrameSource;
  /** The wallpaper file a photo frame was cut from, or the scene seed of a synthetic one. */
  origin: string;
  /** Lossless 1920x1080 master (PNG). */
  masterPath: string;
  /** The camera frame: the master as JPEG quality 85. */
  path: string;
  bytes: number;
}

export interface FrameSet {
  frames: Frame[];
  photosFound: number;
  photoDirs: string[];
}

/**
 * `count` frames: up to half are real photographs (when found), the rest synthetic
 * street scenes. Generates only what the cache lacks.
 */
export async function prepareFrames(count: number, cacheDir: string, concurrency: number): Promise<FrameSet> {
  const dirs = photoDirs();
  const photos = await findPhotos(dirs);
  const usedPhotos = photos.slice(0, Math.floor(count / 2));
  const dir = path.join(cacheDir, FRAMES_VERSION);
  const specs: { id: string; source: FrameSource; origin: string }[] = [
    ...usedPhotos.map((p) => ({ id: photoId(p), source: 'photo' as const, origin: p })),
    ...Array.from({ length: count - usedPhotos.length }, (_, i) => ({ id: `street-${i}`, source: 'synthetic' as const, origin: `street-${i}` })),
  ];
  const frames = await mapWithConcurrency(specs, concurrency, async (spec) => {
    const masterPath = path.join(dir, 'masters', `${spec.id}.png`);
    const framePath = path.join(dir, 'frames', `${spec.id}.jpg`);
    if (!existsSync(masterPath)) {
      const master = spec.source === 'photo' ? await photoMaster(spec.origin) : await streetMaster(spec.origin);
      await writeFileAtomic(masterPath, await encodePng(master));
    }
    if (!existsSync(framePath)) {
      await writeFileAtomic(framePath, await encodeJpeg(await decodeRaw(masterPath), FRAME_QUALITY));
    }
    return { ...spec, masterPath, path: framePath, bytes: (await stat(framePath)).size };
  });
  return { frames, photosFound: photos.length, photoDirs: dirs.filter((d) => existsSync(d)) };
}

/**
 * Photographs among the wallpapers: JPEG files of at least 1280x720 whose greyscale
 * entropy is at least 5 bits (drops logos and flat graphics), one per picture when a
 * package ships the same picture at several sizes. Sorted by path.
 */
export async function findPhotos(dirs: readonly string[]): Promise<string[]> {
  const candidates: string[] = [];
  for (const dir of dirs) candidates.push(...(await listFiles(dir)).filter((f) => /\.jpe?g$/i.test(f)));
  candidates.sort();
  const kept: { file: string; hash: string }[] = [];
  for (const file of candidates) {
    try {
      const meta = await sharp(file).metadata();
      if ((meta.width ?? 0) < 1280 || (meta.height ?? 0) < 720) continue;
      const { entropy } = await sharp(file).greyscale().resize(256, 144, { fit: 'fill' }).stats();
      if (entropy < 5) continue;
      const { hash } = await perceptualHash(await readFile(file), 'phash');
      if (kept.some((k) => hammingDistance(k.hash, hash) <= 8)) continue;
      kept.push({ file, hash });
    } catch {
      // unreadable or not really a JPEG: not a usable photograph
    }
  }
  return kept.map((k) => k.file);
}

async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

async function photoMaster(file: string): Promise<RawImage> {
  const png = await sharp(file).rotate().resize(FRAME_WIDTH, FRAME_HEIGHT, { fit: 'cover' }).png().toBuffer();
  return decodeRaw(png);
}

async function streetMaster(seed: string): Promise<RawImage> {
  // a touch of optical blur: a rendered SVG is sharper than any camera lens
  const png = await sharp(Buffer.from(streetSceneSvg(seed, FRAME_WIDTH, FRAME_HEIGHT))).blur(0.6).png().toBuffer();
  return decodeRaw(png);
}

/** Readable and unique per path, so another photo folder never reuses a cached frame. */
function photoId(file: string): string {
  const tag = seedFromString(file).toString(16).padStart(8, '0').slice(0, 6);
  return `photo-${slug(path.basename(file, path.extname(file)))}-${tag}`;
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
