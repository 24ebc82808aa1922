/**
 * Power spectra of the most textured tiles at full scale: the share of energy at high
 * and middle frequencies, and how one-sided the mid/high band is (motion smears one way).
 */
import { mean } from './feature-stats';
import { tilePowerSpectrum } from './fft';
import { coherence, GreyImage } from './tile-stats';

/** Tiles transformed per image: the most textured ones by coarse-scale gradient energy. */
const SPECTRUM_TILES = 8;

/**
 * Per frequency bin of a side x side spectrum: its radial band (0 low, 1 mid, 2 high,
 * -1 none) and, for the mid/high band, its unit-direction tensor weights and 45° sector
 * (-1 outside). Built once per side: every tile has the same bins.
 */
interface SpectrumBins {
  band: Int8Array;
  sector: Int8Array;
  xx: Float64Array;
  yy: Float64Array;
  xy: Float64Array;
}

const binsBySide = new Map<number, SpectrumBins>();

function spectrumBins(side: number): SpectrumBins {
  const cached = binsBySide.get(side);
  if (cached) return cached;
  const half = side / 2;
  const n = side * side;
  const bins: SpectrumBins = { band: new Int8Array(n).fill(-1), sector: new Int8Array(n).fill(-1), xx: new Float64Array(n), yy: new Float64Array(n), xy: new Float64Array(n) };
  for (let v = 0; v < side; v++) {
    const fy = v < half ? v : v - side;
    for (let u = 0; u < side; u++) {
      const fx = u < half ? u : u - side;
      const r = Math.hypot(fx, fy);
      const i = v * side + u;
      if (r < 1 || r > half) continue;
      bins.band[i] = r < half / 4 ? 0 : r < half / 2 ? 1 : 2;
      if (r < half / 4) continue;
      bins.xx[i] = (fx * fx) / (r * r);
      bins.yy[i] = (fy * fy) / (r * r);
      bins.xy[i] = (fx * fy) / (r * r);
      const angle = (Math.atan2(fy, fx) + Math.PI) % Math.PI;
      bins.sector[i] = Math.floor(((angle + Math.PI / 8) % Math.PI) / (Math.PI / 4)) % 4;
    }
  }
  binsBySide.set(side, bins);
  return bins;
}

export function spectralFeatures(img: GreyImage, side: number, tilesX: number, textured: number[], coarse: Float64Array): number[] {
  const chosen = [...textured].sort((a, b) => coarse[b] - coarse[a] || a - b).slice(0, SPECTRUM_TILES);
  const bins = spectrumBins(side);
  const tile = new Float64Array(side * side);
  const highOverLow: number[] = [];
  const midOverLow: number[] = [];
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  const sectors: number[] = [];
  for (const t of chosen) {
    const x0 = (t % tilesX) * side;
    const y0 = Math.floor(t / tilesX) * side;
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) tile[y * side + x] = img.data[(y0 + y) * img.width + x0 + x];
    const power = tilePowerSpectrum(tile, side);
    const bandEnergy = [0, 0, 0];
    const sector = [0, 0, 0, 0];
    let txx = 0;
    let tyy = 0;
    let txy = 0;
    for (let i = 0; i < power.length; i++) {
      const band = bins.band[i];
      if (band < 0) continue;
      const p = power[i];
      bandEnergy[band] += p;
      if (band === 0) continue;
      txx += p * bins.xx[i];
      tyy += p * bins.yy[i];
      txy += p * bins.xy[i];
      sector[bins.sector[i]] += p;
    }
    const [low, mid, high] = bandEnergy;
    highOverLow.push(Math.log((high + 1e-6) / (low + 1e-6)));
    midOverLow.push(Math.log((mid + 1e-6) / (low + 1e-6)));
    const tr = txx + tyy;
    if (tr > 0) {
      sxx += txx / tr;
      syy += tyy / tr;
      sxy += txy / tr;
    }
    const smax = Math.max(...sector);
    sectors.push(smax > 0 ? 1 - Math.min(...sector) / smax : 0);
  }
  return [mean(highOverLow), mean(midOverLow), coherence(sxx, syy, sxy), mean(sectors)];
}
