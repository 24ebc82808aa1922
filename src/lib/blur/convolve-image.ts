/**
 * Blurs 8-bit sRGB pixels with a kernel, in linear light: light from a scene adds up
 * in linear units, so a defocused highlight spreads into a bright disk as in a real
 * photo instead of a dull grey one.
 *
 * Speed comes from the kernel's shape. Each kernel row is split into runs of equal
 * weight (the inside of a disk), summed in O(1) from per-row prefix sums, and single
 * taps (a disk's rim, a motion streak); zero taps cost nothing. Every term is a
 * whole-row multiply-add, which V8 runs as a tight loop over a typed array.
 */
import { Kernel } from './blur-kernel';

/** Interleaved 8-bit pixels as sharp's raw output gives them. */
export interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

interface Run {
  /** Kernel row. */
  row: number;
  /** First and last column (inclusive) of the run. */
  from: number;
  to: number;
  weight: number;
}

/** A run shorter than this is cheaper as single taps. */
const MIN_RUN = 3;

/** Splits a kernel into prefix-sum runs (length >= MIN_RUN) and single taps (runs of one column). */
export function kernelRuns(kernel: Kernel): { runs: Run[]; taps: Run[] } {
  const runs: Run[] = [];
  const taps: Run[] = [];
  const { width, height, weights } = kernel;
  for (let row = 0; row < height; row++) {
    let x = 0;
    while (x < width) {
      const w = weights[row * width + x];
      let end = x;
      while (end + 1 < width && weights[row * width + end + 1] === w) end++;
      if (w !== 0) {
        if (end - x + 1 >= MIN_RUN) runs.push({ row, from: x, to: end, weight: w });
        else for (let k = x; k <= end; k++) taps.push({ row, from: k, to: k, weight: w });
      }
      x = end + 1;
    }
  }
  return { runs, taps };
}

/**
 * Convolves linear-light float pixels: a point of light at p spreads into the kernel
 * placed with its centre on p. Borders repeat the edge pixel (no dark frame).
 */
export function convolveLinear(data: Float32Array, width: number, height: number, channels: number, kernel: Kernel): Float32Array {
  const { runs, taps } = kernelRuns(kernel);
  const pad = Math.max(kernel.centerX, kernel.width - 1 - kernel.centerX);
  const paddedWidth = width + 2 * pad;
  const rowLength = paddedWidth * channels;
  // Rows padded left and right with their edge pixel, so taps never test bounds.
  const padded = new Float32Array(height * rowLength);
  for (let y = 0; y < height; y++) {
    const src = y * width * channels;
    const dst = y * rowLength;
    padded.set(data.subarray(src, src + width * channels), dst + pad * channels);
    for (let p = 0; p < pad; p++) {
      for (let c = 0; c < channels; c++) {
        padded[dst + p * channels + c] = data[src + c];
        padded[dst + (pad + width + p) * channels + c] = data[src + (width - 1) * channels + c];
      }
    }
  }
  // Prefix sums in doubles: a difference of two large float32 sums would lose the low bits.
  const prefixLength = rowLength + channels;
  const prefix = runs.length > 0 ? new Float64Array(height * prefixLength) : new Float64Array(0);
  if (runs.length > 0) {
    for (let y = 0; y < height; y++) {
      const row = y * rowLength;
      const pre = y * prefixLength;
      for (let i = 0; i < rowLength; i++) prefix[pre + i + channels] = prefix[pre + i] + padded[row + i];
    }
  }

  const out = new Float32Array(width * height * channels);
  const span = width * channels;
  const acc = new Float32Array(span);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    for (const t of taps) {
      const sy = clamp(y - (t.row - kernel.centerY), height);
      const base = sy * rowLength + (pad - (t.from - kernel.centerX)) * channels;
      const w = t.weight;
      for (let i = 0; i < span; i++) acc[i] += w * padded[base + i];
    }
    for (const r of runs) {
      const sy = clamp(y - (r.row - kernel.centerY), height);
      // Kernel columns from..to read source columns x - (to - cx) .. x - (from - cx).
      const lo = sy * prefixLength + (pad - (r.to - kernel.centerX)) * channels;
      const hi = sy * prefixLength + (pad - (r.from - kernel.centerX) + 1) * channels;
      const w = r.weight;
      for (let i = 0; i < span; i++) acc[i] += w * (prefix[hi + i] - prefix[lo + i]);
    }
    out.set(acc, y * span);
  }
  return out;
}

/** Blurs sRGB pixels: decode to linear light, convolve, encode back with exact rounding. */
export function blurPixels(pixels: Pixels, kernel: Kernel): Pixels {
  const { data, width, height, channels } = pixels;
  const linear = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) linear[i] = SRGB_TO_LINEAR[data[i]];
  const blurred = convolveLinear(linear, width, height, channels, kernel);
  const out = new Uint8Array(data.length);
  for (let i = 0; i < blurred.length; i++) out[i] = linearToSrgb8(blurred[i]);
  return { data: out, width, height, channels };
}

function clamp(v: number, size: number): number {
  return v < 0 ? 0 : v >= size ? size - 1 : v;
}

function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

const SRGB_TO_LINEAR = Float32Array.from({ length: 256 }, (_, i) => srgbToLinear(i / 255));

/** Linear value at which the 8-bit code steps from k to k + 1: the midpoint in sRGB. */
const STEP_UP = Float64Array.from({ length: 255 }, (_, k) => srgbToLinear((k + 0.5) / 255));

/** The nearest 8-bit sRGB code, by binary search over the 255 steps (exact, no pow per pixel). */
function linearToSrgb8(v: number): number {
  let lo = 0;
  let hi = 255;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v >= STEP_UP[mid]) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
