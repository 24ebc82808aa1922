/**
 * In-place radix-2 complex FFT, for the small power spectra of the blur features
 * (64x64 tiles). Length must be a power of two. Bit-reversal order, twiddles and
 * windows are computed once per length: every image transforms the same tile size.
 */
interface FftTables {
  reversed: Uint32Array;
  cos: Float64Array;
  sin: Float64Array;
}

const tables = new Map<number, FftTables>();
const windows = new Map<number, Float64Array>();

function fftTables(n: number): FftTables {
  let t = tables.get(n);
  if (t) return t;
  if (n < 1 || (n & (n - 1)) !== 0) throw new Error(`FFT length must be a power of two, got ${n}`);
  const reversed = new Uint32Array(n);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    reversed[i] = j;
  }
  // Twiddle k of the full length; a stage of length len uses every (n / len)-th one.
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) {
    cos[k] = Math.cos((-2 * Math.PI * k) / n);
    sin[k] = Math.sin((-2 * Math.PI * k) / n);
  }
  t = { reversed, cos, sin };
  tables.set(n, t);
  return t;
}

export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  const { reversed, cos, sin } = fftTables(n);
  for (let i = 1; i < n; i++) {
    const j = reversed[i];
    if (i < j) {
      const r = re[i];
      re[i] = re[j];
      re[j] = r;
      const m = im[i];
      im[i] = im[j];
      im[j] = m;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const step = n / len;
    for (let start = 0; start < n; start += len) {
      for (let k = 0; k < half; k++) {
        const a = start + k;
        const b = a + half;
        const cr = cos[k * step];
        const ci = sin[k * step];
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
    }
  }
}

/** Separable Hann window of a tile side. */
function hann(side: number): Float64Array {
  let w = windows.get(side);
  if (!w) {
    w = Float64Array.from({ length: side }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * (i + 0.5)) / side));
    windows.set(side, w);
  }
  return w;
}

/** Power spectrum of a square tile (side a power of two), Hann-windowed to hide the tile edges. */
export function tilePowerSpectrum(tile: Float64Array, side: number): Float64Array {
  const re = new Float64Array(side * side);
  const im = new Float64Array(side * side);
  const win = hann(side);
  let mean = 0;
  for (let i = 0; i < tile.length; i++) mean += tile[i];
  mean /= tile.length;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) re[y * side + x] = (tile[y * side + x] - mean) * win[x] * win[y];
  }
  // Rows in place (subarrays share the buffer), then columns through a scratch line.
  for (let y = 0; y < side; y++) fft(re.subarray(y * side, (y + 1) * side), im.subarray(y * side, (y + 1) * side));
  const colRe = new Float64Array(side);
  const colIm = new Float64Array(side);
  for (let x = 0; x < side; x++) {
    for (let y = 0; y < side; y++) {
      colRe[y] = re[y * side + x];
      colIm[y] = im[y * side + x];
    }
    fft(colRe, colIm);
    for (let y = 0; y < side; y++) {
      re[y * side + x] = colRe[y];
      im[y * side + x] = colIm[y];
    }
  }
  const power = new Float64Array(side * side);
  for (let i = 0; i < power.length; i++) power[i] = re[i] * re[i] + im[i] * im[i];
  return power;
}
