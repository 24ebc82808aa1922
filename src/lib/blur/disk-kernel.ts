/**
 * Defocus: a thin lens images an out-of-focus point as a uniform disk (the circle of
 * confusion). Edge pixels get their covered fraction so the radius can be fractional
 * and the kernel stays round instead of jagged.
 */
import { Kernel, normalizeKernel } from './blur-kernel';

/** Sub-samples per pixel side on the rim: 16 x 16 gives coverage to better than 1 %. */
const SUPERSAMPLE = 16;

export function diskKernel(radius: number): Kernel {
  if (!(radius > 0) || !Number.isFinite(radius)) throw new Error(`disk radius must be a positive number, got ${radius}`);
  const half = Math.ceil(radius + 0.5);
  const size = 2 * half + 1;
  const weights = new Float32Array(size * size);
  const r2 = radius * radius;
  for (let y = -half; y <= half; y++) {
    for (let x = -half; x <= half; x++) {
      weights[(y + half) * size + (x + half)] = coverage(x, y, r2);
    }
  }
  return normalizeKernel({ width: size, height: size, centerX: half, centerY: half, weights });
}

/** Fraction of the pixel square centred on (x, y) that lies inside the disk. */
function coverage(x: number, y: number, r2: number): number {
  // Nearest and farthest points of the square decide the easy cases exactly, which
  // also keeps every interior weight identical: the convolution sums such equal runs
  // from prefix sums.
  const nx = Math.max(Math.abs(x) - 0.5, 0);
  const ny = Math.max(Math.abs(y) - 0.5, 0);
  if (nx * nx + ny * ny >= r2) return 0;
  const fx = Math.abs(x) + 0.5;
  const fy = Math.abs(y) + 0.5;
  if (fx * fx + fy * fy <= r2) return 1;
  let inside = 0;
  for (let j = 0; j < SUPERSAMPLE; j++) {
    const py = y - 0.5 + (j + 0.5) / SUPERSAMPLE;
    for (let i = 0; i < SUPERSAMPLE; i++) {
      const px = x - 0.5 + (i + 0.5) / SUPERSAMPLE;
      if (px * px + py * py <= r2) inside++;
    }
  }
  return inside / (SUPERSAMPLE * SUPERSAMPLE);
}
