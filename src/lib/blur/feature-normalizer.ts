/** Standardisation of feature vectors with the training split's mean and spread, stored with the model. */
export interface FeatureNormalizer {
  mean: number[];
  std: number[];
}

export function fitNormalizer(rows: number[][]): FeatureNormalizer {
  const d = rows[0]?.length ?? 0;
  const mean = new Array<number>(d).fill(0);
  const std = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / rows.length;
  for (const r of rows) for (let j = 0; j < d; j++) std[j] += (r[j] - mean[j]) ** 2 / rows.length;
  // A constant feature carries no information: divide by 1 rather than by ~0.
  return { mean, std: std.map((v) => (Math.sqrt(v) > 1e-6 ? Math.sqrt(v) : 1)) };
}

export function normalize(rows: number[][], n: FeatureNormalizer): number[][] {
  return rows.map((r) => r.map((v, j) => (v - n.mean[j]) / n.std[j]));
}
