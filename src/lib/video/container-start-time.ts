/**
 * The container's start time: MPEG-TS clocks start at 1.4 s, some MP4 edits at a few
 * frames. Frame times count from it; probeVideo reports it, and extraction reads it
 * here when a caller passes only duration and rate.
 */
import { runFfprobe } from './run-ffprobe';

export async function containerStartTime(input: string, signal?: AbortSignal): Promise<number> {
  const out = await runFfprobe<{ format?: { start_time?: string } }>(['-show_entries', 'format=start_time', input], signal);
  const start = Number(out.format?.start_time);
  return Number.isFinite(start) ? start : 0;
}
