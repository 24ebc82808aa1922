/**
 * Splits a video's frame grid into segments so several workers can share one video:
 * boundaries sit on grid times, so every grid time belongs to exactly one segment
 * ([startS, endS) half-open), and each worker seeks straight to its own start.
 */
import { fromMs, stepMs, toMs, frameTimes } from './frame-times';

export interface FrameSegment {
  /** 0-based position in the video. */
  index: number;
  /** A grid time: the segment's first frame time. */
  startS: number;
  /** The next segment's startS, or the video's duration for the last one. */
  endS: number;
  /** The grid times in [startS, endS). */
  times: number[];
}

/**
 * Segments of about `segmentS` seconds (rounded to a whole number of grid steps, at
 * least one) covering the grid times in [0, durationS).
 */
export function splitSegments(durationS: number, everyS: number, segmentS: number): FrameSegment[] {
  const every = stepMs(everyS);
  if (!Number.isFinite(segmentS) || segmentS <= 0) throw new RangeError(`segmentS must be a positive number of seconds, got ${segmentS}`);
  const steps = Math.max(1, Math.round(toMs(segmentS) / every));
  const all = frameTimes(durationS, everyS);
  const segments: FrameSegment[] = [];
  for (let first = 0; first < all.length; first += steps) {
    const times = all.slice(first, first + steps);
    const next = first + steps < all.length ? all[first + steps] : durationS;
    segments.push({ index: segments.length, startS: times[0], endS: next, times });
  }
  return segments;
}

/** `count` segments of (nearly) equal frame counts: one per parallel worker or process. */
export function splitSegmentsEvenly(durationS: number, everyS: number, count: number): FrameSegment[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a positive integer, got ${count}`);
  const total = frameTimes(durationS, everyS).length;
  const steps = Math.max(1, Math.ceil(total / count));
  return splitSegments(durationS, everyS, fromMs(steps * stepMs(everyS)));
}
