/**
 * What a user checks after a CVAT reduction: every frame under the right key, a JPEG of
 * the requested quality and size, upright, and a report that matches.
 */
import sharp from 'sharp';
import { jpegQuality } from './jpeg-quality';
import { readStored } from './stored-objects';

/** Keys of the fixture task `lev0042-med0007` under the default layout. */
export const EXPECTED_KEYS = [
  'DSC_0412.JPG',
  'IMG_0001.jpg',
  'IMG_0003.jpg',
  'IMG_0005_portrait.jpg',
  'left/IMG_0002.jpg',
  'overlay_0008.jpg',
  'scan_0007.jpg',
].map((k) => `lev0042/med0007/${k}`);

export async function expectReducedTask(
  destination: string,
  quality: number,
  maxSide: number,
  fixture: { twelveMegapixel?: boolean } = {},
): Promise<Record<string, unknown>> {
  const expected = EXPECTED_KEYS.filter((k) => fixture.twelveMegapixel !== false || !k.endsWith('DSC_0412.JPG')).sort();
  const stored = await readStored(destination, 'lev0042/med0007');
  const images = [...stored.keys()].filter((k) => !k.endsWith('.json')).sort();
  expect(images).toEqual(expected);
  for (const key of images) {
    const body = stored.get(key)!;
    const meta = await sharp(body).metadata();
    expect({ key, format: meta.format }).toEqual({ key, format: 'jpeg' });
    expect({ key, quality: jpegQuality(body) }).toEqual({ key, quality });
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(maxSide);
    expect(meta.orientation ?? 1).toBe(1);
  }
  if (fixture.twelveMegapixel !== false) {
    const big = await sharp(stored.get('lev0042/med0007/DSC_0412.JPG')!).metadata();
    expect([big.width, big.height]).toEqual([maxSide, Math.round((maxSide * 3000) / 4000)]);
  }
  const portrait = await sharp(stored.get('lev0042/med0007/IMG_0005_portrait.jpg')!).metadata();
  expect(portrait.height!).toBeGreaterThan(portrait.width!);

  const report = JSON.parse(stored.get('lev0042/med0007/_report.json')!.toString()) as Record<string, unknown> & {
    frames: { key: string; bytesBefore: number; bytesAfter: number; status: string }[];
  };
  expect(report.frames.map((f) => f.key).sort()).toEqual(expected);
  for (const frame of report.frames) {
    if (frame.status === 'uploaded') expect(frame.bytesAfter).toBe(stored.get(frame.key)!.length);
  }
  expect([...stored.keys()].some((k) => k.includes('_report.parts'))).toBe(false);
  return report;
}
