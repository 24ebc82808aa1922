/**
 * Train / validation / test split by scene, never by image: every photo of a scene
 * lands on the same side, so a model is never tested on a scene it trained on.
 * Scenes are ranked by a hash of (seed, scene), so the split is reproducible from
 * the recorded seed and does not depend on listing order. Pure.
 */
import { hashString } from './seeded-random';

export type SplitName = 'train' | 'validation' | 'test';

export interface SceneSplit {
  seed: number;
  validation: number;
  test: number;
  scenes: Record<SplitName, string[]>;
}

export function splitScenes(sceneIds: Iterable<string>, shares: { validation: number; test: number }, seed: number): SceneSplit {
  const unique = [...new Set(sceneIds)];
  const ranked = unique.map((s) => ({ s, h: mix32(hashString(`${seed}:${s}`)) })).sort((a, b) => a.h - b.h || (a.s < b.s ? -1 : 1));
  let nTest = Math.round(unique.length * shares.test);
  let nVal = Math.round(unique.length * shares.validation);
  // Keep at least one training scene whatever the shares.
  while (nTest + nVal >= unique.length && nTest + nVal > 0) {
    if (nVal >= nTest && nVal > 0) nVal--;
    else nTest--;
  }
  const names = ranked.map((r) => r.s);
  const sort = (xs: string[]) => [...xs].sort();
  return {
    seed,
    validation: shares.validation,
    test: shares.test,
    scenes: {
      test: sort(names.slice(0, nTest)),
      validation: sort(names.slice(nTest, nTest + nVal)),
      train: sort(names.slice(nTest + nVal)),
    },
  };
}

export function splitOf(split: SceneSplit): Map<string, SplitName> {
  const map = new Map<string, SplitName>();
  for (const name of ['train', 'validation', 'test'] as const) for (const s of split.scenes[name]) map.set(s, name);
  return map;
}

/** murmur3's finaliser: FNV-1a alone mixes the seed in too weakly, so nearby seeds gave the same split. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
