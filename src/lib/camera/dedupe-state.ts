/** What a camera remembers between ticks, runs and scheduled captures (pure). */
import { HashKind } from '../hash/hash-kind';
import { Validators } from '../http/fetch-image';

export interface RecentImage {
  hash: string;
  sha256: string;
}

export interface DedupeState {
  hashKind: HashKind;
  /** Last kept images, newest last, at most `window` of them. */
  recent: RecentImage[];
  /** sha256 of the last body fetched, kept or not: byte-identical repeats skip decoding. */
  lastSha256: string | null;
  /** ETag / Last-Modified of the last 200 response, sent back as If-None-Match / If-Modified-Since. */
  validators: Validators;
  lastKept: { key: string; tick: string; hash: string } | null;
}

export function emptyDedupeState(hashKind: HashKind): DedupeState {
  return { hashKind, recent: [], lastSha256: null, validators: {}, lastKept: null };
}

/** A state saved with another hash kind cannot be compared; keep only byte-level memory. */
export function adoptDedupeState(saved: DedupeState | null, hashKind: HashKind, window: number): DedupeState {
  if (!saved) return emptyDedupeState(hashKind);
  const recent = saved.hashKind === hashKind ? saved.recent.slice(-window) : [];
  return { ...saved, hashKind, recent };
}
