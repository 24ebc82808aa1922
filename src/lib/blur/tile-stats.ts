/**
 * One pass over a grey image at one scale, accumulating per-tile sharpness statistics:
 * Laplacian variance, Sobel gradient energy (Tenengrad) and the gradient structure
 * tensor, plus whole-image derivative energy in four directions. Tiles are square and
 * the grid is the same at every scale (the tile side halves with the image).
 */
export interface GreyImage {
  data: Float32Array;
  width: number;
  height: number;
}

export interface TileStats {
  tilesX: number;
  tilesY: number;
  lapVar: Float64Array;
  tenengrad: Float64Array;
  jxx: Float64Array;
  jyy: Float64Array;
  jxy: Float64Array;
  /** Mean squared unit-step derivative along 0°, 45°, 90° and 135°, whole image. */
  directional: [number, number, number, number];
  /** The same per tile: tileDirectional[d][t]. */
  tileDirectional: [Float64Array, Float64Array, Float64Array, Float64Array];
}

export function tileStats(img: GreyImage, tile: number, tilesX: number, tilesY: number): TileStats {
  const { data, width: w } = img;
  const count = tilesX * tilesY;
  const sumLap = new Float64Array(count);
  const sumLap2 = new Float64Array(count);
  const ten = new Float64Array(count);
  const jxx = new Float64Array(count);
  const jyy = new Float64Array(count);
  const jxy = new Float64Array(count);
  const n = new Float64Array(count);
  const t0 = new Float64Array(count);
  const t45 = new Float64Array(count);
  const t90 = new Float64Array(count);
  const t135 = new Float64Array(count);
  let e0 = 0;
  let e45 = 0;
  let e90 = 0;
  let e135 = 0;
  const yEnd = Math.min(tilesY * tile, img.height - 1);
  const xEnd = Math.min(tilesX * tile, w - 1);
  for (let y = 1; y < yEnd; y++) {
    const rowTile = Math.floor(y / tile) * tilesX;
    // One run of pixels per tile: sums stay in locals and are added to the tile once.
    for (let x0 = 0; x0 < xEnd; x0 += tile) {
      const t = rowTile + x0 / tile;
      const x1 = Math.min(x0 + tile, xEnd);
      let sl = 0;
      let sl2 = 0;
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      let s0 = 0;
      let s45 = 0;
      let s90 = 0;
      let s135 = 0;
      const start = Math.max(x0, 1);
      // The 3x3 neighbourhood slides right: only its new right column is read each step.
      let i = y * w + start;
      let ul = data[i - w - 1];
      let u = data[i - w];
      let l = data[i - 1];
      let c = data[i];
      let dl = data[i + w - 1];
      let d = data[i + w];
      for (let x = start; x < x1; x++, i++) {
        const ur = data[i - w + 1];
        const r = data[i + 1];
        const dr = data[i + w + 1];
        const lap = l + r + u + d - 4 * c;
        const gx = ur + 2 * r + dr - (ul + 2 * l + dl);
        const gy = dl + 2 * d + dr - (ul + 2 * u + ur);
        sl += lap;
        sl2 += lap * lap;
        sxx += gx * gx;
        syy += gy * gy;
        sxy += gx * gy;
        const dx = r - c;
        const dy = d - c;
        const da = dr - c;
        const db = dl - c;
        s0 += dx * dx;
        s90 += dy * dy;
        s45 += da * da;
        s135 += db * db;
        ul = u;
        u = ur;
        l = c;
        c = r;
        dl = d;
        d = dr;
      }
      sumLap[t] += sl;
      sumLap2[t] += sl2;
      ten[t] += sxx + syy;
      jxx[t] += sxx;
      jyy[t] += syy;
      jxy[t] += sxy;
      n[t] += x1 - start;
      t0[t] += s0;
      t45[t] += s45;
      t90[t] += s90;
      t135[t] += s135;
    }
  }
  const lapVar = new Float64Array(count);
  let total = 0;
  for (let t = 0; t < count; t++) {
    const k = Math.max(n[t], 1);
    const mean = sumLap[t] / k;
    lapVar[t] = Math.max(sumLap2[t] / k - mean * mean, 0);
    ten[t] /= k;
    jxx[t] /= k;
    jyy[t] /= k;
    jxy[t] /= k;
    e0 += t0[t];
    e45 += t45[t];
    e90 += t90[t];
    e135 += t135[t];
    t0[t] /= k;
    t45[t] /= 2 * k;
    t90[t] /= k;
    t135[t] /= 2 * k;
    total += n[t];
  }
  total = Math.max(total, 1);
  // Diagonal steps are sqrt(2) long: halve their squared differences to compare per unit length.
  return {
    tilesX,
    tilesY,
    lapVar,
    tenengrad: ten,
    jxx,
    jyy,
    jxy,
    directional: [e0 / total, e45 / (2 * total), e90 / total, e135 / (2 * total)],
    tileDirectional: [t0, t45, t90, t135],
  };
}

/** 2x2 box average: the next scale of the pyramid. */
export function halve(img: GreyImage): GreyImage {
  const width = img.width >> 1;
  const height = img.height >> 1;
  const out = new Float32Array(width * height);
  const src = img.data;
  const w = img.width;
  for (let y = 0; y < height; y++) {
    const a = 2 * y * w;
    const b = a + w;
    for (let x = 0; x < width; x++) {
      const s = 2 * x;
      out[y * width + x] = 0.25 * (src[a + s] + src[a + s + 1] + src[b + s] + src[b + s + 1]);
    }
  }
  return { data: out, width, height };
}

/** Coherence of a 2x2 structure tensor: 0 for isotropic gradients, 1 for one orientation. */
export function coherence(xx: number, yy: number, xy: number): number {
  const trace = xx + yy;
  if (trace <= 1e-12) return 0;
  return Math.sqrt((xx - yy) * (xx - yy) + 4 * xy * xy) / trace;
}
