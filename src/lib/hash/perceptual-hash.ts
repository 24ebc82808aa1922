import sharp from 'sharp';
import { averageHashBits, differenceHashBits, perceptualHashBits } from './hash-bits';
import { HashKind } from './hash-kind';

const SIZES: Record<HashKind, { width: number; height: number }> = {
  ahash: { width: 8, height: 8 },
  dhash: { width: 9, height: 8 },
  phash: { width: 32, height: 32 },
};

export interface HashResult {
  hash: string;
  /** Mean luma (0-255) of the shrunk greyscale image; cheap night detection. */
  meanLuma: number;
}

/**
 * Decodes an encoded image once with sharp (JPEG shrink-on-load keeps this cheap for
 * large frames), shrinks it to the hash's grid in greyscale and hashes the raw pixels.
 * Throws when the image cannot be decoded or is truncated.
 */
export async function perceptualHash(image: Buffer, kind: HashKind): Promise<HashResult> {
  const { width, height } = SIZES[kind];
  const pixels = await sharp(image, { failOn: 'truncated' })
    .removeAlpha()
    .rotate() // honour EXIF orientation so a re-oriented upload hashes the same
    .greyscale()
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  const grey = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length);
  let sum = 0;
  for (const p of grey) sum += p;
  return { hash: hashPixels(grey, kind), meanLuma: sum / grey.length };
}

export function hashPixels(grey: Uint8Array, kind: HashKind): string {
  switch (kind) {
    case 'ahash':
      return averageHashBits(grey);
    case 'dhash':
      return differenceHashBits(grey);
    case 'phash':
      return perceptualHashBits(grey);
  }
}
