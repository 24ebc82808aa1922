/**
 * Frames for the CVAT stand-in, drawn with sharp so they behave like camera output:
 * gradients, shapes and per-pixel sensor noise, JPEG quality 92, so re-encoding at
 * quality 60 really saves bytes. Also one JPEG stored sideways with EXIF Orientation 6,
 * an opaque PNG scan and a PNG with alpha. Images are deterministic per seed and
 * cached for the whole test file.
 */
import sharp from 'sharp';
import type { StandInTask } from './cvat-stand-in';

export type FixtureFrame = StandInTask['frames'][number];

const cache = new Map<string, Promise<FixtureFrame>>();

function cached(key: string, make: () => Promise<FixtureFrame>): Promise<FixtureFrame> {
  let hit = cache.get(key);
  if (!hit) {
    hit = make();
    cache.set(key, hit);
  }
  return hit;
}

function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Adds zero-mean noise of about ±amplitude to every channel value, in place. */
function addSensorNoise(data: Buffer, seed: number, amplitude: number): void {
  let s = (seed * 40503 + 17) >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const a = s & 0xff;
    const b = (s >>> 8) & 0xff;
    const v = data[i] + (((a + b) / 510 - 0.5) * 2 * amplitude) | 0;
    data[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
}

/** An outdoor scene: sky gradient, sun, hills, buildings with windows, trees and a road. */
function sceneSvg(seed: number, width: number, height: number): string {
  const r = rng(seed);
  const horizon = height * (0.5 + r() * 0.1);
  const skyTop = `rgb(${40 + Math.floor(r() * 60)},${90 + Math.floor(r() * 60)},${170 + Math.floor(r() * 60)})`;
  const shapes: string[] = [];
  shapes.push(`<circle cx="${width * (0.15 + r() * 0.7)}" cy="${horizon * 0.3}" r="${Math.min(width, height) * 0.06}" fill="url(#sun)"/>`);
  for (let i = 0; i < 4; i++) {
    const cx = r() * width;
    const g = 70 + Math.floor(r() * 60);
    shapes.push(`<ellipse cx="${cx}" cy="${horizon + height * 0.05}" rx="${width * (0.2 + r() * 0.3)}" ry="${height * (0.08 + r() * 0.1)}" fill="rgb(${g - 30},${g + 20},${g - 40})"/>`);
  }
  const unit = width / 40;
  for (let i = 0; i < 12; i++) {
    const w = unit * (2 + r() * 4);
    const h = height * (0.12 + r() * 0.3);
    const x = r() * (width - w);
    const grey = 90 + Math.floor(r() * 120);
    shapes.push(`<rect x="${x}" y="${horizon - h}" width="${w}" height="${h}" fill="rgb(${grey},${grey - 8},${grey - 18})" stroke="rgb(40,40,45)" stroke-width="${unit * 0.05}"/>`);
    for (let wy = horizon - h + unit * 0.6; wy < horizon - unit; wy += unit * 1.2) {
      for (let wx = x + unit * 0.4; wx < x + w - unit * 0.6; wx += unit) {
        const lit = r() > 0.6 ? 'rgb(250,220,140)' : 'rgb(60,70,90)';
        shapes.push(`<rect x="${wx}" y="${wy}" width="${unit * 0.5}" height="${unit * 0.7}" fill="${lit}"/>`);
      }
    }
  }
  for (let i = 0; i < 10; i++) {
    const x = r() * width;
    const s = unit * (1 + r() * 2);
    shapes.push(`<rect x="${x - s * 0.1}" y="${horizon + height * 0.02 - s}" width="${s * 0.2}" height="${s}" fill="rgb(80,55,35)"/>`);
    shapes.push(`<circle cx="${x}" cy="${horizon + height * 0.02 - s * 1.3}" r="${s * 0.8}" fill="rgb(${30 + Math.floor(r() * 40)},${100 + Math.floor(r() * 60)},${40 + Math.floor(r() * 30)})"/>`);
  }
  const carX = r() * width * 0.7;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs>
      <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${skyTop}"/><stop offset="1" stop-color="rgb(225,228,236)"/></linearGradient>
      <linearGradient id="ground" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="rgb(95,120,70)"/><stop offset="1" stop-color="rgb(55,75,40)"/></linearGradient>
      <radialGradient id="sun"><stop offset="0" stop-color="rgb(255,250,220)"/><stop offset="1" stop-color="rgb(255,210,120)" stop-opacity="0"/></radialGradient>
    </defs>
    <rect width="100%" height="100%" fill="url(#sky)"/>
    <rect y="${horizon}" width="100%" height="${height - horizon}" fill="url(#ground)"/>
    ${shapes.join('\n    ')}
    <rect y="${height * 0.8}" width="100%" height="${height * 0.12}" fill="rgb(72,72,76)"/>
    <rect y="${height * 0.855}" width="100%" height="${height * 0.008}" fill="rgb(230,230,220)" stroke-dasharray="${unit * 2} ${unit}"/>
    <rect x="${carX}" y="${height * 0.8}" width="${unit * 5}" height="${unit * 2}" rx="${unit * 0.5}" fill="rgb(190,30,40)"/>
  </svg>`;
}

async function noisyRaw(svg: string, seed: number, amplitude: number): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  addSensorNoise(data, seed, amplitude);
  return { data, width: info.width, height: info.height };
}

/** A photographic-looking JPEG (quality 92) of width x height. */
export function photoJpeg(name: string, seed: number, width: number, height: number): Promise<FixtureFrame> {
  return cached(`jpeg:${seed}:${width}x${height}`, async () => {
    const raw = await noisyRaw(sceneSvg(seed, width, height), seed, 14);
    const body = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } }).jpeg({ quality: 92 }).toBuffer();
    return { name, body, width, height };
  }).then((f) => ({ ...f, name }));
}

/**
 * A portrait photo stored sideways: the JPEG's pixels are 1600x1200 (landscape, sky on
 * the left) with EXIF Orientation 6, so it displays as 1200x1600 with the sky on top.
 * width/height are the displayed size, as CVAT reports them in data/meta.
 */
export function rotatedJpeg(name: string, seed: number): Promise<FixtureFrame> {
  return cached(`exif6:${seed}`, async () => {
    const raw = await noisyRaw(sceneSvg(seed, 1200, 1600), seed, 14);
    const sideways = await sharp(raw.data, { raw: { width: raw.width, height: raw.height, channels: 3 } }).rotate(270).raw().toBuffer({ resolveWithObject: true });
    const body = await sharp(sideways.data, { raw: { width: sideways.info.width, height: sideways.info.height, channels: 3 } })
      .jpeg({ quality: 92 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    return { name, body, width: 1200, height: 1600 };
  }).then((f) => ({ ...f, name }));
}

/** An opaque RGB PNG that looks like a scanned page (text lines, a stamp, paper grain). */
export function scanPng(name: string, seed: number, width = 800, height = 600): Promise<FixtureFrame> {
  return cached(`scan:${seed}:${width}x${height}`, async () => {
    const r = rng(seed);
    const lines: string[] = [];
    for (let y = height * 0.1; y < height * 0.85; y += height * 0.045) {
      lines.push(`<rect x="${width * 0.08}" y="${y}" width="${width * (0.5 + r() * 0.35)}" height="${height * 0.018}" fill="rgb(60,60,70)"/>`);
    }
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
      <rect width="100%" height="100%" fill="rgb(246,244,238)"/>${lines.join('')}
      <circle cx="${width * 0.8}" cy="${height * 0.78}" r="${height * 0.09}" fill="none" stroke="rgb(40,70,170)" stroke-width="${height * 0.012}"/>
    </svg>`;
    const raw = await noisyRaw(svg, seed, 5);
    const body = await sharp(raw.data, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 9 }).toBuffer();
    return { name, body, width, height };
  }).then((f) => ({ ...f, name }));
}

