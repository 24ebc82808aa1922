/**
 * Whether a photo can teach blur at all. Fog, a colour gradient or a plain sky look the
 * same blurred, so their "defocused" and "motion" images would be sharp images with the
 * wrong label. The test: on the photo at working size, the share of 64 px tiles where
 * the weakest defocus of the range removes more detail (variance of the Laplacian of
 * grey) than sensor noise of sigma 1.4 grey levels adds back. Photos below
 * MIN_VISIBLE_SHARE are left out of the dataset and reported.
 */
import { blurPixels, Pixels } from './convolve-image';
import { diskKernel } from './disk-kernel';

/** Share of tiles a photo needs where blur is visible (1 in 50). */
export const MIN_VISIBLE_SHARE = 0.02;
const TILE = 64;
/** Laplacian variance of white noise is 20 sigma^2: 40 is sigma ~1.4, half the typical finish. */
const NOISE_LAPLACIAN_VARIANCE = 40;

/** Share of tiles where a disk blur of `radius` px visibly removes detail from `pixels`. */
export function visibleBlurShare(pixels: Pixels, radius: number): number {
  const before = tileLaplacianVariance(pixels);
  const after = tileLaplacianVariance(blurPixels(pixels, diskKernel(radius)));
  if (before.length === 0) return 0;
  return before.filter((v, i) => v - after[i] > NOISE_LAPLACIAN_VARIANCE).length / before.length;
}

function tileLaplacianVariance({ data, width: w, height: h, channels }: Pixels): number[] {
  const grey = new Float32Array(w * h);
  for (let i = 0; i < grey.length; i++) {
    const j = i * channels;
    grey[i] = channels >= 3 ? 0.299 * data[j] + 0.587 * data[j + 1] + 0.114 * data[j + 2] : data[j];
  }
  const out: number[] = [];
  for (let ty = 0; ty + TILE <= h; ty += TILE) {
    for (let tx = 0; tx + TILE <= w; tx += TILE) {
      let sum = 0;
      let sumSq = 0;
      let n = 0;
      for (let y = Math.max(1, ty); y < Math.min(h - 1, ty + TILE); y++) {
        for (let x = Math.max(1, tx); x < Math.min(w - 1, tx + TILE); x++) {
          const k = y * w + x;
          const lap = grey[k - 1] + grey[k + 1] + grey[k - w] + grey[k + w] - 4 * grey[k];
          sum += lap;
          sumSq += lap * lap;
          n++;
        }
      }
      out.push(n ? sumSq / n - (sum / n) ** 2 : 0);
    }
  }
  return out;
}
