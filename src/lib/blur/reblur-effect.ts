/**
 * Directional "blur effect" (after Crété-Roffet et al.): blur the image again along
 * one direction and measure how much of its variation along that direction is
 * lost. A sharp image loses much, an already-blurred one little. The measure is a
 * ratio, so scene content largely cancels; per direction it tells motion (one
 * direction already smeared) from defocus (all directions alike).
 */
import { GreyImage } from './tile-stats';

const STEPS: readonly [number, number][] = [
  [1, 0],
  [1, 1],
  [0, 1],
  [-1, 1],
];
const REACH = 2;

/**
 * Per tile, for each of 0°, 45°, 90°, 135°: the share of variation a 5-tap box along
 * that direction removes (tile side `tile`, `tilesX` per row). effect[t][d].
 */
export function tileReblurEffect(img: GreyImage, tile: number, tilesX: number, tiles: readonly number[]): number[][] {
  const { data, width: w } = img;
  const margin = REACH + 1;
  const steps = STEPS.map(([sx, sy]) => sy * w + sx);
  const removed = new Float64Array(STEPS.length);
  const total = new Float64Array(STEPS.length);
  return tiles.map((t) => {
    const x0 = Math.max(margin, (t % tilesX) * tile);
    const y0 = Math.max(margin, Math.floor(t / tilesX) * tile);
    const x1 = Math.min(w - margin, (t % tilesX) * tile + tile);
    const y1 = Math.min(img.height - margin, Math.floor(t / tilesX) * tile + tile);
    removed.fill(0);
    total.fill(0);
    for (let k = 0; k < steps.length; k++) {
      const step = steps[k];
      const ahead = (REACH + 1) * step;
      const behind = REACH * step;
      let lost = 0;
      let all = 0;
      for (let y = y0; y < y1; y++) {
        for (let i = y * w + x0, end = y * w + x1; i < end; i++) {
          const d = Math.abs(data[i + step] - data[i]);
          // Difference of the reblurred image along the same direction: the box sums telescope.
          const db = Math.abs(data[i + ahead] - data[i - behind]) / (2 * REACH + 1);
          all += d;
          // (e + |e|) / 2 is max(e, 0) without a branch the CPU cannot predict (Math.max is slow in V8).
          const e = d - db;
          lost += e + Math.abs(e);
        }
      }
      removed[k] = lost / 2;
      total[k] = all;
    }
    return Array.from(removed, (lost, k) => (total[k] > 0 ? lost / total[k] : 0));
  });
}
