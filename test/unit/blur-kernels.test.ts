/** Blur kernels, convolution and sensor noise of the synthetic blur generator. */
import { secondMoments, Kernel } from '../../src/lib/blur/blur-kernel';
import { blurPixels, convolveLinear } from '../../src/lib/blur/convolve-image';
import { diskKernel } from '../../src/lib/blur/disk-kernel';
import { addSensorNoise, drawNoise } from '../../src/lib/blur/sensor-noise';
import { seededRandom } from '../../src/lib/blur/seeded-random';
import { shakeKernel, shakePath } from '../../src/lib/blur/shake-kernel';

const sum = (k: Kernel) => k.weights.reduce((a, w) => a + w, 0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function expectProperKernel(k: Kernel): void {
  expect(k.weights.length).toBe(k.width * k.height);
  expect(k.weights.every((w) => Number.isFinite(w) && w >= 0)).toBe(true);
  expect(sum(k)).toBeCloseTo(1, 5);
}

describe('disk kernel (defocus)', () => {
  test.each([4, 5.5, 8])('radius %p: sums to 1, round, and its second moment gives the radius back', (r) => {
    const k = diskKernel(r);
    expectProperKernel(k);
    const m = secondMoments(k);
    expect(m.anisotropy).toBeLessThan(1.02);
    expect(Math.hypot(m.meanX, m.meanY)).toBeLessThan(1e-6);
    // A uniform disk has variance r²/4 per axis; the taps are pixel areas (1/12).
    expect(2 * Math.sqrt(m.major + 1 / 12)).toBeCloseTo(r, 0);
    expect(Math.abs(2 * Math.sqrt(m.major + 1 / 12) - r) / r).toBeLessThan(0.03);
    // Anti-aliased rim: fractional weights between 0 and the interior weight.
    const interior = k.weights[k.centerY * k.width + k.centerX];
    expect(k.weights.some((w) => w > 0 && w < interior * 0.9)).toBe(true);
    expect(k.weights.every((w) => w <= interior + 1e-9)).toBe(true);
  });

  test('rejects a radius that is not positive', () => {
    expect(() => diskKernel(0)).toThrow(/radius/);
    expect(() => diskKernel(Number.NaN)).toThrow(/radius/);
  });
});

describe('shake kernel (motion)', () => {
  const seeds = Array.from({ length: 50 }, (_, i) => i + 1);
  const draws = seeds.map((seed) => {
    const rng = seededRandom(seed);
    const length = rng.uniform(13, 60);
    const path = shakePath(length, seededRandom(1000 + seed));
    return { length, path, kernel: shakeKernel(length, seededRandom(1000 + seed)) };
  });

  test('kernels sum to 1, are finite and centred on their time average', () => {
    for (const { kernel } of draws) {
      expectProperKernel(kernel);
      const m = secondMoments(kernel);
      expect(Math.hypot(m.meanX, m.meanY)).toBeLessThan(0.05);
    }
  });

  test('the path is as long as asked, 13-60 px, and the streak fits inside that length', () => {
    for (const { length, path, kernel } of draws) {
      let arc = 0;
      for (let i = 2; i < path.points.length; i += 2) arc += Math.hypot(path.points[i] - path.points[i - 2], path.points[i + 1] - path.points[i - 1]);
      expect(arc).toBeCloseTo(length, 6);
      expect(arc).toBeGreaterThanOrEqual(13);
      expect(arc).toBeLessThanOrEqual(60);
      let maxOffset = 0;
      kernel.weights.forEach((w, i) => {
        if (w > 0) maxOffset = Math.max(maxOffset, Math.hypot((i % kernel.width) - kernel.centerX, Math.floor(i / kernel.width) - kernel.centerY));
      });
      expect(maxOffset).toBeLessThanOrEqual(length + 2);
      expect(maxOffset).toBeGreaterThan(2);
    }
  });

  test('kernels are elongated like real shake, far from the round disk', () => {
    const disk = secondMoments(diskKernel(6)).anisotropy;
    const ratios = draws.map((d) => secondMoments(d.kernel).anisotropy);
    expect(median(ratios)).toBeGreaterThan(5 * disk);
    expect(ratios.filter((r) => r > 2).length).toBeGreaterThanOrEqual(40);
  });

  test('the same seed gives the same kernel; another seed another one', () => {
    const a = shakeKernel(30, seededRandom(7));
    const b = shakeKernel(30, seededRandom(7));
    const c = shakeKernel(30, seededRandom(8));
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer))).toBe(true);
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(c.weights.buffer))).toBe(false);
  });
});

describe('convolution', () => {
  test('a point of light spreads into exactly the kernel (a convolution, not a correlation)', () => {
    const kernel = shakeKernel(12, seededRandom(3));
    const [w, h] = [41, 37];
    const image = new Float32Array(w * h);
    image[18 * w + 20] = 1;
    const out = convolveLinear(image, w, h, 1, kernel);
    for (let ky = 0; ky < kernel.height; ky++) {
      for (let kx = 0; kx < kernel.width; kx++) {
        const x = 20 + kx - kernel.centerX;
        const y = 18 + ky - kernel.centerY;
        if (x >= 0 && y >= 0 && x < w && y < h) expect(out[y * w + x]).toBeCloseTo(kernel.weights[ky * kernel.width + kx], 6);
      }
    }
    // The disk's flat inside goes through the prefix-sum path: same check.
    const disk = diskKernel(5);
    const dOut = convolveLinear(image, w, h, 1, disk);
    expect(dOut[18 * w + 20]).toBeCloseTo(disk.weights[disk.centerY * disk.width + disk.centerX], 6);
    expect(dOut[(18 + 3) * w + 20 - 2]).toBeCloseTo(disk.weights[(disk.centerY + 3) * disk.width + disk.centerX - 2], 6);
  });

  test('a flat image stays flat up to the borders (no dark frame)', () => {
    const data = new Uint8Array(64 * 48 * 3).fill(180);
    for (const kernel of [diskKernel(8), shakeKernel(60, seededRandom(5))]) {
      const out = blurPixels({ data, width: 64, height: 48, channels: 3 }, kernel);
      expect(out.data.every((v) => v === 180)).toBe(true);
    }
  });
});

describe('sensor noise', () => {
  test('sigma 1-4 grey levels at mid-grey, signal-dependent, reproducible from its seed', () => {
    const rng = seededRandom(11);
    const flat = new Uint8Array(60_000).fill(128);
    for (let i = 0; i < 10; i++) {
      const noise = drawNoise(rng);
      expect(noise.sigmaMidGrey).toBeGreaterThanOrEqual(1);
      expect(noise.sigmaMidGrey).toBeLessThanOrEqual(4);
      expect(Math.sqrt(noise.a * 128 + noise.b)).toBeCloseTo(noise.sigmaMidGrey, 6);
      expect(noise.a).toBeGreaterThan(0);
      const noisy = addSensorNoise(flat, noise);
      const mean = noisy.reduce((a, v) => a + v, 0) / noisy.length;
      const sd = Math.sqrt(noisy.reduce((a, v) => a + (v - mean) ** 2, 0) / noisy.length);
      expect(mean).toBeCloseTo(128, 0);
      // Rounding to integers adds 1/12 to the variance.
      expect(Math.sqrt(Math.max(0, sd * sd - 1 / 12))).toBeCloseTo(noise.sigmaMidGrey, 1);
      expect(Buffer.from(addSensorNoise(flat, noise)).equals(Buffer.from(noisy))).toBe(true);
    }
  });
});
