/**
 * A labelled camera sequence for the dedupe bench. Each base frame is paired with
 * captures of the same scene (re-encoded, sensor noise, exposure drift: a capture
 * should drop them) and captures where something changed (a car or a bus drove in,
 * or the camera shows another scene: a capture must keep them).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { mapWithConcurrency } from './concurrency';
import { Frame, FRAME_QUALITY, FRAMES_VERSION } from './frames';
import { writeFileAtomic } from './paths';
import { createRandom, Random, seedFromString } from './prng';
import { decodeRaw, encodeJpeg, Overlay, RawImage, withBrightness, withOverlays, withSensorNoise, withShift } from './raw-image';
import { vehicleOverlay, VehicleKind } from './vehicle';

export type PairLabel = 'same' | 'changed';

export interface VariantSpec {
  name: string;
  label: PairLabel;
  /** Kind of difference, for per-kind breakdowns: 're-encode', 'noise', 'car', ... */
  group: string;
  quality: number;
  /** Re-encode the base JPEG itself (a recompressed copy) instead of a new capture. */
  reencode?: boolean;
  /** Exposure factor, 1.05 = 5 % brighter. */
  brightness?: number;
  /** Gaussian sensor noise, standard deviation in 0-255 units. */
  noise?: number;
  vehicles?: { kind: VehicleKind; area: number }[];
  /** Camera sway: shift the picture by this many pixels right and half as many down. */
  shift?: number;
  /** A soft cloud shadow darkening about a fifth of the frame by this fraction. */
  shadow?: number;
  /** Use the n-th next base of the same source (another scene) instead of this one. */
  otherScene?: number;
  /**
   * Harsher than the brief's same-scene set (night-like noise, a cloud passing): reported
   * per group to show how much margin a threshold has, left out of precision and recall.
   */
  stress?: true;
}

/** Every new capture also carries fresh sensor noise; sigma 2 is a clean daylight camera. */
const CAPTURE_NOISE = 2;

export const VARIANTS: readonly VariantSpec[] = [
  { name: 'jpeg q60', label: 'same', group: 're-encode', quality: 60, reencode: true },
  { name: 'jpeg q75', label: 'same', group: 're-encode', quality: 75, reencode: true },
  { name: 'jpeg q95', label: 'same', group: 're-encode', quality: 95, reencode: true },
  { name: 'noise s2', label: 'same', group: 'noise', quality: FRAME_QUALITY, noise: 2 },
  { name: 'noise s3', label: 'same', group: 'noise', quality: FRAME_QUALITY, noise: 3 },
  { name: 'noise s4', label: 'same', group: 'noise', quality: FRAME_QUALITY, noise: 4 },
  { name: 'brightness +3%', label: 'same', group: 'brightness', quality: FRAME_QUALITY, brightness: 1.03 },
  { name: 'brightness -4%', label: 'same', group: 'brightness', quality: FRAME_QUALITY, brightness: 0.96 },
  { name: 'brightness +6%', label: 'same', group: 'brightness', quality: FRAME_QUALITY, brightness: 1.06 },
  { name: 'brightness -6%', label: 'same', group: 'brightness', quality: FRAME_QUALITY, brightness: 0.94 },
  { name: 'noise s2, +5%, q70', label: 'same', group: 'combined', quality: 70, noise: 2, brightness: 1.05 },
  { name: 'noise s3, -3%, q90', label: 'same', group: 'combined', quality: 90, noise: 3, brightness: 0.97 },
  { name: 'noise s4, -6%, q60', label: 'same', group: 'combined', quality: 60, noise: 4, brightness: 0.94 },
  { name: 'stress: noise s8, q50', label: 'same', group: 'stress: noise/exposure', quality: 50, noise: 8, stress: true },
  { name: 'stress: brightness +12%', label: 'same', group: 'stress: noise/exposure', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, brightness: 1.12, stress: true },
  { name: 'stress: noise s6, -12%, q60', label: 'same', group: 'stress: noise/exposure', quality: 60, noise: 6, brightness: 0.88, stress: true },
  { name: 'stress: camera sway 8 px', label: 'same', group: 'stress: sway/shadow', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, shift: 8, stress: true },
  { name: 'stress: cloud shadow -15%', label: 'same', group: 'stress: sway/shadow', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, shadow: 0.15, stress: true },
  { name: 'car 2%', label: 'changed', group: 'car 2-3%', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, vehicles: [{ kind: 'car', area: 0.02 }] },
  { name: 'car 3%', label: 'changed', group: 'car 2-3%', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, vehicles: [{ kind: 'car', area: 0.03 }] },
  { name: 'car 2% #2', label: 'changed', group: 'car 2-3%', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, vehicles: [{ kind: 'car', area: 0.02 }] },
  { name: 'car 3% #2', label: 'changed', group: 'car 2-3%', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, vehicles: [{ kind: 'car', area: 0.03 }] },
  { name: 'car 5%', label: 'changed', group: 'car 5-8%', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, vehicles: [{ kind: 'car', area: 0.05 }] },
  { name: 'car 8%', label: 'changed', group: 'car 5-8%', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, vehicles: [{ kind: 'car', area: 0.08 }] },
  { name: 'car 3%, noise s4, -5%, q70', label: 'changed', group: 'car 2-3%', quality: 70, noise: 4, brightness: 0.95, vehicles: [{ kind: 'car', area: 0.03 }] },
  { name: 'bus 10%', label: 'changed', group: 'bus 10-15%', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, vehicles: [{ kind: 'bus', area: 0.1 }] },
  { name: 'bus 15%', label: 'changed', group: 'bus 10-15%', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, vehicles: [{ kind: 'bus', area: 0.15 }] },
  { name: 'other scene 1', label: 'changed', group: 'other scene', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, otherScene: 1 },
  { name: 'other scene 2', label: 'changed', group: 'other scene', quality: FRAME_QUALITY, noise: CAPTURE_NOISE, otherScene: 2 },
];

