import sharp from 'sharp';
import { hammingDistance, nearestDistance } from '../../src/lib/hash/hamming';
import { averageHashBits, differenceHashBits, perceptualHashBits } from '../../src/lib/hash/hash-bits';
import { perceptualHash } from '../../src/lib/hash/perceptual-hash';
import { scene, truncate } from '../support/scenes';

/** Greyscale pixels from a function of (x, y). */
function grid(width: number, height: number, f: (x: number, y: number) => number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out[y * width + x] = f(x, y);
  return out;
}

/** 64 booleans (row-major, most significant first) as 16 hex digits, written independently of src. */
function hexOf(bits: boolean[]): string {
  return BigInt(`0b${bits.map((b) => (b ? '1' : '0')).join('')}`).toString(16).padStart(16, '0');
}

function bitsOf(hex: string): boolean[] {
  return BigInt(`0x${hex}`).toString(2).padStart(64, '0').split('').map((c) => c === '1');
}

const cosBasis = (k: number, n: number) => Math.cos((Math.PI * (2 * n + 1) * k) / 64);

/** Textbook pHash: full 32x32 2-D DCT-II, top-left 8x8, bits above the median. */
function naivePHash(pixels: Uint8Array): string {
  const coeffs: number[] = [];
  for (let j = 0; j < 8; j++) {
    for (let k = 0; k < 8; k++) {
      let s = 0;
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) s += pixels[y * 32 + x] * cosBasis(j, y) * cosBasis(k, x);
      coeffs.push(s);
    }
  }
  const sorted = [...coeffs].sort((a, b) => a - b);
  const median = (sorted[31] + sorted[32]) / 2;
  return hexOf(coeffs.map((c) => c > median));
}

describe('hammingDistance / nearestDistance', () => {
  test('known distances', () => {
    expect(hammingDistance('0123456789abcdef', '0123456789abcdef')).toBe(0);
    expect(hammingDistance('0000000000000000', 'ffffffffffffffff')).toBe(64);
    expect(hammingDistance('0000000000000000', '0000000000000001')).toBe(1);
    expect(hammingDistance('8000000000000000', '0000000000000000')).toBe(1);
    expect(hammingDistance('00000000ffffffff', 'ffffffff00000000')).toBe(64);
    expect(hammingDistance('f0f0f0f0f0f0f0f0', '0f0f0f0f0f0f0f0f')).toBe(64);
    expect(hammingDistance('0000000000000000', '0000000100000003')).toBe(3);
  });

  test('rejects hashes that are not 16 digits', () => {
    expect(() => hammingDistance('abc', '0000000000000000')).toThrow(/16 hex digits/);
    expect(() => hammingDistance('0000000000000000', '00000000000000000')).toThrow(/16 hex digits/);
  });

  // Regression (src/lib/hash/hamming.ts): only the length is checked; parseInt turns non-hex
  // digits into NaN (XORed as 0) or stops early, so garbage of the right length
  // silently compares as identical to 0000000000000000 instead of throwing.
  test('rejects 16-character strings that are not hex', () => {
    expect(() => hammingDistance('zzzzzzzzzzzzzzzz', '0000000000000000')).toThrow(/16 hex digits/);
  });

  test('nearestDistance picks the closest hash, Infinity when there are none', () => {
    expect(nearestDistance('0000000000000000', [])).toBe(Infinity);
    expect(nearestDistance('0000000000000000', ['ffffffffffffffff', '0000000000000003', '00000000000000ff'])).toBe(2);
  });
});

