/** Recognises encoded images by their magic bytes, before any decoding. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif';

export const EXTENSIONS: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', gif: 'gif' };

export const CONTENT_TYPES: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
};

export function detectImageFormat(body: Buffer): ImageFormat | undefined {
  if (body.length >= 3 && body[0] === 0xff && body[1] === 0xd8 && body[2] === 0xff) return 'jpeg';
  if (body.length >= 8 && body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (body.length >= 12 && body.toString('latin1', 0, 4) === 'RIFF' && body.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  if (body.length >= 6 && /^GIF8[79]a$/.test(body.toString('latin1', 0, 6))) return 'gif';
  return undefined;
}

/**
 * A complete JPEG ends with the EOI marker (FF D9), possibly followed by a little
 * padding some cameras add. Entropy-coded data never contains FF D9 (FF is stuffed),
 * so a missing EOI near the end means the transfer was cut.
 */
export function jpegHasEnd(body: Buffer): boolean {
  const tail = Math.max(2, body.length - 1024);
  for (let i = body.length - 2; i >= tail; i--) {
    if (body[i] === 0xff && body[i + 1] === 0xd9) {
      return body.subarray(i + 2).every((b) => b === 0x00 || b === 0xff || b === 0x0a || b === 0x0d);
    }
  }
  return false;
}

/** A short printable preview of a body that is not an image, for reject reasons. */
export function previewText(body: Buffer, max = 80): string {
  const text = body.subarray(0, 512).toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
