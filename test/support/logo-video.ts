/**
 * A generated test video (ffmpeg lavfi) with a red "logo" box overlaid during known
 * time ranges, and helpers that tell from a frame's time or pixels whether the logo
 * is on it.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import sharp from 'sharp';

/** Seconds [start, end) during which the logo is on screen. */
export const LOGO_RANGES: [number, number][] = [
  [3, 6],
  [9, 11],
];
export const LOGO_BOX = { x: 40, y: 40, w: 120, h: 80 };

export function makeLogoVideo(dir: string, seconds = 12): string {
  const file = path.join(dir, 'promo-clip.mp4');
  const enable = LOGO_RANGES.map(([a, b]) => `between(t,${a},${b - 0.001})`).join('+');
  execFileSync('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=10`,
    '-t', String(seconds),
    '-vf', `drawbox=x=${LOGO_BOX.x}:y=${LOGO_BOX.y}:w=${LOGO_BOX.w}:h=${LOGO_BOX.h}:color=red@1:t=fill:enable='${enable}'`,
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

/** True when the logo's box is solid red in the decoded frame. */
export async function logoInPixels(jpeg: Buffer): Promise<boolean> {
  const { data, info } = await sharp(jpeg)
    .extract({ left: LOGO_BOX.x + 20, top: LOGO_BOX.y + 20, width: LOGO_BOX.w - 40, height: LOGO_BOX.h - 40 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  let red = 0;
  for (let i = 0; i < data.length; i += info.channels) if (data[i] > 200 && data[i + 1] < 60 && data[i + 2] < 60) red++;
  return red > (data.length / info.channels) * 0.9;
}