describe('hash bits from pixels', () => {
  test('aHash: left half dark, right half bright -> 0f in every row', () => {
    expect(averageHashBits(grid(8, 8, (x) => (x < 4 ? 10 : 240)))).toBe('0f0f0f0f0f0f0f0f');
    expect(averageHashBits(grid(8, 8, (_x, y) => (y < 4 ? 240 : 10)))).toBe('ffffffff00000000');
  });

  test('dHash: a left-to-right ramp sets every bit, the mirror ramp none', () => {
    expect(differenceHashBits(grid(9, 8, (x) => x * 20))).toBe('ffffffffffffffff');
    expect(differenceHashBits(grid(9, 8, (x) => 200 - x * 20))).toBe('0000000000000000');
    // Brighter than the left neighbour only in column 0 -> 1 followed by seven 0s.
    expect(differenceHashBits(grid(9, 8, (x) => (x === 0 ? 0 : 100)))).toBe('8080808080808080');
  });

  test('pHash: a constant image has only the DC coefficient standing out', () => {
    const hash = perceptualHashBits(grid(32, 32, () => 128));
    expect(bitsOf(hash)[0]).toBe(true);
  });

  test('pHash: an image built from DCT basis functions with chosen signs hashes to those signs', () => {
    const expected = 'c3a55a3c96e11e69'; // 32 ones, first bit (DC) set
    const signs = bitsOf(expected).map((b) => (b ? 1 : -1));
    const amplitude = 2; // 63 * 2 < 127: no clamping
    const pixels = grid(32, 32, (x, y) => {
      let v = 128;
      for (let j = 0; j < 8; j++) for (let k = 0; k < 8; k++) if (j + k > 0) v += amplitude * signs[j * 8 + k] * cosBasis(j, y) * cosBasis(k, x);
      return Math.round(v);
    });
    expect(perceptualHashBits(pixels)).toBe(expected);
    expect(naivePHash(pixels)).toBe(expected);
  });

  test('pHash matches a naive full 2-D DCT on random pixels', () => {
    let s = 12345;
    const random = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    for (let round = 0; round < 5; round++) {
      const pixels = grid(32, 32, () => random());
      expect(perceptualHashBits(pixels)).toBe(naivePHash(pixels));
    }
  });

  test('wrong pixel counts are rejected with the needed size', () => {
    expect(() => averageHashBits(new Uint8Array(63))).toThrow(/aHash needs 64 .*got 63/);
    expect(() => differenceHashBits(new Uint8Array(64))).toThrow(/dHash needs 72 .*got 64/);
    expect(() => perceptualHashBits(new Uint8Array(64))).toThrow(/pHash needs 1024 .*got 64/);
  });
});

describe('perceptualHash of encoded images', () => {
  let jpeg: Buffer;
  beforeAll(async () => {
    jpeg = await scene(1);
  });

  test('is deterministic and returns 16 hex digits and a mean luma', async () => {
    const a = await perceptualHash(jpeg, 'phash');
    const b = await perceptualHash(Buffer.from(jpeg), 'phash');
    expect(a.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toEqual(a);
    expect(a.meanLuma).toBeGreaterThan(50);
    expect(a.meanLuma).toBeLessThan(230);
  });

  test('a PNG of the same pixels hashes (almost) the same, another scene does not', async () => {
    const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).png().toBuffer();
    const other = await scene(2);
    // dHash is left out: on flat areas neighbouring pixels tie, and JPEG shrink-on-load
    // vs a full PNG decode flips those bits (up to 8 on these synthetic scenes).
    for (const kind of ['phash', 'ahash'] as const) {
      const fromJpeg = (await perceptualHash(jpeg, kind)).hash;
      expect(hammingDistance(fromJpeg, (await perceptualHash(png, kind)).hash)).toBeLessThanOrEqual(2);
    }
    // ...while another street scene is far away (aHash is too coarse to tell these apart).
    const phash = (await perceptualHash(jpeg, 'phash')).hash;
    expect(hammingDistance(phash, (await perceptualHash(other, 'phash')).hash)).toBeGreaterThan(10);
  });

  test('honours EXIF orientation: a sideways-stored photo tagged orientation 6 hashes like the upright one', async () => {
    // Orientation 6 means "rotate 90° clockwise to display", so store it turned 90° anticlockwise.
    const sideways = await sharp(jpeg).rotate(270).jpeg({ quality: 90 }).toBuffer();
    const tagged = await sharp(sideways).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
    expect((await sharp(tagged).metadata()).orientation).toBe(6);
    const upright = (await perceptualHash(jpeg, 'phash')).hash;
    expect(hammingDistance(upright, (await perceptualHash(tagged, 'phash')).hash)).toBeLessThanOrEqual(4);
    // Without the tag the same pixels are a different picture.
    expect(hammingDistance(upright, (await perceptualHash(sideways, 'phash')).hash)).toBeGreaterThan(10);
  });

  test('rejects a truncated JPEG', async () => {
    await expect(perceptualHash(truncate(jpeg), 'phash')).rejects.toThrow();
  });
});
