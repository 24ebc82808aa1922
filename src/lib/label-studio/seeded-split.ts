/**
 * Train/val split by a seeded ratio: each task gets a hash of (seed, task id); the
 * `round(n * ratio)` lowest go to val. Deterministic whatever the order of tasks. Pure.
 */
export function valTaskIds(taskIds: number[], ratio: number, seed: number): Set<number> {
  const ranked = [...taskIds].map((id) => ({ id, h: hash32(`${seed}:${id}`) })).sort((a, b) => a.h - b.h || a.id - b.id);
  return new Set(ranked.slice(0, Math.round(taskIds.length * ratio)).map((r) => r.id));
}

/** FNV-1a, 32 bits. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
