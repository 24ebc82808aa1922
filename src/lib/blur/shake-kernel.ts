/**
 * Motion blur from camera shake: the image is the sharp scene averaged over the path
 * the camera moved during the exposure. The path is a particle pushed by random
 * accelerations (hand tremor), a weak spring back to where it started (the hand holds
 * its aim) and rare larger jerks (the shutter press), so kernels come out as mostly
 * elongated streaks with some curvature, like measured shake kernels, not as blobs.
 */
import { Kernel, normalizeKernel } from './blur-kernel';
import { SeededRandom } from './seeded-random';

export interface ShakeOptions {
  /** Physics steps over the exposure. */
  steps?: number;
}

export interface ShakePath {
  /** x, y pairs (px) of the camera offset at each physics step, centred on the time average. */
  points: Float64Array;
  /** Arc length of the path (px). */
  length: number;
}

/** A random shake path of the given arc length in pixels. */
export function shakePath(length: number, rng: SeededRandom, options: ShakeOptions = {}): ShakePath {
  if (!(length > 0) || !Number.isFinite(length)) throw new Error(`shake length must be a positive number, got ${length}`);
  const steps = options.steps ?? 96;
  // Per-path temperament: a steady hand gives near-straight streaks, a shaky one curves.
  const tremor = rng.uniform(0.03, 0.25);
  const spring = rng.uniform(0.0002, 0.0015);
  const jerkChance = rng.uniform(0, 0.04);
  const angle = rng.uniform(0, 2 * Math.PI);
  let vx = Math.cos(angle);
  let vy = Math.sin(angle);
  let x = 0;
  let y = 0;
  const raw = new Float64Array(2 * (steps + 1));
  for (let i = 1; i <= steps; i++) {
    let ax = tremor * rng.normal() - spring * x;
    let ay = tremor * rng.normal() - spring * y;
    if (rng.next() < jerkChance) {
      ax += 1.2 * rng.normal();
      ay += 1.2 * rng.normal();
    }
    vx += ax;
    vy += ay;
    x += vx;
    y += vy;
    raw[2 * i] = x;
    raw[2 * i + 1] = y;
  }
  let rawLength = 0;
  for (let i = 1; i <= steps; i++) rawLength += Math.hypot(raw[2 * i] - raw[2 * i - 2], raw[2 * i + 1] - raw[2 * i - 1]);
  if (!(rawLength > 0)) rawLength = 1; // a degenerate draw: any scale gives a dot
  // Scale to the wanted length and centre on the time average (each step's segment
  // counts at its midpoint), so the blurred image is not shifted against the sharp one.
  const scale = length / rawLength;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < steps; i++) {
    mx += (raw[2 * i] + raw[2 * i + 2]) / 2;
    my += (raw[2 * i + 1] + raw[2 * i + 3]) / 2;
  }
  mx /= steps;
  my /= steps;
  const points = raw.map((v, i) => (v - (i % 2 === 0 ? mx : my)) * scale);
  return { points, length };
}

/** Rasterises a path: equal exposure time per step, sub-sampled finely and splatted bilinearly. */
export function pathKernel(path: ShakePath): Kernel {
  const { points } = path;
  const n = points.length / 2;
  let reach = 0;
  for (const v of points) reach = Math.max(reach, Math.abs(v));
  const half = Math.ceil(reach) + 1;
  const size = 2 * half + 1;
  const weights = new Float32Array(size * size);
  // Weights accumulate in doubles; a long path adds thousands of small splats.
  const acc = new Float64Array(size * size);
  const splat = (px: number, py: number, w: number) => {
    const fx = px + half;
    const fy = py + half;
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const tx = fx - x0;
    const ty = fy - y0;
    const i = y0 * size + x0;
    acc[i] += w * (1 - tx) * (1 - ty);
    acc[i + 1] += w * tx * (1 - ty);
    acc[i + size] += w * (1 - tx) * ty;
    acc[i + size + 1] += w * tx * ty;
  };
  if (n === 1) splat(points[0], points[1], 1);
  for (let s = 0; s + 1 < n; s++) {
    const x0 = points[2 * s];
    const y0 = points[2 * s + 1];
    const dx = points[2 * s + 2] - x0;
    const dy = points[2 * s + 3] - y0;
    // A quarter pixel between samples leaves no gaps; time per step is the same, so a
    // slow stretch of the path collects more light than a fast one.
    const parts = Math.max(1, Math.ceil(Math.hypot(dx, dy) * 4));
    for (let k = 0; k < parts; k++) {
      const t = (k + 0.5) / parts;
      splat(x0 + t * dx, y0 + t * dy, 1 / parts);
    }
  }
  for (let i = 0; i < acc.length; i++) weights[i] = acc[i];
  return normalizeKernel({ width: size, height: size, centerX: half, centerY: half, weights });
}

export function shakeKernel(length: number, rng: SeededRandom, options: ShakeOptions = {}): Kernel {
  return pathKernel(shakePath(length, rng, options));
}
