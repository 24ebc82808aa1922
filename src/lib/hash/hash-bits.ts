/**
 * The three classic 64-bit perceptual hashes, computed from greyscale pixels that
 * sharp already decoded and shrank. Bit order: row-major, most significant first,
 * as 16 hex digits (the order imagehash prints).
 */

/** aHash: 8x8 pixels, bit set where the pixel is brighter than the mean. */
export function averageHashBits(pixels: Uint8Array): string {
  expectLength(pixels, 64, 'aHash');
  let sum = 0;
  for (const p of pixels) sum += p;
  const mean = sum / 64;
  return bitsToHex((i) => pixels[i] > mean);
}

/** dHash: 9 columns x 8 rows, bit set where a pixel is brighter than its left neighbour. */
export function differenceHashBits(pixels: Uint8Array): string {
  expectLength(pixels, 72, 'dHash');
  return bitsToHex((i) => {
    const row = Math.floor(i / 8);
    const col = i % 8;
    return pixels[row * 9 + col + 1] > pixels[row * 9 + col];
  });
}

const N = 32;
const K = 8;
/** cos table for the first 8 DCT-II basis functions over 32 samples. */
const COS: Float64Array = (() => {
  const table = new Float64Array(K * N);
  for (let k = 0; k < K; k++) {
    for (let n = 0; n < N; n++) table[k * N + n] = Math.cos((Math.PI * (2 * n + 1) * k) / (2 * N));
  }
  return table;
})();

/**
 * pHash: 32x32 pixels -> 2-D DCT-II, keep the 8x8 lowest frequencies, bit set where
 * a coefficient is above their median. Only the 8 needed output rows and columns
 * are computed (two 8x32 by 32x32 products).
 */
export function perceptualHashBits(pixels: Uint8Array): string {
  expectLength(pixels, N * N, 'pHash');
  // rows: R[y][k] = sum_x pixels[y][x] * cos(k, x)
  const rows = new Float64Array(N * K);
  for (let y = 0; y < N; y++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let x = 0; x < N; x++) s += pixels[y * N + x] * COS[k * N + x];
      rows[y * K + k] = s;
    }
  }
  // columns: D[j][k] = sum_y cos(j, y) * R[y][k]
  const coeffs = new Float64Array(K * K);
  for (let j = 0; j < K; j++) {
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let y = 0; y < N; y++) s += COS[j * N + y] * rows[y * K + k];
      coeffs[j * K + k] = s;
    }
  }
  const sorted = Array.from(coeffs).sort((a, b) => a - b);
  const median = (sorted[31] + sorted[32]) / 2;
  return bitsToHex((i) => coeffs[i] > median);
}

function expectLength(pixels: Uint8Array, n: number, name: string): void {
  if (pixels.length !== n) throw new Error(`${name} needs ${n} greyscale pixels, got ${pixels.length}`);
}

function bitsToHex(bit: (i: number) => boolean): string {
  let hex = '';
  for (let nibble = 0; nibble < 16; nibble++) {
    let v = 0;
    for (let b = 0; b < 4; b++) v = (v << 1) | (bit(nibble * 4 + b) ? 1 : 0);
    hex += v.toString(16);
  }
  return hex;
}
