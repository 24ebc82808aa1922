/**
 * The blur features on real photographs: one finite value per name at every size the
 * model meets, a clear error below the minimum size, the Laplacian-variance features
 * falling when an image is blurred, edge widths growing with defocus in every
 * orientation and with motion in one, crisp edges gone after defocus, kept along a streak
 * only, and found on a small subject in focus, EXIF orientation applied before analysis, and the
 * FFT under the spectral features checked against a direct DFT.
 */
import sharp from 'sharp';
import { analysisImage } from '../../src/lib/blur/analysis-image';
import { diskKernel } from '../../src/lib/blur/disk-kernel';
import { ANALYSIS_SIZE, blurFeatures, FEATURE_NAMES, MIN_SIDE } from '../../src/lib/blur/blur-features';
import { fft, tilePowerSpectrum } from '../../src/lib/blur/fft';
import { seededRandom } from '../../src/lib/blur/seeded-random';
import { testPhotos } from '../support/photos';

const PHOTOS = testPhotos(3);
/** Each photo decoded once, re-encoded at 1600 px long side (sharp quality 95). */
const sources: Buffer[] = [];

beforeAll(async () => {
  for (const file of PHOTOS) sources.push(await sharp(file).resize(1600, 1600, { fit: 'inside' }).jpeg({ quality: 95 }).toBuffer());
});

const index = (name: string) => {
  const i = FEATURE_NAMES.indexOf(name);
  if (i < 0) throw new Error(`no feature ${name}`);
  return i;
};

