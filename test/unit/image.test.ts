import sharp from 'sharp';
import { perceptualHash } from '../../src/lib/hash/perceptual-hash';
import { detectImageFormat, jpegHasEnd } from '../../src/lib/image/image-format';
import { ImageChecks, inspectImage } from '../../src/lib/image/inspect-image';
import { scene, tinyImage, truncate } from '../support/scenes';

const CHECKS: ImageChecks = { minWidth: 64, minHeight: 48, minBytes: 512 };

function solid(width: number, height: number, grey: number): ReturnType<typeof sharp> {
  return sharp({ create: { width, height, channels: 3, background: { r: grey, g: grey, b: grey } } });
}

describe('detectImageFormat', () => {
  test('recognises encoded images by their magic bytes', async () => {
    const img = solid(8, 8, 100);
    expect(detectImageFormat(await img.clone().jpeg().toBuffer())).toBe('jpeg');
    expect(detectImageFormat(await img.clone().png().toBuffer())).toBe('png');
    expect(detectImageFormat(await img.clone().webp().toBuffer())).toBe('webp');
    expect(detectImageFormat(await img.clone().gif().toBuffer())).toBe('gif');
  });

  test('says nothing for HTML, text and short bodies', () => {
    expect(detectImageFormat(Buffer.from('<html><body>Service unavailable</body></html>'))).toBeUndefined();
    expect(detectImageFormat(Buffer.from('Device Busy'))).toBeUndefined();
    expect(detectImageFormat(Buffer.from([0xff, 0xd8]))).toBeUndefined();
    expect(detectImageFormat(Buffer.alloc(0))).toBeUndefined();
    expect(detectImageFormat(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeUndefined();
  });
});

describe('jpegHasEnd', () => {
  let jpeg: Buffer;
  beforeAll(async () => {
    jpeg = await scene(1);
  });

  test('a complete JPEG ends with FF D9', () => {
    expect(jpeg.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
    expect(jpegHasEnd(jpeg)).toBe(true);
  });

  test('a cut transfer has no end marker', () => {
    expect(jpegHasEnd(truncate(jpeg, 0.6))).toBe(false);
    expect(jpegHasEnd(jpeg.subarray(0, jpeg.length - 1))).toBe(false);
  });

  test('padding after the end marker is accepted, other trailing bytes are not', () => {
    expect(jpegHasEnd(Buffer.concat([jpeg, Buffer.from('\r\n')]))).toBe(true);
    expect(jpegHasEnd(Buffer.concat([jpeg, Buffer.alloc(100, 0x00)]))).toBe(true);
    expect(jpegHasEnd(Buffer.concat([jpeg, Buffer.alloc(16, 0xff)]))).toBe(true);
    expect(jpegHasEnd(Buffer.concat([jpeg, Buffer.from('<html>')]))).toBe(false);
  });
});

describe('inspectImage', () => {
  let jpeg: Buffer;
  beforeAll(async () => {
    jpeg = await scene(1);
  });

  test('a good JPEG: format, size, hash and brightness', async () => {
    const result = await inspectImage(jpeg, 'phash', CHECKS);
    const expected = await perceptualHash(jpeg, 'phash');
    expect(result).toEqual({ ok: true, format: 'jpeg', width: 640, height: 360, hash: expected.hash, meanLuma: expected.meanLuma });
  });

  test('PNG and WebP are accepted too', async () => {
    const png = await sharp(jpeg).png().toBuffer();
    const webp = await sharp(jpeg).webp().toBuffer();
    expect(await inspectImage(png, 'dhash', CHECKS)).toMatchObject({ ok: true, format: 'png', width: 640, height: 360 });
    expect(await inspectImage(webp, 'ahash', CHECKS)).toMatchObject({ ok: true, format: 'webp', width: 640, height: 360 });
  });

  test('reports the displayed size of an EXIF-rotated photo', async () => {
    const tagged = await sharp(await sharp(jpeg).rotate(270).toBuffer()).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    expect(await inspectImage(tagged, 'phash', CHECKS)).toMatchObject({ ok: true, width: 640, height: 360 });
  });

  test('HTML error pages and camera text replies are not images, with a preview in the detail', async () => {
    const html = await inspectImage(Buffer.from('<html>\n<body><h1>Service unavailable</h1></body></html>'), 'phash', CHECKS);
    expect(html).toMatchObject({ ok: false, reason: 'not_image' });
    expect(!html.ok && html.detail).toContain('<html> <body><h1>Service unavailable</h1>');
    const busy = await inspectImage(Buffer.from('Device Busy'), 'phash', CHECKS);
    expect(busy).toEqual({ ok: false, reason: 'not_image', detail: "body is not an image: 'Device Busy'" });
  });

  test('too small in pixels or in bytes', async () => {
    const tiny = await tinyImage();
    const byPixels = await inspectImage(tiny, 'phash', { ...CHECKS, minBytes: 0 });
    expect(byPixels).toMatchObject({ ok: false, reason: 'too_small' });
    expect(!byPixels.ok && byPixels.detail).toContain('16x16 is below the minimum of 64x48');

    const byBytes = await inspectImage(jpeg, 'phash', { ...CHECKS, minBytes: jpeg.length + 1 });
    expect(byBytes).toMatchObject({ ok: false, reason: 'too_small' });
    expect(!byBytes.ok && byBytes.detail).toContain(`${jpeg.length} bytes`);

    // Exactly at the minimum is fine.
    const atMin = await solid(64, 48, 128).jpeg().toBuffer();
    expect(await inspectImage(atMin, 'phash', { ...CHECKS, minBytes: atMin.length })).toMatchObject({ ok: true, width: 64, height: 48 });
  });

  test('a truncated JPEG is reported as truncated', async () => {
    const result = await inspectImage(truncate(jpeg), 'phash', CHECKS);
    expect(result).toMatchObject({ ok: false, reason: 'truncated' });
  });

  test('a PNG header followed by garbage is undecodable, not ok', async () => {
    const png = await sharp(jpeg).png().toBuffer();
    const garbage = Buffer.concat([png.subarray(0, 8), Buffer.alloc(2000, 0x41)]);
    const result = await inspectImage(garbage, 'phash', CHECKS);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toBe('undecodable');
  });

  test('near-black frames are rejected only when darkBelow is set', async () => {
    const night = await solid(320, 240, 6).jpeg().toBuffer();
    const dark = await inspectImage(night, 'phash', { ...CHECKS, minBytes: 0, darkBelow: 20 });
    expect(dark).toMatchObject({ ok: false, reason: 'too_dark' });
    expect(!dark.ok && dark.detail).toMatch(/mean brightness [0-9.]+ is below 20/);

    const kept = await inspectImage(night, 'phash', { ...CHECKS, minBytes: 0 });
    expect(kept).toMatchObject({ ok: true, format: 'jpeg', width: 320, height: 240 });
    expect(kept.ok && kept.meanLuma).toBeLessThan(20);

    // A normal daytime frame passes the same threshold.
    expect(await inspectImage(jpeg, 'phash', { ...CHECKS, darkBelow: 20 })).toMatchObject({ ok: true });
  });
});
