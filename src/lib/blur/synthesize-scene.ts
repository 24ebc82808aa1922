/**
 * One random crop of a sharp photo -> the three classes of the blur dataset (sharp,
 * defocused, motion), as JPEG buffers. All randomness is drawn up front into plain
 * parameters, so the parameters alone reproduce the images and can be recorded.
 */
import sharp from 'sharp';
import { BLUR_CLASSES, BlurClass } from './blur-classes';
import { Kernel, secondMoments } from './blur-kernel';
import { blurPixels, Pixels } from './convolve-image';
import { diskKernel } from './disk-kernel';
import { addSensorNoise, drawNoise, NoiseParams } from './sensor-noise';
import { SeededRandom, seededRandom } from './seeded-random';
import { shakeKernel } from './shake-kernel';

/** Blur strengths are defined for a 1024 px long side and scale with the working size. */
export const REFERENCE_SIZE = 1024;
export const DEFOCUS_RADIUS_RANGE = [4, 8] as const;
export const MOTION_LENGTH_RANGE = [13, 60] as const;
export const JPEG_QUALITY_RANGE = [75, 95] as const;
/** Share of the photo's area a crop keeps. */
export const CROP_AREA_RANGE = [0.6, 1] as const;

export interface Crop {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface SceneParams {
  /** In the photo's upright (EXIF-oriented) pixels. */
  crop: Crop;
  /** Working size the crop is resized to. */
  width: number;
  height: number;
  /** Disk radius in working pixels. */
  defocusRadius: number;
  /** Shake path length in working pixels, and the seed of its path. */
  motionLength: number;
  shakeSeed: number;
  /** Noise and JPEG quality drawn separately for each class. */
  finish: Record<BlurClass, { noise: NoiseParams; quality: number }>;
}

export interface SceneImages {
  jpeg: Record<BlurClass, Buffer>;
  /** Second-moment anisotropy of the motion kernel (1 = round). */
  motionAnisotropy: number;
}

/**
 * Draws a crop (60-100 % of the area, aspect kept, anywhere in the photo) and the blur,
 * noise and quality of each class. The working long side is `size`, or the crop's own
 * long side when that is smaller: enlarging would soften the "sharp" class.
 */
export function drawSceneParams(rng: SeededRandom, photo: { width: number; height: number }, size: number): SceneParams {
  const side = Math.sqrt(rng.uniform(CROP_AREA_RANGE[0], CROP_AREA_RANGE[1]));
  const cropWidth = Math.max(1, Math.round(photo.width * side));
  const cropHeight = Math.max(1, Math.round(photo.height * side));
  const crop = {
    left: rng.int(photo.width - cropWidth + 1),
    top: rng.int(photo.height - cropHeight + 1),
    width: cropWidth,
    height: cropHeight,
  };
  const long = Math.max(cropWidth, cropHeight);
  const working = Math.min(size, long);
  const scale = working / REFERENCE_SIZE;
  const defocusRadius = rng.uniform(DEFOCUS_RADIUS_RANGE[0], DEFOCUS_RADIUS_RANGE[1]) * scale;
  const motionLength = rng.uniform(MOTION_LENGTH_RANGE[0], MOTION_LENGTH_RANGE[1]) * scale;
  const shakeSeed = rng.int(2 ** 32);
  const finish = {} as SceneParams['finish'];
  for (const c of BLUR_CLASSES) {
    finish[c] = { noise: drawNoise(rng), quality: JPEG_QUALITY_RANGE[0] + rng.int(JPEG_QUALITY_RANGE[1] - JPEG_QUALITY_RANGE[0] + 1) };
  }
  return {
    crop,
    width: Math.max(1, Math.round((cropWidth * working) / long)),
    height: Math.max(1, Math.round((cropHeight * working) / long)),
    defocusRadius,
    motionLength,
    shakeSeed,
    finish,
  };
}

/** The kernels of a scene's two blurred classes. */
export function sceneKernels(params: SceneParams): { defocused: Kernel; motion: Kernel } {
  return {
    defocused: diskKernel(params.defocusRadius),
    motion: shakeKernel(params.motionLength, seededRandom(params.shakeSeed)),
  };
}

/** Upright photo size, as the crop coordinates use it. */
export async function photoSize(photo: Buffer): Promise<{ width: number; height: number }> {
  const meta = await sharp(photo).metadata();
  const { width, height } = meta.autoOrient ?? meta;
  if (!width || !height) throw new Error('image has no dimensions');
  return { width, height };
}

/** Decodes the crop at working size: upright, alpha flattened on white, sRGB, 3 channels. */
export async function readCrop(photo: Buffer, params: Pick<SceneParams, 'crop' | 'width' | 'height'>): Promise<Pixels> {
  const { data, info } = await sharp(photo, { autoOrient: true })
    .extract(params.crop)
    .resize(params.width, params.height, { fit: 'fill', kernel: 'lanczos3' })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: info.channels };
}

/** The three classes of one crop: the same pixels, blurred or not, then noise and JPEG each. */
export async function synthesizeScene(crop: Pixels, params: SceneParams): Promise<SceneImages> {
  const kernels = sceneKernels(params);
  const pixels: Record<BlurClass, Pixels> = {
    sharp: crop,
    defocused: blurPixels(crop, kernels.defocused),
    motion: blurPixels(crop, kernels.motion),
  };
  const encoded = await Promise.all(
    BLUR_CLASSES.map((c) => {
      const { noise, quality } = params.finish[c];
      const { width, height, channels } = pixels[c];
      return sharp(addSensorNoise(pixels[c].data, noise), { raw: { width, height, channels: channels as 3 } })
        .jpeg({ quality })
        .toBuffer();
    }),
  );
  const jpeg = Object.fromEntries(BLUR_CLASSES.map((c, i) => [c, encoded[i]])) as Record<BlurClass, Buffer>;
  return { jpeg, motionAnisotropy: secondMoments(kernels.motion).anisotropy };
}
