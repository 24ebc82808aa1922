const HEX64 = /^[0-9a-fA-F]{16}$/;

/** Hamming distance between two 64-bit hashes written as 16 hex digits. */
export function hammingDistance(a: string, b: string): number {
  if (!HEX64.test(a) || !HEX64.test(b)) {
    throw new Error(`hashes must be 16 hex digits, got '${a}' and '${b}'`);
  }
  return popcount32(parseInt(a.slice(0, 8), 16) ^ parseInt(b.slice(0, 8), 16)) +
    popcount32(parseInt(a.slice(8), 16) ^ parseInt(b.slice(8), 16));
}

function popcount32(x: number): number {
  let v = x >>> 0;
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Smallest distance from `hash` to any of `others`, or Infinity when there are none. */
export function nearestDistance(hash: string, others: readonly string[]): number {
  let best = Infinity;
  for (const other of others) best = Math.min(best, hammingDistance(hash, other));
  return best;
}