describe('blur features on real photos', () => {
  test('the feature list has unique names', () => {
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_NAMES.length);
    expect(FEATURE_NAMES.length).toBe(93);
  });

  test('the original files: long side reduced to the analysis size, one finite value per feature name', async () => {
    for (const file of PHOTOS) {
      const meta = await sharp(file).metadata();
      const img = await analysisImage(file);
      expect(Math.max(img.width, img.height)).toBe(ANALYSIS_SIZE);
      expect(img.width / img.height).toBeCloseTo(meta.width / meta.height, 2);
      expect(img.data.length).toBe(img.width * img.height);
      const f = blurFeatures(img);
      expect(f.length).toBe(FEATURE_NAMES.length);
      expect(Array.from(f).every(Number.isFinite)).toBe(true);
      // Grey levels stay on the 0-255 scale.
      const max = img.data.reduce((a, b) => Math.max(a, b), 0);
      expect(max).toBeLessThanOrEqual(255);
      expect(max).toBeGreaterThan(100);
    }
  });

  test.each([
    [640, 480],
    [480, 640],
    [300, 200],
    [200, 150],
    [MIN_SIDE, MIN_SIDE],
  ])('at %ix%i: analysed as it is (never enlarged), finite features', async (width, height) => {
    for (const source of sources.slice(0, 2)) {
      const small = await sharp(source).resize(width, height, { fit: 'cover' }).jpeg({ quality: 95 }).toBuffer();
      const img = await analysisImage(small);
      expect([img.width, img.height]).toEqual([width, height]);
      const f = blurFeatures(img);
      expect(f.length).toBe(FEATURE_NAMES.length);
      const bad = FEATURE_NAMES.filter((_, i) => !Number.isFinite(f[i]));
      expect(bad).toEqual([]);
    }
  });

  test('an image below the minimum side is refused with a message naming its size', async () => {
    const tiny = await sharp(sources[0]).resize(100, 100, { fit: 'cover' }).jpeg().toBuffer();
    const img = await analysisImage(tiny);
    expect([img.width, img.height]).toEqual([100, 100]);
    expect(() => blurFeatures(img)).toThrow(`image is 100x100; blur analysis needs at least ${MIN_SIDE} px on each side`);
    // One short side is enough to refuse.
    const narrow = await analysisImage(await sharp(sources[0]).resize(120, 400, { fit: 'cover' }).jpeg().toBuffer());
    expect(() => blurFeatures(narrow)).toThrow(/image is 120x400; .*at least 128 px/);
  });

  test('not an image: analysisImage rejects', async () => {
    await expect(analysisImage(Buffer.from('this is not an image'))).rejects.toThrow(/unsupported image format/);
  });

  test("sharp's blur(3) lowers the Laplacian-variance and gradient features at every scale", async () => {
    const lap = ['logLapVarMean', 'logLapVarP90', 'logLapVarP50', 'logLapVarP10'];
    for (const source of sources.slice(0, 2)) {
      const base = sharp(source).resize(ANALYSIS_SIZE, ANALYSIS_SIZE, { fit: 'inside' });
      const crisp = blurFeatures(await analysisImage(await base.clone().jpeg({ quality: 95 }).toBuffer()));
      const blurred = blurFeatures(await analysisImage(await base.clone().blur(3).jpeg({ quality: 95 }).toBuffer()));
      for (const name of lap) {
        // At full scale the variance of the Laplacian falls by more than a factor e.
        expect(blurred[index(`s0.${name}`)]).toBeLessThan(crisp[index(`s0.${name}`)] - 1);
        expect(blurred[index(`s1.${name}`)]).toBeLessThan(crisp[index(`s1.${name}`)]);
      }
      expect(blurred[index('s0.logTenengradMean')]).toBeLessThan(crisp[index('s0.logTenengradMean')] - 0.5);
      // Fine detail falls faster than coarse: the fine/coarse ratio drops too.
      expect(blurred[index('lapRatio01Median')]).toBeLessThan(crisp[index('lapRatio01Median')]);
      expect(blurred[index('spectralHighOverLow')]).toBeLessThan(crisp[index('spectralHighOverLow')]);
    }
  });

  test('edge widths: a 4 px disk widens the narrowest edges in every orientation; a 24 px horizontal streak widens one orientation far more than the other', async () => {
    const value = (f: Float32Array, name: string) => f[index(name)];
    const disk = diskKernel(4);
    // sharp wants at least 3 rows: the streak is the middle one
    const streak = { width: 25, height: 3, scale: 25, kernel: [...new Array(25).fill(0), ...new Array(25).fill(1), ...new Array(25).fill(0)] };
    for (const source of sources.slice(0, 2)) {
      const base = sharp(source).resize(ANALYSIS_SIZE, ANALYSIS_SIZE, { fit: 'inside' });
      const crisp = blurFeatures(await analysisImage(await base.clone().jpeg({ quality: 95 }).toBuffer()));
      const defocused = blurFeatures(
        await analysisImage(await base.clone().convolve({ width: disk.width, height: disk.height, kernel: Array.from(disk.weights), scale: 1 }).jpeg({ quality: 95 }).toBuffer()),
      );
      const moved = blurFeatures(await analysisImage(await base.clone().convolve(streak).jpeg({ quality: 95 }).toBuffer()));
      // log(width + 1): a disk of radius 4 widens the narrowest edges of every orientation by half or more
      expect(value(defocused, 'logEdgeWidthP10NarrowestOrientation')).toBeGreaterThan(value(crisp, 'logEdgeWidthP10NarrowestOrientation') + 0.4);
      expect(value(defocused, 'logEdgeWidthP10')).toBeGreaterThan(value(crisp, 'logEdgeWidthP10') + 0.3);
      // vertical edges smear across 24 px (about twice as wide), horizontal ones not at all
      expect(value(moved, 'logEdgeWidthP10WidestOrientation')).toBeGreaterThan(value(crisp, 'logEdgeWidthP10WidestOrientation') + 0.7);
      expect(value(moved, 'logEdgeWidthP10OrientationSpread')).toBeGreaterThan(value(defocused, 'logEdgeWidthP10OrientationSpread') + 0.5);
    }
  });

  test('crisp edges: none after a 4 px disk, none across a streak, and a small subject in focus brings them back', async () => {
    const value = (f: Float32Array, name: string) => f[index(`crispW4C24.${name}`)];
    const disk = diskKernel(4);
    const streak = { width: 25, height: 3, scale: 25, kernel: [...new Array(25).fill(0), ...new Array(25).fill(1), ...new Array(25).fill(0)] };
    // A 128 px subject drawn crisp (rings: edges in every orientation), pasted onto the defocused photo.
    const rings = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128"><rect width="128" height="128" fill="#d8d8d8"/>' +
        [56, 40, 24].map((r) => `<circle cx="64" cy="64" r="${r}" fill="none" stroke="#202020" stroke-width="6"/>`).join('') +
        '</svg>',
    );
    for (const source of sources.slice(0, 2)) {
      const base = sharp(source).resize(ANALYSIS_SIZE, ANALYSIS_SIZE, { fit: 'inside' });
      const crisp = blurFeatures(await analysisImage(await base.clone().jpeg({ quality: 95 }).toBuffer()));
      const defocusedJpeg = await base.clone().convolve({ width: disk.width, height: disk.height, kernel: Array.from(disk.weights), scale: 1 }).jpeg({ quality: 95 }).toBuffer();
      const defocused = blurFeatures(await analysisImage(defocusedJpeg));
      const moved = blurFeatures(await analysisImage(await base.clone().convolve(streak).jpeg({ quality: 95 }).toBuffer()));
      const subject = blurFeatures(await analysisImage(await sharp(defocusedJpeg).composite([{ input: rings, left: 300, top: 200 }]).jpeg({ quality: 95 }).toBuffer()));
      // log(1 + count): a sharp photo has hundreds, a defocused one (almost) none.
      expect(value(crisp, 'logCount')).toBeGreaterThan(6);
      expect(value(defocused, 'logCount')).toBeLessThan(value(crisp, 'logCount') - 4);
      // The streak keeps horizontal edges crisp, nothing across them, in fewer orientations.
      expect(value(moved, 'logCount')).toBeGreaterThan(value(defocused, 'logCount') + 2);
      expect(value(moved, 'logAcrossStrongest')).toBeLessThan(value(crisp, 'logAcrossStrongest') - 3);
      expect(value(moved, 'orientations')).toBeLessThan(value(crisp, 'orientations'));
      // One small subject in focus: crisp edges again, across as well as along.
      expect(value(subject, 'logCount')).toBeGreaterThan(value(defocused, 'logCount') + 2);
      expect(value(subject, 'logAcrossStrongest')).toBeGreaterThan(value(defocused, 'logAcrossStrongest') + 2);
    }
  });

  test('EXIF orientation is applied: a rotated JPEG with its orientation tag analyses like the upright one', async () => {
    const upright = await sharp(sources[0]).resize(400, 300, { fit: 'cover' }).jpeg({ quality: 95 }).toBuffer();
    const uprightImg = await analysisImage(upright);
    expect([uprightImg.width, uprightImg.height]).toEqual([400, 300]);
    // Orientation tags and the stored rotation that each one undoes.
    for (const [orientation, storedRotation] of [
      [6, 270], // stored turned left: the viewer turns it 90° clockwise
      [8, 90], // stored turned right: the viewer turns it 90° anticlockwise
      [3, 180],
    ]) {
      const stored = await sharp(upright).rotate(storedRotation).withMetadata({ orientation }).jpeg({ quality: 95 }).toBuffer();
      const meta = await sharp(stored).metadata();
      expect(meta.orientation).toBe(orientation);
      expect([meta.width, meta.height]).toEqual(orientation === 3 ? [400, 300] : [300, 400]);
      const img = await analysisImage(stored);
      expect([img.width, img.height]).toEqual([400, 300]);
      // Same pixels up to JPEG re-encoding, not a turned picture.
      let diff = 0;
      for (let i = 0; i < img.data.length; i++) diff += Math.abs(img.data[i] - uprightImg.data[i]);
      expect(diff / img.data.length).toBeLessThan(4);
      const f = blurFeatures(img);
      expect(f.length).toBe(FEATURE_NAMES.length);
      expect(Array.from(f).every(Number.isFinite)).toBe(true);
    }
    // Without the tag the same stored pixels are analysed turned (the check above can fail).
    const untagged = await analysisImage(await sharp(upright).rotate(180).jpeg({ quality: 95 }).toBuffer());
    let diff = 0;
    for (let i = 0; i < untagged.data.length; i++) diff += Math.abs(untagged.data[i] - uprightImg.data[i]);
    expect(diff / untagged.data.length).toBeGreaterThan(10);
  });
});