export interface LabelledPair {
  base: Frame;
  variant: VariantSpec;
  variantPath: string;
}

/**
 * Picks `perSource` bases from each source (photos first, then synthetic street scenes;
 * street scenes fill in when there are too few photos) and writes every variant of each.
 */
export async function prepareDedupeSequence(frames: readonly Frame[], perSource: number, cacheDir: string, concurrency: number): Promise<{ bases: Frame[]; pairs: LabelledPair[] }> {
  const bases = pickBases(frames, perSource);
  const dir = path.join(cacheDir, FRAMES_VERSION, 'dedupe');
  const jobs = bases.flatMap((base) => VARIANTS.map((variant) => ({ base, variant })));
  const pairs = await mapWithConcurrency(jobs, concurrency, async ({ base, variant }) => {
    const scene = variant.otherScene ? otherScene(base, bases, variant.otherScene) : base;
    // the scene's id is part of the name: another set of bases must not reuse a cached "other scene"
    const variantPath = path.join(dir, base.id, `${fileName(variant.name)}${scene === base ? '' : `--${scene.id}`}.jpg`);
    if (!existsSync(variantPath)) await writeFileAtomic(variantPath, await renderVariant(base, scene, variant));
    return { base, variant, variantPath };
  });
  return { bases, pairs };
}

function pickBases(frames: readonly Frame[], perSource: number): Frame[] {
  const photos = frames.filter((f) => f.source === 'photo');
  const rnd = createRandom('dedupe-bases');
  const pickedPhotos: Frame[] = [];
  const pool = [...photos];
  while (pickedPhotos.length < perSource && pool.length > 0) pickedPhotos.push(pool.splice(rnd.int(0, pool.length - 1), 1)[0]);
  const streets = frames.filter((f) => f.source === 'synthetic').slice(0, 2 * perSource - pickedPhotos.length);
  return [...pickedPhotos, ...streets];
}

/** A new capture of `scene` (the base itself, or another scene) as `spec` describes. */
async function renderVariant(base: Frame, scene: Frame, spec: VariantSpec): Promise<Buffer> {
  if (spec.reencode) return encodeJpeg(await decodeRaw(base.path), spec.quality);
  const rnd = createRandom(seedFromString(`${base.id}/${spec.name}`));
  let image: RawImage = await decodeRaw(scene.masterPath);
  const overlays: Overlay[] = (spec.vehicles ?? []).map((v) =>
    vehicleOverlay(v.kind, v.area, image.width, image.height, base.source === 'synthetic' ? 0.45 : 0, rnd));
  if (spec.shadow !== undefined) overlays.unshift(cloudShadow(image.width, image.height, spec.shadow, rnd));
  image = await withOverlays(image, overlays);
  if (spec.shift !== undefined) image = withShift(image, spec.shift, Math.round(spec.shift / 2));
  if (spec.brightness !== undefined) image = withBrightness(image, spec.brightness);
  if (spec.noise !== undefined) image = withSensorNoise(image, spec.noise, rnd);
  return encodeJpeg(image, spec.quality);
}

/** A blurred dark ellipse over about a fifth of the frame: the shadow of a passing cloud. */
function cloudShadow(width: number, height: number, strength: number, rnd: Random): Overlay {
  const rx = width * 0.3;
  const ry = height * 0.22;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><filter id="b"><feGaussianBlur stdDeviation="60"/></filter>` +
    `<ellipse cx="${rnd.range(rx, width - rx)}" cy="${rnd.range(ry, height - ry)}" rx="${rx}" ry="${ry}" fill="#000" opacity="${strength}" filter="url(#b)"/></svg>`;
  return { svg, left: 0, top: 0 };
}

/**
 * The n-th next base of the same source, so "another scene" is not trivially another
 * kind of picture (any other base when the source has only this one).
 */
function otherScene(base: Frame, bases: readonly Frame[], n: number): Frame {
  const sameSource = bases.filter((b) => b.source === base.source);
  const pool = sameSource.length >= 2 ? sameSource : bases;
  if (pool.length < 2) throw new Error(`an 'other scene' variant needs two base frames, got ${pool.length}`);
  const i = pool.indexOf(base);
  const other = pool[(i + n) % pool.length];
  return other === base ? pool[(i + 1) % pool.length] : other;
}

function fileName(name: string): string {
  return name.toLowerCase().replace(/%/g, 'pct').replace(/\+/g, 'plus').replace(/(^|\s)-(?=\d)/g, '$1minus').replace(/#/g, 'n').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

