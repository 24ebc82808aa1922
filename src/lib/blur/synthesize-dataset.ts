/**
 * A folder of sharp photos -> a labelled blur dataset:
 *
 *   sharp/<scene>_synth<k>_S.jpg   defocused_blurred/<scene>_synth<k>_F.jpg
 *   motion_blurred/<scene>_synth<k>_M.jpg   synth.json (every image's parameters)
 *
 * Variants of one photo share its scene id, so a scene-disjoint split keeps them on
 * one side. Each image carries a fingerprint of its parameters (storage metadata): a
 * rerun, or a run resumed after a crash, skips images that are already right. Each
 * photo's visible-blur share is kept in synth.json by the photo's content hash, so a
 * rerun decodes no photo whose images are all current.
 */
import { createHash } from 'node:crypto';
import { Storage } from '../storage/storage';
import { BLUR_CLASSES, BlurClass, CLASS_FOLDERS, CLASS_LETTER } from './blur-classes';
import { secondMoments } from './blur-kernel';
import { MIN_VISIBLE_SHARE, visibleBlurShare } from './blur-visibility';
import { seededRandom } from './seeded-random';
import {
  DEFOCUS_RADIUS_RANGE,
  drawSceneParams,
  MOTION_LENGTH_RANGE,
  photoSize,
  readCrop,
  REFERENCE_SIZE,
  SceneParams,
  sceneKernels,
  synthesizeScene,
} from './synthesize-scene';

/** Bump when the same parameters would give different pixels: old outputs are then redone. */
export const GENERATOR = 'visionflow-blur-synth/1';
export const MANIFEST_NAME = 'synth.json';
const FINGERPRINT_KEY = 'synth-fingerprint';
const PHOTO_EXTENSIONS = /\.(jpe?g|png|webp)$/i;

export interface SynthesizeDatasetOptions {
  from: Storage;
  /** Photos are every .jpg/.jpeg/.png/.webp under this prefix, at any depth. */
  fromPrefix?: string;
  to: Storage;
  toPrefix?: string;
  seed?: number;
  /** Crops per photo (default 1). */
  variants?: number;
  /** Working long side in px (default 1024). */
  size?: number;
  signal?: AbortSignal;
  onProgress?: (progress: SynthesizeProgress) => void;
}

export interface SynthesizeProgress {
  /** Crops done out of photos * variants. */
  done: number;
  total: number;
  written: number;
  skipped: number;
  source: string;
}

export interface SynthesizeDatasetResult {
  /** Photos used (unreadable ones not counted). */
  photos: number;
  variants: number;
  /** Images in the dataset (3 per crop). */
  images: number;
  written: number;
  skipped: number;
  /** Photos that could not be decoded, with sharp's reason; the others still complete. */
  unreadable: { source: string; reason: string }[];
  /** Photos left out because blur would not show on them (blur-visibility.ts), with the share of tiles where it would. */
  featureless: { source: string; visibleShare: number }[];
  manifest: string;
}

/** The input folder holds no photo: bad input, not a failure. */
export class NoPhotosError extends Error {}

export interface SynthImageRecord {
  key: string;
  class: BlurClass;
  scene: string;
  device: string;
  source: string;
  crop: SceneParams['crop'];
  width: number;
  height: number;
  blur: { kind: 'none' } | { kind: 'disk'; radius: number } | { kind: 'shake'; length: number; anisotropy: number; seed: number };
  noise: { a: number; b: number; sigmaMidGrey: number; seed: number };
  jpegQuality: number;
}