describe('fft', () => {
  function dft(re: number[], im: number[]): [number[], number[]] {
    const n = re.length;
    const outRe: number[] = [];
    const outIm: number[] = [];
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < n; t++) {
        const a = (-2 * Math.PI * k * t) / n;
        sr += re[t] * Math.cos(a) - im[t] * Math.sin(a);
        si += re[t] * Math.sin(a) + im[t] * Math.cos(a);
      }
      outRe.push(sr);
      outIm.push(si);
    }
    return [outRe, outIm];
  }

  test.each([1, 2, 4, 8, 64, 256])('length %i: matches a direct DFT of a random complex signal', (n) => {
    const rng = seededRandom(`fft:${n}`);
    const re = Array.from({ length: n }, () => rng.uniform(-1, 1));
    const im = Array.from({ length: n }, () => rng.uniform(-1, 1));
    const [wantRe, wantIm] = dft(re, im);
    const gotRe = Float64Array.from(re);
    const gotIm = Float64Array.from(im);
    fft(gotRe, gotIm);
    for (let k = 0; k < n; k++) {
      expect(gotRe[k]).toBeCloseTo(wantRe[k], 9);
      expect(gotIm[k]).toBeCloseTo(wantIm[k], 9);
    }
  });

  test('known transforms: an impulse is flat, a cosine is two spikes', () => {
    const n = 16;
    const re = new Float64Array(n);
    const im = new Float64Array(n);
    re[0] = 1;
    fft(re, im);
    expect(Array.from(re)).toEqual(new Array(n).fill(1));
    expect(Array.from(im).every((v) => v === 0)).toBe(true);

    const cre = Float64Array.from({ length: n }, (_, t) => 3 * Math.cos((2 * Math.PI * 3 * t) / n));
    const cim = new Float64Array(n);
    fft(cre, cim);
    for (let k = 0; k < n; k++) {
      const want = k === 3 || k === n - 3 ? (3 * n) / 2 : 0;
      expect(Math.hypot(cre[k], cim[k])).toBeCloseTo(want, 9);
    }
  });

  test('tile power spectrum: a horizontal stripe pattern puts its energy at its frequency on the x axis', () => {
    const side = 64;
    const tile = Float64Array.from({ length: side * side }, (_, i) => 128 + 50 * Math.cos((2 * Math.PI * 8 * (i % side)) / side));
    const power = tilePowerSpectrum(tile, side);
    let best = 0;
    for (let i = 1; i < power.length; i++) if (power[i] > power[best]) best = i;
    // Frequency 8 along x, row 0: u = 8 or its mirror u = 56 (equal power).
    expect([Math.min(best % side, side - (best % side)), Math.floor(best / side)]).toEqual([8, 0]);
    expect(power[8]).toBeCloseTo(power[side - 8], 6);
    // The mean is removed: no DC energy.
    expect(power[0]).toBeLessThan(1e-6 * power[8]);
    // Parseval on the windowed tile: total power = side^2 * sum of squares.
    const win = (k: number) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (k + 0.5)) / side);
    let energy = 0;
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) energy += ((tile[y * side + x] - 128) * win(x) * win(y)) ** 2;
    expect(power.reduce((a, b) => a + b, 0) / (side * side) / energy).toBeCloseTo(1, 9);
  });
});
