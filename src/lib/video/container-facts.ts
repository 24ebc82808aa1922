/**
 * The container facts extraction needs when a caller passes only duration and rate:
 * its start time (MPEG-TS clocks start at 1.4 s; frame times count from it) and its
 * demuxer (only indexed containers seek exactly to a keyframe).
 */
import { runFfprobe } from './run-ffprobe';

export interface ContainerFacts {
  startTimeS: number;
  formatName: string;
}

export async function containerFacts(input: string, signal?: AbortSignal): Promise<ContainerFacts> {
  const out = await runFfprobe<{ format?: { start_time?: string; format_name?: string } }>(['-show_entries', 'format=start_time,format_name', input], signal);
  const start = Number(out.format?.start_time);
  return { startTimeS: Number.isFinite(start) ? start : 0, formatName: out.format?.format_name ?? 'unknown' };
}

/** Demuxers with a keyframe index (MP4/MOV, Matroska/WebM): a seek lands exactly on the keyframe asked for. MPEG-TS and raw streams only seek approximately. */
export function seeksExactly(formatName: string): boolean {
  return /(^|,)(mov|mp4|matroska|webm)(,|$)/.test(formatName);
}
