/**
 * Speed of the synthetic blur generator's convolution (`blurPixels`: sRGB to linear
 * light, convolve, back) on a 1024x768 RGB image, next to libvips' own convolution
 * (`sharp.convolve`, straight on the 8-bit values) with the same kernels, one thread each.
 * The baseline does less (no linear light), so it is the floor a plain convolution sets.
 */
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { Kernel } from '../src/lib/blur/blur-kernel';
import { blurPixels } from '../src/lib/blur/convolve-image';
import { diskKernel } from '../src/lib/blur/disk-kernel';
import { seededRandom } from '../src/lib/blur/seeded-random';
import { shakeKernel } from '../src/lib/blur/shake-kernel';
import { median, round } from './stats';

const SIZE = { width: 1024, height: 768 } as const;
const REPEATS = 3;

export interface ConvolutionTiming {
  width: number;
  height: number;
  /** Median ms of REPEATS runs per kernel, ours and libvips'. */
  kernels: { name: string; size: string; oursMs: number; libvipsMs: number }[];
}

export async function timeConvolution(): Promise<ConvolutionTiming> {
  const { width, height } = SIZE;
  // A busy pattern (a multiplicative hash of the index): no shortcut for flat areas.
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.imul(i, 2654435761) >>> 24;
  const kernels: [string, Kernel][] = [
    ['disk, radius 4 px', diskKernel(4)],
    ['disk, radius 8 px', diskKernel(8)],
    ['shake, 13 px', shakeKernel(13, seededRandom(3))],
    ['shake, 60 px', shakeKernel(60, seededRandom(2))],
  ];
  const previous = sharp.concurrency();
  sharp.concurrency(1);
  try {
    const rows: ConvolutionTiming['kernels'] = [];
    for (const [name, kernel] of kernels) {
      const ours: number[] = [];
      const libvips: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        let started = performance.now();
        blurPixels({ data, width, height, channels: 3 }, kernel);
        ours.push(performance.now() - started);
        started = performance.now();
        await sharp(data, { raw: { width, height, channels: 3 } })
          .convolve({ width: kernel.width, height: kernel.height, kernel: Array.from(kernel.weights), scale: 1 })
          .raw()
          .toBuffer();
        libvips.push(performance.now() - started);
      }
      rows.push({ name, size: `${kernel.width}x${kernel.height}`, oursMs: round(median(ours), 1), libvipsMs: round(median(libvips), 1) });
    }
    return { width, height, kernels: rows };
  } finally {
    sharp.concurrency(previous);
  }
}
