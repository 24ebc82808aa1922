/**
 * In-place radix-2 complex FFT, for the small power spectra of the blur features
 * (64x64 tiles). Length must be a power of two.
 */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    for (let start = 0; start < n; start += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = start + k;
        const b = a + len / 2;
        const tr = re[b] * cr - im[b] * ci;
        const ti = re[b] * ci + im[b] * cr;
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
}

/** Power spectrum of a square tile (side a power of two), Hann-windowed to hide the tile edges. */
export function tilePowerSpectrum(tile: Float64Array, side: number): Float64Array {
  const re = new Float64Array(side * side);
  const im = new Float64Array(side * side);
  let mean = 0;
  for (let i = 0; i < tile.length; i++) mean += tile[i];
  mean /= tile.length;
  for (let y = 0; y < side; y++) {
    const wy = 0.5 - 0.5 * Math.cos((2 * Math.PI * (y + 0.5)) / side);
    for (let x = 0; x < side; x++) {
      const wx = 0.5 - 0.5 * Math.cos((2 * Math.PI * (x + 0.5)) / side);
      re[y * side + x] = (tile[y * side + x] - mean) * wx * wy;
    }
  }
  const rowRe = new Float64Array(side);
  const rowIm = new Float64Array(side);
  for (let pass = 0; pass < 2; pass++) {
    // rows on pass 0, columns on pass 1
    for (let k = 0; k < side; k++) {
      for (let i = 0; i < side; i++) {
        const idx = pass === 0 ? k * side + i : i * side + k;
        rowRe[i] = re[idx];
        rowIm[i] = im[idx];
      }
      fft(rowRe, rowIm);
      for (let i = 0; i < side; i++) {
        const idx = pass === 0 ? k * side + i : i * side + k;
        re[idx] = rowRe[i];
        im[idx] = rowIm[i];
      }
    }
  }
  const power = new Float64Array(side * side);
  for (let i = 0; i < power.length; i++) power[i] = re[i] * re[i] + im[i] * im[i];
  return power;
}
