/**
 * Which stretches of a video to decode for a set of grid times. A single pass decodes
 * every frame of a segment, but the frame for time g only needs its keyframe and the
 * frames between: with a keyframe every 2 s and a frame every 1 s, the second half of
 * each keyframe interval is never needed, and skipping it halves the decoding. The
 * plan is made from packet timestamps (packet-times.ts), so it knows each wanted
 * frame's exact time before anything is decoded, and the result can be checked.
 */
import { SEEK_TOLERANCE_S } from './grid-select';
import { PacketTimes } from './packet-times';

export interface DecodeSpan {
  /** A keyframe: decoding starts here. */
  fromS: number;
  /** The last wanted frame before the next keyframe: decoding stops after it. */
  toS: number;
}

export interface DecodePlan {
  spans: DecodeSpan[];
  /** Grid time -> presentation time of its frame (the first frame at or after it). */
  frameFor: Map<number, number>;
  /** Frames decoded following the spans. */
  decodedFrames: number;
  /** Frames a single pass from the first span's keyframe to the segment end decodes. */
  passFrames: number;
}

/**
 * The spans for `times` (sorted grid times of one segment ending at endS), or undefined
 * when a wanted frame has no keyframe before it in the packets (let a single pass
 * decide then). Times without a frame before endS get no span: extraction reports them.
 */
export function planDecode(packets: PacketTimes, times: readonly number[], endS: number): DecodePlan | undefined {
  const { frames, keyframes } = packets;
  const lastUsable = endS - SEEK_TOLERANCE_S;
  const frameFor = new Map<number, number>();
  const lastWanted = new Map<number, number>();
  for (const t of times) {
    const frame = frames[lowerBound(frames, t - SEEK_TOLERANCE_S)];
    if (frame === undefined || frame >= lastUsable) continue;
    const keyframe = keyframes[lowerBound(keyframes, frame + 1e-9) - 1];
    if (keyframe === undefined) return undefined;
    frameFor.set(t, frame);
    lastWanted.set(keyframe, Math.max(lastWanted.get(keyframe) ?? frame, frame));
  }
  const spans = [...lastWanted].map(([fromS, toS]) => ({ fromS, toS })).sort((a, b) => a.fromS - b.fromS);
  if (spans.length === 0) return undefined;
  const countIn = (from: number, to: number) => lowerBound(frames, to) - lowerBound(frames, from);
  return {
    spans,
    frameFor,
    decodedFrames: spans.reduce((sum, s) => sum + countIn(s.fromS, s.toS + 1e-9), 0),
    passFrames: countIn(spans[0].fromS, lastUsable),
  };
}

/** First index whose value is >= target. */
function lowerBound(sorted: readonly number[], target: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
