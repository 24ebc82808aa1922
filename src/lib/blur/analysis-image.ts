/**
 * Decodes any image sharp reads into the grey analysis image of the blur features:
 * EXIF orientation applied, long side reduced to ANALYSIS_SIZE (never enlarged,
 * which would add blur). libvips decodes a JPEG at a fraction of its size only when
 * it shrinks 4x or more (4096 px and up); a 2048 px one is decoded whole.
 */
import sharp from 'sharp';
import { ANALYSIS_SIZE } from './blur-features';
import { GreyImage } from './tile-stats';

export async function analysisImage(input: Buffer | string): Promise<GreyImage> {
  const { data, info } = await sharp(input, { failOn: 'error' })
    .rotate()
    .resize(ANALYSIS_SIZE, ANALYSIS_SIZE, { fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' })
    // toColourspace converts after the resize; greyscale() would convert every full-size pixel first.
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const grey = new Float32Array(info.width * info.height);
  const channels = info.channels;
  for (let i = 0, j = 0; i < grey.length; i++, j += channels) grey[i] = data[j];
  return { data: grey, width: info.width, height: info.height };
}
