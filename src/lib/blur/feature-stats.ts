/** Summary statistics the blur features share: mean and nearest-rank quantiles. */

export function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Nearest-rank quantiles (rounding down), sorting once; zeros for no values. */
export function quantiles(xs: ArrayLike<number>, qs: readonly number[]): number[] {
  if (xs.length === 0) return qs.map(() => 0);
  const sorted = Float64Array.from(xs).sort();
  return qs.map((q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
}

export function percentile(xs: number[], q: number): number {
  return quantiles(xs, [q])[0];
}
