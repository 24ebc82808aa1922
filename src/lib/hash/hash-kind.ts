/** Perceptual hash kinds. Pure so workflows and the CLI can validate options. */
export const HASH_KINDS = ['phash', 'dhash', 'ahash'] as const;
export type HashKind = (typeof HASH_KINDS)[number];

export function isHashKind(value: unknown): value is HashKind {
  return typeof value === 'string' && (HASH_KINDS as readonly string[]).includes(value);
}
