/**
 * Decode an encoded image (JPEG, PNG, WebP, …) to 8-bit grey pixels with sharp,
 * upright (EXIF orientation applied), transparency flattened onto white, and
 * shrunk so neither side exceeds `maxSide` (never enlarged). Feature matching
 * works on these pixels; boxes found on them are fractions of the image, so they
 * hold for the original size too.
 */
import sharp from 'sharp';

export interface GreyImage {
  /** width * height bytes, row-major, one byte per pixel. */
  data: Buffer;
  width: number;
  height: number;
}

/** `what` names the input in errors, e.g. "frame" or "reference image for label 'acme'". */
export async function decodeGrey(bytes: Buffer, maxSide: number, what: string): Promise<GreyImage> {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw new Error(`${what} is empty; expected the bytes of an image (JPEG, PNG, WebP)`);
  try {
    const { data, info } = await sharp(bytes, { failOn: 'truncated' })
      .rotate()
      .resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels === 1) return { data, width: info.width, height: info.height };
    const grey = Buffer.alloc(info.width * info.height);
    for (let i = 0; i < grey.length; i++) grey[i] = data[i * info.channels];
    return { data: grey, width: info.width, height: info.height };
  } catch (err) {
    throw new Error(`${what} is not an image sharp can decode (JPEG, PNG, WebP): ${(err as Error).message}`);
  }
}
