/**
 * The ffmpeg `select` expression that keeps, for each grid time g, the first frame at or
 * after g: the frame `ffmpeg -ss g -i video -frames:v 1` gives. A frame is kept when it
 * falls in a later grid cell than the last kept frame, so a segment is decoded once,
 * front to back, and nothing is kept twice.
 *
 * ffmpeg runs with -copyts, so `t` is the frame's own timestamp whatever the seek: a
 * segment and a whole-video run see the same numbers. `t + timeOffsetS` is the time on
 * the video's timeline (offset: minus the container's start time after a seek, the
 * first keyframe when reading a concat list).
 * Times carry a half-millisecond tolerance (SEEK_TOLERANCE_S): a frame stamped 0.4999 s
 * by a 1/10000 time base counts as "at 0.5 s". Segments seek to (start - tolerance), so
 * the frame a boundary belongs to is decided the same way on both sides of it.
 */
import { toMs } from './frame-times';

export const SEEK_TOLERANCE_S = 0.0005;

/** Where to seek (`-ss`) for a segment whose first grid time is firstS: 0 means no seek. */
export function seekFor(firstS: number): number {
  return firstS > 0 ? firstS - SEEK_TOLERANCE_S : 0;
}

export interface GridSelectOptions {
  everyS: number;
  /** Added to ffmpeg's `t` to give the time on the video's timeline. */
  timeOffsetS?: number;
  /** An ffmpeg expression a frame must also satisfy, e.g. 'key'. */
  also?: string;
}

/** `select='…'` without spaces; the single quotes protect its commas inside the filtergraph. */
export function gridSelect({ everyS, timeOffsetS = 0, also }: GridSelectOptions): string {
  const offset = SEEK_TOLERANCE_S + timeOffsetS;
  const shift = offset >= 0 ? `+${decimal(offset)}` : `-${decimal(-offset)}`;
  const every = decimal(toMs(everyS) / 1000);
  const cell = (time: string) => `floor((${time}${shift})/${every})`;
  const firstInCell = `if(isnan(prev_selected_t),1,gt(${cell('t')},${cell('prev_selected_t')}))`;
  return `select='${also ? `if(${also},${firstInCell},0)` : firstInCell}'`;
}

/** Plain decimal without exponent, to the microsecond. */
function decimal(value: number): string {
  return Number(value.toFixed(6)).toString();
}
