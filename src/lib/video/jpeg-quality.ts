/**
 * JPEG quality 1-100 (as sharp, Pillow and OpenCV take it) to ffmpeg's mjpeg
 * `-q:v` 31-2 (lower is better; 2 is the best the encoder does by default).
 */
/** What frames are written at unless a caller says otherwise: visually lossless for labelling, a third of q100's size. */
export const DEFAULT_JPEG_QUALITY = 90;

export function jpegQscale(quality: number): number {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new RangeError(`quality must be an integer 1-100, got ${quality}`);
  return Math.round(2 + ((100 - quality) * 29) / 99);
}
