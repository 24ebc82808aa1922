import sharp from 'sharp';
import { HashKind } from '../hash/hash-kind';
import { perceptualHash } from '../hash/perceptual-hash';
import { detectImageFormat, ImageFormat, jpegHasEnd, previewText } from './image-format';

export type ImageRejectReason = 'not_image' | 'truncated' | 'undecodable' | 'too_small' | 'too_dark';

export interface ImageChecks {
  minWidth: number;
  minHeight: number;
  minBytes: number;
  /** Reject frames whose mean luma (0-255) is below this; undefined keeps dark frames. */
  darkBelow?: number;
}

export type InspectedImage =
  | { ok: true; format: ImageFormat; width: number; height: number; hash: string; meanLuma: number }
  | { ok: false; reason: ImageRejectReason; detail: string };

/**
 * Validates an encoded image and hashes it: magic bytes, completeness, header size,
 * then one full decode (which also catches corrupt data) for the hash and brightness.
 */
export async function inspectImage(body: Buffer, kind: HashKind, checks: ImageChecks): Promise<InspectedImage> {
  const format = detectImageFormat(body);
  if (!format) {
    return { ok: false, reason: 'not_image', detail: `body is not an image: '${previewText(body)}'` };
  }
  if (body.length < checks.minBytes) {
    return { ok: false, reason: 'too_small', detail: `${body.length} bytes is below the minimum of ${checks.minBytes}` };
  }
  if (format === 'jpeg' && !jpegHasEnd(body)) {
    return { ok: false, reason: 'truncated', detail: `JPEG of ${body.length} bytes has no end marker` };
  }
  let width: number;
  let height: number;
  try {
    const meta = await sharp(body).metadata();
    width = meta.autoOrient?.width ?? meta.width ?? 0;
    height = meta.autoOrient?.height ?? meta.height ?? 0;
  } catch (err) {
    return { ok: false, reason: 'undecodable', detail: `cannot read ${format} header: ${(err as Error).message}` };
  }
  if (width < checks.minWidth || height < checks.minHeight) {
    return {
      ok: false,
      reason: 'too_small',
      detail: `${width}x${height} is below the minimum of ${checks.minWidth}x${checks.minHeight}`,
    };
  }
  let hashed: { hash: string; meanLuma: number };
  try {
    hashed = await perceptualHash(body, kind);
  } catch (err) {
    const message = (err as Error).message;
    const reason = /truncat|premature|end of/i.test(message) ? 'truncated' : 'undecodable';
    return { ok: false, reason, detail: `cannot decode ${format}: ${message}` };
  }
  if (checks.darkBelow !== undefined && hashed.meanLuma < checks.darkBelow) {
    return {
      ok: false,
      reason: 'too_dark',
      detail: `mean brightness ${hashed.meanLuma.toFixed(1)} is below ${checks.darkBelow}`,
    };
  }
  return { ok: true, format, width, height, hash: hashed.hash, meanLuma: hashed.meanLuma };
}
