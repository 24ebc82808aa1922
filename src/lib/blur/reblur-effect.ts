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
  return tiles.map((t) => {
    const x0 = Math.max(margin, (t % tilesX) * tile);
    const y0 = Math.max(margin, Math.floor(t / tilesX) * tile);
    const x1 = Math.min(w - margin, (t % tilesX) * tile + tile);
    const y1 = Math.min(img.height - margin, Math.floor(t / tilesX) * tile + tile);
    return STEPS.map(([sx, sy]) => {
      const step = sy * w + sx;
      let removed = 0;
      let total = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0, i = y * w + x0; x < x1; x++, i++) {
          const d = Math.abs(data[i + step] - data[i]);
          // Difference of the reblurred image along the same direction: the box sums telescope.
          const db = Math.abs(data[i + (REACH + 1) * step] - data[i - REACH * step]) / (2 * REACH + 1);
          total += d;
          if (d > db) removed += d - db;
        }
      }
      return total > 0 ? removed / total : 0;
    });
  });
}
