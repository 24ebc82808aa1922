/** Counters of a capture and how one tick's outcome changes them (pure). */
export type DuplicateReason = 'not_modified' | 'identical_bytes' | 'similar';

export interface CaptureCounters {
  /** Ticks that fetched (or tried to fetch) the camera. */
  fetched: number;
  kept: number;
  /** Duplicates in all, and by reason. */
  duplicate: number;
  duplicateBy: Record<DuplicateReason, number>;
  /** Rejected in all, and by reason (http_404, timeout, not_image, truncated, ...). */
  rejected: number;
  rejectedBy: Record<string, number>;
}

export type TickOutcome =
  | { outcome: 'kept'; key: string; hash: string; sha256: string; bytes: number; distance: number | null }
  | { outcome: 'duplicate'; reason: DuplicateReason; distance: number | null; hash: string | null }
  | { outcome: 'rejected'; reason: string; detail: string };

export function emptyCounters(): CaptureCounters {
  return {
    fetched: 0,
    kept: 0,
    duplicate: 0,
    duplicateBy: { not_modified: 0, identical_bytes: 0, similar: 0 },
    rejected: 0,
    rejectedBy: {},
  };
}

export function countOutcome(counters: CaptureCounters, tick: TickOutcome): CaptureCounters {
  const next: CaptureCounters = {
    ...counters,
    duplicateBy: { ...counters.duplicateBy },
    rejectedBy: { ...counters.rejectedBy },
    fetched: counters.fetched + 1,
  };
  if (tick.outcome === 'kept') next.kept++;
  else if (tick.outcome === 'duplicate') {
    next.duplicate++;
    next.duplicateBy[tick.reason]++;
  } else {
    next.rejected++;
    next.rejectedBy[tick.reason] = (next.rejectedBy[tick.reason] ?? 0) + 1;
  }
  return next;
}
