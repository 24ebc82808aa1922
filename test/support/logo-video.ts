/**
 * A generated test video (ffmpeg lavfi) with a textured logo badge overlaid during known
 * time ranges, and helpers that tell from a frame's time or pixels whether the logo
 * is on it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';

/** Seconds [start, end) during which the logo is on screen. */
export const LOGO_RANGES: [number, number][] = [
  [3, 6],
  [9, 11],
];
/** Where the logo sits in the 640x360 video (it is drawn at 160x96). */
export const LOGO_BOX = { x: 40, y: 40, w: 160, h: 96 };

/**
 * A textured badge (checkers, a star, bold text) so feature matching has corners to
 * find; its navy field is what the pixel check looks for.
 */
export function acmeLogoPng(): Promise<Buffer> {
  const w = 200;
  const h = 120;
  let checks = '';
  for (let i = 0; i < w / 10; i++) {
    checks += `<rect x="${i * 10}" y="0" width="10" height="10" fill="${i % 2 ? '#111' : '#fc0'}"/>`;
    checks += `<rect x="${i * 10}" y="${h - 10}" width="10" height="10" fill="${i % 2 ? '#fc0' : '#111'}"/>`;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
    <rect width="${w}" height="${h}" fill="#1a3d8f"/>${checks}
    <polygon points="30,32 36,50 55,50 40,61 46,80 30,68 14,80 20,61 5,50 24,50" fill="#fff"/>
    <text x="62" y="78" font-family="DejaVu Sans, sans-serif" font-weight="bold" font-size="40" fill="#fff">ACME</text>
    <circle cx="180" cy="32" r="6" fill="#e22"/><rect x="60" y="88" width="125" height="5" fill="#fc0"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export async function makeLogoVideo(dir: string, seconds = 12): Promise<string> {
  const file = path.join(dir, 'promo-clip.mp4');
  const logo = path.join(dir, 'acme-logo.png');
  fs.writeFileSync(logo, await acmeLogoPng());
  const enable = LOGO_RANGES.map(([a, b]) => `between(t,${a},${b - 0.001})`).join('+');
  execFileSync('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=10',
    '-loop', '1', '-i', logo,
    '-filter_complex', `[1]scale=${LOGO_BOX.w}:${LOGO_BOX.h}[l];[0][l]overlay=${LOGO_BOX.x}:${LOGO_BOX.y}:enable='${enable}'`,
    '-t', String(seconds),
    '-c:v', 'libx264', '-g', '20', '-pix_fmt', 'yuv420p', file,
  ]);
  return file;
}

export function logoOnAt(tS: number): boolean {
  return LOGO_RANGES.some(([a, b]) => tS >= a && tS < b);
}

/** Time of a frame from its key `…/t000012.500.jpg`. */
export function frameTimeOf(key: string): number {
  const m = /t(\d{6})\.(\d{3})\.jpg$/.exec(key);
  if (!m) throw new Error(`not a frame key: ${key}`);
  return Number(m[1]) + Number(m[2]) / 1000;
}

/** True when the badge's plain navy field (right of the star, above the text) is in the frame. */
export async function logoInPixels(jpeg: Buffer): Promise<boolean> {
  const scale = LOGO_BOX.w / 200;
  const { data, info } = await sharp(jpeg)
    .extract({ left: LOGO_BOX.x + Math.round(62 * scale), top: LOGO_BOX.y + Math.round(14 * scale), width: Math.round(100 * scale), height: Math.round(26 * scale) })
    .raw()
    .toBuffer({ resolveWithObject: true });
  let navy = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    if (Math.abs(data[i] - 26) < 40 && Math.abs(data[i + 1] - 61) < 40 && Math.abs(data[i + 2] - 143) < 45) navy++;
  }
  return navy > (data.length / info.channels) * 0.8;
}
