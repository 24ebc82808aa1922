/**
 * Exact frame extraction: for each grid time t in [startS, endS) (multiples of everyS),
 * the first frame at or after t, which is what `ffmpeg -ss t -i video -frames:v 1`
 * gives, written as `t000012.500.jpg` in a fresh temp folder. One ffmpeg process per
 * call decodes the segment once; split a video with splitSegments to share it
 * between workers or cores.
 */
import { copyFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { frameFileName, frameTimes } from './frame-times';
import { gridSelect, SEEK_TOLERANCE_S, seekFor } from './grid-select';
import { DEFAULT_JPEG_QUALITY } from './jpeg-quality';
import { containerStartTime } from './container-start-time';
import { VideoToSample } from './probe-video';
import { FrameProgress, writeFrameJpegs } from './write-frame-jpegs';

export interface ExtractFramesOptions {
  /** Grid step in seconds (1 ms resolution): 1 = one frame per second, 0.5 = two. */
  everyS: number;
  /** Default 0. */
  startS?: number;
  /** Exclusive; default the video's duration. */
  endS?: number;
  /** JPEG quality 1-100, default 90. */
  quality?: number;
  /** ffmpeg decoder threads (`-threads` before -i); default ffmpeg's choice (all cores). 1 when running one process per core. */
  threads?: number;
  /** Where the temp folder is made (default os.tmpdir()). */
  tempParent?: string;
  signal?: AbortSignal;
  /** Called at each written frame and each ffmpeg progress line (about twice a second): heartbeat material. */
  onProgress?: (progress: FrameProgress & { expected: number }) => void;
}

export interface ExtractedFrame {
  /** The grid time asked for. */
  tS: number;
  /** The frame's true presentation time (>= tS - 0.5 ms; < tS + one frame for constant frame rates). */
  ptsS: number;
  /** `<dir>/t000012.500.jpg`. */
  file: string;
}

export interface ExtractedFrames {
  /** The temp folder holding the JPEGs; the caller removes it. */
  dir: string;
  frames: ExtractedFrame[];
  /** Grid times in the video's last frame interval that no frame starts at or after (the container's duration can end a frame after the last frame starts). */
  pastLastFrameS: number[];
}

export class FrameCountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameCountError';
  }
}

export async function extractFrames(video: VideoToSample, options: ExtractFramesOptions): Promise<ExtractedFrames> {
  const times = frameTimes(video.durationS, options.everyS, options.startS ?? 0, options.endS ?? video.durationS);
  const endS = Math.min(options.endS ?? video.durationS, video.durationS);
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 0)) {
    throw new RangeError(`threads must be a non-negative integer (0 = ffmpeg's choice), got ${options.threads}`);
  }
  const first = times[0] ?? endS;
  const seekS = seekFor(first);
  const startTimeS = video.startTimeS ?? (await containerStartTime(video.input, options.signal));
  const written = await writeFrameJpegs({
    input: video.input,
    seekS,
    startTimeS,
    // frames before (endS - tolerance) belong here; the next segment starts at its seek point
    durationS: Math.max(0, endS - SEEK_TOLERANCE_S - seekS),
    filter: gridSelect({ everyS: options.everyS, startTimeS }),
    maxFrames: Math.max(1, times.length),
    quality: options.quality ?? DEFAULT_JPEG_QUALITY,
    decoderOptions: options.threads !== undefined ? ['-threads', String(options.threads)] : [],
    tempParent: options.tempParent,
    signal: options.signal,
    onProgress: options.onProgress && ((p) => options.onProgress?.({ ...p, expected: times.length })),
  });
  if (times.length === 0) {
    await rm(written.dir, { recursive: true, force: true });
    return { dir: written.dir, frames: [], pastLastFrameS: [] };
  }
  try {
    return { dir: written.dir, ...(await nameByTime(video, times, written.frames)) };
  } catch (err) {
    await rm(written.dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Gives each grid time its frame (the first at or after it) and renames the files
 * after their times. A frame that stands for several times (a gap in a variable frame
 * rate video) is copied; a frame no time asked for, or a time without a frame
 * other than in the video's last frame interval, is a FrameCountError.
 */
async function nameByTime(video: VideoToSample, times: readonly number[], written: readonly { ptsS: number; file: string }[]) {
  const frames: ExtractedFrame[] = [];
  const pastLastFrameS: number[] = [];
  const used = new Set<number>();
  let next = 0;
  for (const t of times) {
    while (next < written.length && written[next].ptsS < t - SEEK_TOLERANCE_S) next++;
    if (next === written.length) {
      pastLastFrameS.push(t);
      continue;
    }
    used.add(next);
    frames.push({ tS: t, ptsS: written[next].ptsS, file: written[next].file });
  }
  const lastFrameInterval = video.durationS - 1 / video.fps - 0.001;
  const missing = pastLastFrameS.filter((t) => t < lastFrameInterval);
  if (missing.length > 0 || used.size !== written.length) {
    const extra = written.filter((_, i) => !used.has(i)).map((f) => f.ptsS);
    throw new FrameCountError(
      `${video.input}: expected ${times.length} frames at ${describe(times)}, ffmpeg wrote ${written.length}` +
        (missing.length > 0 ? `; no frame at or after ${describe(missing)} (the video may be truncated)` : '') +
        (extra.length > 0 ? `; unexpected frames at ${describe(extra)}` : ''),
    );
  }
  const dir = path.dirname(written[0]?.file ?? '.');
  const renamed = new Map<string, string>();
  for (const frame of frames) {
    const target = path.join(dir, frameFileName(frame.tS));
    const already = renamed.get(frame.file);
    if (already) await copyFile(already, target);
    else {
      await rename(frame.file, target);
      renamed.set(frame.file, target);
    }
    frame.file = target;
  }
  return { frames, pastLastFrameS };
}

function describe(times: readonly number[]): string {
  const shown = times.slice(0, 5).map((t) => `${t}s`).join(', ');
  return times.length > 5 ? `${shown}, … (${times.length})` : shown;
}
