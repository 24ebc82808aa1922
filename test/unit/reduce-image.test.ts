/**
 * reduceImage re-encodes frames smaller with sharp: quality, longest side, EXIF
 * orientation, metadata, the format rule and keeping originals that would only grow.
 * Every check reads the output the way a user would: decoded size, quantisation
 * table, pixels, metadata.
 */
import sharp from 'sharp';
import { NotAnImageError, reduceImage } from '../../src/lib/image/reduce-image';
import { checkReduceOptions, ReduceOptions } from '../../src/lib/image/reduce-image-format';
import { alphaPng, photoJpeg, rotatedJpeg, scanPng } from '../support/cvat-fixtures';
import { jpegQuality } from '../support/jpeg-quality';

async function decoded(body: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** A JPEG carrying EXIF text a user would not want published. */
async function jpegWithExif(): Promise<Buffer> {
  const photo = await photoJpeg('p.jpg', 21, 640, 480);
  return sharp(photo.body).jpeg({ quality: 92 }).withExif({ IFD0: { Artist: 'visionflow-secret-artist' } }).toBuffer();
}

describe('reduceImage: size and quality', () => {
  test('encodes JPEGs at the requested IJG quality', async () => {
    const photo = await photoJpeg('IMG_0001.jpg', 1, 1600, 1200);
    const out = await reduceImage(photo.body, { quality: 60 });
    expect(out.format).toBe('jpeg');
    expect(out.keptOriginal).toBe(false);
    expect(jpegQuality(out.body)).toBe(60);
    expect(out.body.length).toBeLessThan(photo.body.length);
    expect([out.width, out.height]).toEqual([1600, 1200]);
  });

  test('maxSide bounds the longest side, keeps the aspect ratio and never enlarges', async () => {
    const photo = await photoJpeg('IMG_0001.jpg', 1, 1600, 1200);
    const shrunk = await reduceImage(photo.body, { quality: 60, maxSide: 800 });
    const d = await decoded(shrunk.body);
    expect([d.width, d.height]).toEqual([800, 600]);
    expect([shrunk.width, shrunk.height]).toEqual([800, 600]);

    const small = await reduceImage(photo.body, { quality: 60, maxSide: 4000 });
    const s = await decoded(small.body);
    expect([s.width, s.height]).toEqual([1600, 1200]);
  });

  test('mozjpeg gives a valid JPEG of the same size, smaller than libjpeg at the same quality', async () => {
    const photo = await photoJpeg('IMG_0001.jpg', 1, 1600, 1200);
    const plain = await reduceImage(photo.body, { quality: 60 });
    const moz = await reduceImage(photo.body, { quality: 60, mozjpeg: true });
    const d = await decoded(moz.body);
    expect((await sharp(moz.body).metadata()).format).toBe('jpeg');
    expect([d.width, d.height]).toEqual([1600, 1200]);
    expect(moz.body.length).toBeLessThan(plain.body.length);
  });
});

describe('reduceImage: orientation and metadata', () => {
  test('an EXIF orientation 6 frame comes out upright, with no orientation tag left', async () => {
    const rotated = await rotatedJpeg('IMG_0005_portrait.jpg', 5);
    const stored = await sharp(rotated.body).metadata();
    expect([stored.width, stored.height, stored.orientation]).toEqual([1600, 1200, 6]);

    for (const keepMetadata of [false, true]) {
      const out = await reduceImage(rotated.body, { quality: 60, keepMetadata });
      const meta = await sharp(out.body).metadata();
      expect([meta.width, meta.height]).toEqual([1200, 1600]);
      expect([out.width, out.height]).toEqual([1200, 1600]);
      expect([undefined, 1]).toContain(meta.orientation);
    }
  });

  test('metadata is stripped by default and kept with keepMetadata', async () => {
    const input = await jpegWithExif();
    expect((await sharp(input).metadata()).exif?.toString('latin1')).toContain('visionflow-secret-artist');

    const stripped = await sharp((await reduceImage(input, { quality: 60 })).body).metadata();
    expect(stripped.exif).toBeUndefined();

    const kept = await sharp((await reduceImage(input, { quality: 60, keepMetadata: true })).body).metadata();
    expect(kept.exif?.toString('latin1')).toContain('visionflow-secret-artist');
  });
});

describe('reduceImage: the format rule', () => {
  test("a PNG becomes a JPEG with the default format 'jpeg'", async () => {
    const scan = await scanPng('scan_0007.png', 7);
    const out = await reduceImage(scan.body, { quality: 60, format: 'jpeg' });
    expect(out.format).toBe('jpeg');
    expect((await sharp(out.body).metadata()).format).toBe('jpeg');
    expect(jpegQuality(out.body)).toBe(60);
  });

  test("a PNG stays a PNG with 'same', pixel for pixel", async () => {
    const scan = await scanPng('scan_0007.png', 7);
    const out = await reduceImage(scan.body, { quality: 60, format: 'same' });
    expect(out.format).toBe('png');
    expect((await sharp(out.body).metadata()).format).toBe('png');
    const before = await decoded(scan.body);
    const after = await decoded(out.body);
    expect([after.width, after.height, after.channels]).toEqual([before.width, before.height, before.channels]);
    expect(after.data.equals(before.data)).toBe(true);
  });

  test('a PNG with alpha becomes an opaque JPEG flattened onto white', async () => {
    // Left half transparent, right half opaque red.
    const half = await sharp({ create: { width: 32, height: 64, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } }).png().toBuffer();
    const png = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: half, left: 32, top: 0 }])
      .png()
      .toBuffer();
    const out = await reduceImage(png, { quality: 90 });
    const d = await decoded(out.body);
    expect(out.format).toBe('jpeg');
    expect(d.channels).toBe(3);
    const px = (x: number, y: number) => [...d.data.subarray((y * d.width + x) * 3, (y * d.width + x) * 3 + 3)];
    for (const v of px(8, 32)) expect(v).toBeGreaterThanOrEqual(250); // white, not black
    const [r, g, b] = px(56, 32);
    expect(r).toBeGreaterThanOrEqual(240);
    expect(g).toBeLessThanOrEqual(15);
    expect(b).toBeLessThanOrEqual(15);

    const overlay = await alphaPng('overlay_0008.png', 8);
    expect((await decoded((await reduceImage(overlay.body, { quality: 60 })).body)).channels).toBe(3);
  });

  test("'webp' gives a WebP", async () => {
    const photo = await photoJpeg('IMG_0001.jpg', 1, 1600, 1200);
    const out = await reduceImage(photo.body, { quality: 60, format: 'webp' });
    expect(out.format).toBe('webp');
    const meta = await sharp(out.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 1600, 1200]);
  });
});

