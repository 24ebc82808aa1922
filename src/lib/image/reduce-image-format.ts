/** Options of image reduction and their validation (pure: workflows validate with it). */
export const OUTPUT_FORMATS = ['jpeg', 'webp', 'same'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface ReduceOptions {
  /** 1-100. */
  quality: number;
  /** Longest side in pixels after reduction; larger images are shrunk, smaller never enlarged. */
  maxSide?: number;
  format?: OutputFormat;
  /** mozjpeg trellis quantisation: ~10 % smaller JPEGs for ~2x the encode time. */
  mozjpeg?: boolean;
  /**
   * Optimal Huffman tables (an extra encoder pass; default true): about 19 % smaller files
   * at quality 60 for about 37 % more CPU per image. false encodes like Pillow's default.
   */
  optimizeCoding?: boolean;
  /** Keep EXIF/XMP/ICC metadata instead of stripping it. */
  keepMetadata?: boolean;
}

export function checkReduceOptions(options: ReduceOptions): void {
  if (!Number.isInteger(options.quality) || options.quality < 1 || options.quality > 100) {
    throw new Error(`quality must be an integer from 1 to 100, got ${options.quality}`);
  }
  if (options.maxSide !== undefined && (!Number.isInteger(options.maxSide) || options.maxSide < 16 || options.maxSide > 65535)) {
    throw new Error(`maxSide must be an integer from 16 to 65535, got ${options.maxSide}`);
  }
  if (options.format !== undefined && !(OUTPUT_FORMATS as readonly string[]).includes(options.format)) {
    throw new Error(`format must be one of ${OUTPUT_FORMATS.join(', ')}, got '${options.format}'`);
  }
}