/** A PNG with an alpha channel: shapes on a transparent background. */
export function alphaPng(name: string, seed: number, width = 640, height = 480): Promise<FixtureFrame> {
  return cached(`alpha:${seed}:${width}x${height}`, async () => {
    const r = rng(seed);
    const shapes: string[] = [];
    for (let i = 0; i < 8; i++) {
      shapes.push(
        `<circle cx="${r() * width}" cy="${r() * height}" r="${20 + r() * 80}" fill="rgb(${Math.floor(r() * 255)},${Math.floor(r() * 255)},${Math.floor(r() * 255)})" fill-opacity="${(0.4 + r() * 0.6).toFixed(2)}"/>`,
      );
    }
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`;
    const body = await sharp(Buffer.from(svg)).ensureAlpha().png().toBuffer();
    return { name, body, width, height };
  }).then((f) => ({ ...f, name }));
}

export interface CvatTaskFixtureOptions {
  id?: number;
  name?: string;
  organization?: string;
  /** Include the 4000x3000 (12 MP) frame; default true. */
  twelveMegapixel?: boolean;
}

/**
 * A task as CVAT holds one after an upload of a folder: frames in CVAT's default
 * (lexicographical) order, relative paths kept ('left/IMG_0002.jpg'):
 *
 *   DSC_0412.JPG          4000x3000 JPEG (12 MP)           (unless twelveMegapixel: false)
 *   IMG_0001.jpg          1600x1200 JPEG
 *   IMG_0003.jpg          1600x1200 JPEG
 *   IMG_0005_portrait.jpg 1200x1600 displayed, stored 1600x1200 with EXIF Orientation 6
 *   left/IMG_0002.jpg     1600x1200 JPEG
 *   overlay_0008.png      640x480 PNG with alpha
 *   scan_0007.png         800x600 opaque PNG
 */
export async function buildCvatTaskFixture(options: CvatTaskFixtureOptions = {}): Promise<StandInTask> {
  const frames = await Promise.all([
    ...(options.twelveMegapixel === false ? [] : [photoJpeg('DSC_0412.JPG', 412, 4000, 3000)]),
    photoJpeg('IMG_0001.jpg', 1, 1600, 1200),
    photoJpeg('IMG_0003.jpg', 3, 1600, 1200),
    rotatedJpeg('IMG_0005_portrait.jpg', 5),
    photoJpeg('left/IMG_0002.jpg', 2, 1600, 1200),
    alphaPng('overlay_0008.png', 8),
    scanPng('scan_0007.png', 7),
  ]);
  return { id: options.id ?? 1, name: options.name ?? 'lev0042-med0007', ...(options.organization ? { organization: options.organization } : {}), frames };
}

/** A quick task of `frameCount` small JPEGs (320x240) named frame_000000.jpg, ... */
export async function buildSmallTask(options: { id: number; name: string; organization?: string; frameCount?: number }): Promise<StandInTask> {
  const count = options.frameCount ?? 3;
  const frames = await Promise.all(
    Array.from({ length: count }, (_, i) => photoJpeg(`frame_${String(i).padStart(6, '0')}.jpg`, 10_000 + i, 320, 240)),
  );
  return { id: options.id, name: options.name, ...(options.organization ? { organization: options.organization } : {}), frames };
}