describe('reduceImage: keeping the original', () => {
  test('a small low-quality JPEG that re-encoding would grow is kept byte for byte', async () => {
    const photo = await photoJpeg('IMG_0001.jpg', 1, 1600, 1200);
    const low = await sharp(photo.body).jpeg({ quality: 30 }).toBuffer();
    const out = await reduceImage(low, { quality: 95, maxSide: 2000 });
    expect(out.keptOriginal).toBe(true);
    expect(out.body.equals(low)).toBe(true);
    expect(out.format).toBe('jpeg');
    expect([out.width, out.height]).toEqual([1600, 1200]);
  });

  test('never kept when the format changes, even if the result is larger', async () => {
    const tinyPng = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } }).png().toBuffer();
    const out = await reduceImage(tinyPng, { quality: 100 });
    expect(out.body.length).toBeGreaterThan(tinyPng.length); // would not have been worth it...
    expect(out.keptOriginal).toBe(false); // ...but the name says .jpg, so the bytes must be a JPEG
    expect((await sharp(out.body).metadata()).format).toBe('jpeg');
  });

  test('never kept when the image is larger than maxSide', async () => {
    const photo = await photoJpeg('IMG_0001.jpg', 1, 1600, 1200);
    const low = await sharp(photo.body).jpeg({ quality: 30 }).toBuffer();
    const out = await reduceImage(low, { quality: 100, maxSide: 1590 });
    expect(out.body.length).toBeGreaterThan(low.length);
    expect(out.keptOriginal).toBe(false);
    const d = await decoded(out.body);
    expect(Math.max(d.width, d.height)).toBe(1590);
  });
});

describe('reduceImage: bad input and bad options', () => {
  test('HTML bytes are a NotAnImageError', async () => {
    const html = Buffer.from('<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>');
    await expect(reduceImage(html, { quality: 60 })).rejects.toBeInstanceOf(NotAnImageError);
    await expect(reduceImage(html, { quality: 60 })).rejects.toThrow(/not an image/);
  });

  test.each<[Partial<ReduceOptions>, RegExp]>([
    [{ quality: 0 }, /quality must be an integer from 1 to 100, got 0/],
    [{ quality: 101 }, /quality must be an integer from 1 to 100, got 101/],
    [{ quality: 1.5 }, /quality must be an integer from 1 to 100, got 1\.5/],
    [{ maxSide: 8 }, /maxSide must be an integer from 16 to 65535, got 8/],
    [{ format: 'gif' as never }, /format must be one of jpeg, webp, same, got 'gif'/],
  ])('checkReduceOptions(%j) names the option and its value', (bad, message) => {
    expect(() => checkReduceOptions({ quality: 60, ...bad })).toThrow(message);
  });

  test('checkReduceOptions accepts sensible options', () => {
    expect(() => checkReduceOptions({ quality: 60, maxSide: 2048, format: 'same', mozjpeg: true })).not.toThrow();
  });
});

describe('reduceImage: encoder passes', () => {
  test('optimizeCoding: false skips the Huffman pass: same quality and pixels, a bigger file', async () => {
    const { body } = await photoJpeg('IMG_9001.jpg', 9001, 1600, 1200);
    const optimized = await reduceImage(body, { quality: 60 });
    const fast = await reduceImage(body, { quality: 60, optimizeCoding: false });
    expect(jpegQuality(fast.body)).toBe(60);
    expect(fast.body.length).toBeGreaterThan(optimized.body.length);
    const [a, b] = await Promise.all([sharp(optimized.body).raw().toBuffer(), sharp(fast.body).raw().toBuffer()]);
    expect(a.equals(b)).toBe(true); // Huffman coding is lossless: the same decoded pixels
  });
});