export async function synthesizeDataset(options: SynthesizeDatasetOptions): Promise<SynthesizeDatasetResult> {
  const seed = options.seed ?? 1;
  const variants = options.variants ?? 1;
  const size = options.size ?? REFERENCE_SIZE;
  checkWhole('seed', seed, 0);
  checkWhole('variants', variants, 1);
  checkWhole('size', size, 16);
  const fromPrefix = folderPrefix(options.fromPrefix);
  const toPrefix = folderPrefix(options.toPrefix);
  // The input folder's own name, for a KDE wallpaper package given as the input itself.
  const root = decodeURIComponent(location(options.from, fromPrefix).replace(/\/+$/, '').replace(/^.*\//, ''));
  const sources = await listPhotos(options.from, fromPrefix, outputPrefixes(options, fromPrefix, toPrefix), root);
  if (sources.length === 0) throw new NoPhotosError(`no photos (.jpg, .jpeg, .png, .webp) found in ${location(options.from, fromPrefix)}`);
  const ids = sceneIds(sources.map((s) => s.slice(fromPrefix.length)), root);

  const manifestKey = `${toPrefix}${MANIFEST_NAME}`;
  const previousManifest = (await options.to.get(manifestKey))?.toString('utf8');
  const knownShares = previousVisibleShares(previousManifest);
  const visibility: PhotoVisibility[] = [];
  const records: SynthImageRecord[] = [];
  const unreadable: SynthesizeDatasetResult['unreadable'] = [];
  const featureless: SynthesizeDatasetResult['featureless'] = [];
  const counts = { written: 0, skipped: 0 };
  let done = 0;
  const total = sources.length * variants;
  for (const [index, source] of sources.entries()) {
    options.signal?.throwIfAborted();
    const relative = source.slice(fromPrefix.length);
    const photo = await options.from.get(source);
    if (!photo) throw new Error(`${location(options.from, source)} disappeared while reading the photos`);
    const sourceHash = createHash('sha256').update(photo).digest('hex');
    try {
      const upright = await photoSize(photo).catch((err: Error) => {
        throw new UnreadablePhoto(err.message);
      });
      const visibleShare = knownShares.get(sourceHash) ?? round(await photoVisibleShare(photo, upright));
      visibility.push({ source: relative, sha256: sourceHash, visibleShare });
      if (visibleShare < MIN_VISIBLE_SHARE) {
        featureless.push({ source: relative, visibleShare });
        // Images an earlier run (or generator) wrote for it would carry wrong labels.
        for (let k = 1; k <= variants; k++) {
          for (const c of BLUR_CLASSES) await options.to.delete(toPrefix + imageKey(c, ids[index], `synth${k}`));
        }
        done = (index + 1) * variants;
        options.onProgress?.({ done, total, ...counts, source: relative });
        continue;
      }
      for (let k = 1; k <= variants; k++) {
        options.signal?.throwIfAborted();
        // One stream per (seed, photo, variant): adding photos or variants leaves the others unchanged.
        const params = drawSceneParams(seededRandom(`${seed}/${relative}/${k}`), upright, size);
        const planned = BLUR_CLASSES.map((c) => {
          const record = imageRecord(c, ids[index], `synth${k}`, relative, params);
          const fingerprint = createHash('sha256').update(JSON.stringify([GENERATOR, sourceHash, c, record.key, params])).digest('hex').slice(0, 32);
          return { record, key: toPrefix + record.key, fingerprint };
        });
        await writeVariant(options, photo, params, planned, counts);
        records.push(...planned.map((p) => p.record));
        done++;
        options.onProgress?.({ done, total, ...counts, source: relative });
      }
    } catch (err) {
      if (!(err instanceof UnreadablePhoto)) throw err;
      unreadable.push({ source: relative, reason: err.message });
      done = (index + 1) * variants;
      options.onProgress?.({ done, total, ...counts, source: relative });
    }
  }

  records.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const manifest = {
    generator: GENERATOR,
    seed,
    size,
    variants,
    strengthsAt1024px: { defocusRadius: DEFOCUS_RADIUS_RANGE, motionLength: MOTION_LENGTH_RANGE },
    photos: sources.length - unreadable.length - featureless.length,
    minVisibleBlurShare: MIN_VISIBLE_SHARE,
    unreadable,
    featureless,
  };
  const body = `${JSON.stringify(manifest, null, 2).slice(0, -2)},\n${oneLineEach('visibility', visibility)},\n${oneLineEach('images', records)}\n}\n`;
  // Rewrite only on change, so an idempotent rerun leaves every object untouched.
  if (previousManifest !== body) {
    await options.to.put(manifestKey, body, { contentType: 'application/json' });
  }
  return { photos: manifest.photos, variants, images: records.length, ...counts, unreadable, featureless, manifest: manifestKey };
}

/** A photo's visible-blur share, by the SHA-256 of its bytes (renames and moves keep it). */
interface PhotoVisibility {
  source: string;
  sha256: string;
  visibleShare: number;
}

/**
 * The visible-blur shares an earlier run of this generator recorded, by photo hash; none
 * when there is no readable manifest or another generator wrote it (the share is part
 * of what GENERATOR versions).
 */
function previousVisibleShares(body: string | undefined): Map<string, number> {
  const shares = new Map<string, number>();
  if (!body) return shares;
  let manifest: { generator?: unknown; visibility?: unknown };
  try {
    manifest = JSON.parse(body);
  } catch {
    return shares;
  }
  if (manifest.generator !== GENERATOR || !Array.isArray(manifest.visibility)) return shares;
  for (const v of manifest.visibility as Partial<PhotoVisibility>[]) {
    if (typeof v?.sha256 === 'string' && typeof v.visibleShare === 'number' && Number.isFinite(v.visibleShare)) shares.set(v.sha256, v.visibleShare);
  }
  return shares;
}

/** A manifest array written one entry per line: thousands of records stay readable and grep-able. */
function oneLineEach(name: string, entries: object[]): string {
  const lines = entries.map((e) => `    ${JSON.stringify(e)}`).join(',\n');
  return `  ${JSON.stringify(name)}: [${lines ? `\n${lines}\n  ` : ''}]`;
}

/** sharp could not read the photo: reported, and the other photos go on. */
class UnreadablePhoto extends Error {}

interface PlannedImage {
  record: SynthImageRecord;
  key: string;
  fingerprint: string;
}

/** Writes the classes of one crop whose stored fingerprint differs; decodes nothing when all match. */
async function writeVariant(
  options: SynthesizeDatasetOptions,
  photo: Buffer,
  params: SceneParams,
  planned: PlannedImage[],
  counts: { written: number; skipped: number },
): Promise<void> {
  const current = await Promise.all(planned.map(async (p) => (await options.to.head(p.key))?.metadata[FINGERPRINT_KEY] === p.fingerprint));
  const stale = planned.filter((_, i) => !current[i]);
  counts.skipped += planned.length - stale.length;
  if (stale.length === 0) return;
  let crop;
  try {
    crop = await readCrop(photo, params);
  } catch (err) {
    throw new UnreadablePhoto((err as Error).message);
  }
  const scene = await synthesizeScene(crop, params);
  for (const p of stale) {
    options.signal?.throwIfAborted();
    await options.to.put(p.key, scene.jpeg[p.record.class], { contentType: 'image/jpeg', metadata: { [FINGERPRINT_KEY]: p.fingerprint } });
    counts.written++;
  }
}

function imageKey(c: BlurClass, scene: string, device: string): string {
  return `${CLASS_FOLDERS[c][0]}/${scene}_${device}_${CLASS_LETTER[c]}.jpg`;
}

/**
 * visibleBlurShare of the whole photo at the reference size (where the blur strengths are
 * defined), with the weakest defocus: a property of the photo, whatever size is asked.
 */
async function photoVisibleShare(photo: Buffer, upright: { width: number; height: number }): Promise<number> {
  const long = Math.max(upright.width, upright.height);
  const working = Math.min(REFERENCE_SIZE, long);
  const width = Math.max(1, Math.round((upright.width * working) / long));
  const height = Math.max(1, Math.round((upright.height * working) / long));
  let pixels;
  try {
    pixels = await readCrop(photo, { crop: { left: 0, top: 0, ...upright }, width, height });
  } catch (err) {
    throw new UnreadablePhoto((err as Error).message);
  }
  return visibleBlurShare(pixels, (DEFOCUS_RADIUS_RANGE[0] * working) / REFERENCE_SIZE);
}

function imageRecord(c: BlurClass, scene: string, device: string, source: string, params: SceneParams): SynthImageRecord {
  const { noise, quality } = params.finish[c];
  let blur: SynthImageRecord['blur'] = { kind: 'none' };
  if (c === 'defocused') blur = { kind: 'disk', radius: round(params.defocusRadius) };
  if (c === 'motion') {
    const anisotropy = secondMoments(sceneKernels(params).motion).anisotropy;
    blur = { kind: 'shake', length: round(params.motionLength), anisotropy: round(anisotropy), seed: params.shakeSeed };
  }
  return {
    key: imageKey(c, scene, device),
    class: c,
    scene,
    device,
    source,
    crop: params.crop,
    width: params.width,
    height: params.height,
    blur,
    noise: { a: round(noise.a), b: round(noise.b), sigmaMidGrey: round(noise.sigmaMidGrey), seed: noise.seed },
    jpegQuality: quality,
  };
}

/**
 * A KDE wallpaper package holds one scene in many sizes, `<Name>/contents/images/<W>x<H>.jpg`,
 * plus `contents/images_dark/…` and `contents/screenshot.*`. `root` names the package
 * when the input folder is the package itself.
 */
const KDE_FILE = /^(?:(.*)\/)?contents\/(?:(images|images_dark)\/(\d+)x(\d+)|screenshot)\.[a-z0-9]+$/i;

function kdeFile(relativeKey: string, root: string): { dir: string; name: string; largeImage: number | undefined } | undefined {
  const m = KDE_FILE.exec(relativeKey);
  if (!m) return undefined;
  const dir = m[1] ?? '';
  const name = dir ? dir.slice(dir.lastIndexOf('/') + 1) : root;
  // Only `images/` counts; the dark variant and the screenshot repeat the scene.
  return { dir, name, largeImage: m[2]?.toLowerCase() === 'images' ? Number(m[3]) * Number(m[4]) : undefined };
}

/** Photos under the prefix, sorted by key; of a KDE wallpaper package only its largest image. */
async function listPhotos(storage: Storage, prefix: string, exclude: string[], root: string): Promise<string[]> {
  const keys = (await storage.list(prefix)).map((o) => o.key).filter((k) => PHOTO_EXTENSIONS.test(k) && !exclude.some((e) => k.startsWith(e)));
  const largest = new Map<string, { key: string; pixels: number }>();
  const plain: string[] = [];
  for (const key of keys) {
    const kde = kdeFile(key.slice(prefix.length), root);
    if (!kde) plain.push(key);
    else if (kde.largeImage !== undefined && kde.largeImage > (largest.get(kde.dir)?.pixels ?? -1)) largest.set(kde.dir, { key, pixels: kde.largeImage });
  }
  return [...plain, ...[...largest.values()].map((b) => b.key)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Scene ids: a slug of the file name without underscores (they separate the fields
 * of `<scene>_<device>_<type>.jpg`), or the package name for KDE wallpapers; twins get
 * -2, -3, ... in key order.
 */
export function sceneIds(relativeKeys: readonly string[], root = 'photo'): string[] {
  const base = relativeKeys.map((key) => slug(kdeFile(key, root)?.name ?? key.slice(key.lastIndexOf('/') + 1).replace(/\.[^.]*$/, '')));
  const counts = new Map<string, number>();
  for (const b of base) counts.set(b, (counts.get(b) ?? 0) + 1);
  const taken = new Set(base);
  const next = new Map<string, number>();
  return base.map((b) => {
    if (counts.get(b) === 1) return b;
    // The first twin keeps the plain id; later ones take the next free suffix.
    if (!next.has(b)) {
      next.set(b, 2);
      return b;
    }
    let n = next.get(b)!;
    while (taken.has(`${b}-${n}`)) n++;
    next.set(b, n + 1);
    taken.add(`${b}-${n}`);
    return `${b}-${n}`;
  });
}

export function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s || 'photo';
}

/** Where outputs would be listed as photos (output folder at or inside the input folder): skip them. */
function outputPrefixes(options: SynthesizeDatasetOptions, fromPrefix: string, toPrefix: string): string[] {
  const outputRoot = `${options.to.url}/${toPrefix}`.replace(/\/+$/, '');
  const inputRoot = `${options.from.url}/${fromPrefix}`.replace(/\/+$/, '');
  if (outputRoot === inputRoot) return BLUR_CLASSES.map((c) => `${fromPrefix}${CLASS_FOLDERS[c][0]}/`);
  if (!outputRoot.startsWith(`${inputRoot}/`)) return [];
  return [`${fromPrefix}${outputRoot.slice(inputRoot.length + 1)}/`];
}

function folderPrefix(prefix: string | undefined): string {
  if (!prefix) return '';
  return prefix.endsWith('/') ? prefix : `${prefix}/`;
}

function location(storage: Storage, key: string): string {
  return key ? `${storage.url}/${key}` : storage.url;
}

function checkWhole(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
}

function round(v: number): number {
  return Number(v.toPrecision(6));
}
