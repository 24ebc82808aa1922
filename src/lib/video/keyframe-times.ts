/**
 * Keyframe times from packet flags (demuxing only, nothing is decoded), on the same
 * timeline as frame times: seconds from the container's start time.
 */
import { runFfprobe } from './run-ffprobe';

export interface KeyframeRange {
  /** Default 0. */
  startS?: number;
  /** Default: to the end. */
  endS?: number;
  /** The container's start time (VideoInfo.startTimeS); packet times are shifted by it. */
  startTimeS?: number;
}

interface PacketOutput {
  packets?: { pts_time?: string; dts_time?: string; flags?: string }[];
}

/** Sorted keyframe times in [startS, endS). */
export async function keyframeTimes(input: string, range: KeyframeRange = {}, signal?: AbortSignal): Promise<number[]> {
  const offset = range.startTimeS ?? 0;
  const start = range.startS ?? 0;
  const from = start + offset;
  const interval = range.endS === undefined ? `${from}` : `${from}%${range.endS + offset}`;
  const out = await runFfprobe<PacketOutput>(['-select_streams', 'v:0', '-show_entries', 'packet=pts_time,dts_time,flags', '-read_intervals', interval, input], signal);
  const times = (out.packets ?? [])
    .filter((p) => p.flags?.startsWith('K'))
    .map((p) => (seconds(p.pts_time) ?? seconds(p.dts_time) ?? NaN) - offset)
    .filter((t) => Number.isFinite(t) && t >= start - 0.0005 && (range.endS === undefined || t < range.endS - 0.0005));
  return [...new Set(times.map((t) => Math.round(t * 1e6) / 1e6))].sort((a, b) => a - b);
}

/** ffprobe writes 'N/A' for unknown times. */
function seconds(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) ? n : undefined;
}
