/**
 * Sensor noise on 8-bit pixels: photon shot noise grows with the signal, read noise
 * does not, so the variance is a * I + b (the usual Gaussian stand-in for the
 * Poisson-Gaussian model). Every class gets it, so a classifier cannot tell the sharp
 * images by their cleanness.
 */
import { SeededRandom, seededRandom } from './seeded-random';

// Module aliases: a global lookup per pixel is slow inside vm contexts such as Jest's.
const { cos, log, max, PI, round, sin, sqrt } = Math;

export interface NoiseParams {
  /** Shot-noise gain: variance per grey level of signal. */
  a: number;
  /** Read-noise variance (grey levels²). */
  b: number;
  /** Standard deviation at mid-grey (128), the figure people compare. */
  sigmaMidGrey: number;
  /** Seed of the noise field. */
  seed: number;
}

/** Sigma 1-4 grey levels at mid-grey, of which shot noise is a random 20-90 % of the variance. */
export function drawNoise(rng: SeededRandom): NoiseParams {
  const sigmaMidGrey = rng.uniform(1, 4);
  const shotShare = rng.uniform(0.2, 0.9);
  const variance = sigmaMidGrey * sigmaMidGrey;
  return { a: (shotShare * variance) / 128, b: (1 - shotShare) * variance, sigmaMidGrey, seed: rng.int(2 ** 32) };
}

/** A noisy copy (channels independent, rounded and clipped to 0-255). */
export function addSensorNoise(data: Uint8Array, noise: NoiseParams): Uint8Array {
  const sigma = Float32Array.from({ length: 256 }, (_, i) => sqrt(noise.a * i + noise.b));
  const rng = seededRandom(noise.seed);
  const out = new Uint8Array(data.length);
  const put = (i: number, z: number) => {
    const v = round(data[i] + sigma[data[i]] * z);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  };
  // Box-Muller gives two independent normals per draw; using both halves the cost.
  for (let i = 0; i < data.length; i += 2) {
    const r = sqrt(-2 * log(max(rng.next(), 1e-12)));
    const t = 2 * PI * rng.next();
    put(i, r * cos(t));
    if (i + 1 < data.length) put(i + 1, r * sin(t));
  }
  return out;
}
