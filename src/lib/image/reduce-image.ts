/**
 * Re-encodes an image smaller with sharp: EXIF orientation applied, optional longest
 * side, metadata stripped unless asked. The rule for formats:
 *
 * - `format: 'jpeg'` (default): every input (JPEG, PNG, WebP, TIFF, GIF's first frame,
 *   …) becomes a JPEG at `quality`; transparency is flattened onto white.
 * - `format: 'webp'`: every input becomes a WebP at `quality` (alpha kept).
 * - `format: 'same'`: JPEG stays JPEG at `quality`, WebP stays WebP at `quality`,
 *   PNG stays PNG recompressed losslessly; other inputs become JPEG.
 *
 * When the result would not be smaller, the original bytes are kept (`keptOriginal`),
 * but only if that keeps every other promise: same format (names match contents),
 * within the size limit, upright without an EXIF rotation, and no EXIF/XMP/IPTC
 * left when metadata is to be stripped.
 */
import sharp, { Metadata, OutputInfo } from 'sharp';
import { OutputFormat, ReduceOptions } from './reduce-image-format';

export type { OutputFormat, ReduceOptions } from './reduce-image-format';

export type EncodedFormat = 'jpeg' | 'png' | 'webp';

export interface ReducedImage {
  body: Buffer;
  /** Format of `body`; for a kept original, the input's format as sharp names it. */
  format: string;
  width: number;
  height: number;
  keptOriginal: boolean;
}

export class NotAnImageError extends Error {
  constructor(detail: string) {
    super(`not an image sharp can decode: ${detail}`);
    this.name = 'NotAnImageError';
  }
}

export const EXTENSION_OF: Record<string, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };

/** The encoding `reduceImage` will use for an input format. */
export function targetFormat(inputFormat: string, format: OutputFormat = 'jpeg'): EncodedFormat {
  if (format === 'jpeg' || format === 'webp') return format;
  return inputFormat === 'png' || inputFormat === 'webp' ? inputFormat : 'jpeg';
}

export async function reduceImage(input: Buffer, options: ReduceOptions): Promise<ReducedImage> {
  let meta: Metadata;
  try {
    meta = await sharp(input).metadata();
  } catch (err) {
    throw new NotAnImageError((err as Error).message);
  }
  if (!meta.format || !meta.width || !meta.height) throw new NotAnImageError('no format or size in the header');
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  const oversize = options.maxSide !== undefined && Math.max(width, height) > options.maxSide;
  const target = targetFormat(meta.format, options.format);

  let pipeline = sharp(input, { failOn: 'truncated' }).rotate();
  if (oversize) {
    pipeline = pipeline.resize({ width: options.maxSide, height: options.maxSide, fit: 'inside', withoutEnlargement: true });
  }
  if (options.keepMetadata) pipeline = pipeline.keepMetadata();
  if (target === 'jpeg') pipeline = pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: options.quality, mozjpeg: options.mozjpeg ?? false, optimiseCoding: options.optimizeCoding ?? true });
  else if (target === 'webp') pipeline = pipeline.webp({ quality: options.quality });
  else pipeline = pipeline.png({ compressionLevel: 9, adaptiveFiltering: true });

  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await pipeline.toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new NotAnImageError((err as Error).message);
  }
  // Keeping the input must not break a promise made above: size, format, upright
  // pixels, and no EXIF/XMP/IPTC (GPS!) left when metadata is to be stripped.
  const keepable =
    !oversize &&
    target === meta.format &&
    (meta.orientation ?? 1) === 1 &&
    (options.keepMetadata || !(meta.exif || meta.xmp || meta.iptc));
  if (keepable && out.data.length >= input.length) {
    return { body: input, format: meta.format, width, height, keptOriginal: true };
  }
  return { body: out.data, format: target, width: out.info.width, height: out.info.height, keptOriginal: false };
}
