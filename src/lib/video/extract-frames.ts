/**
 * Exact frame extraction: for each grid time t in [startS, endS) (multiples of everyS),
 * the first frame at or after t, which is what `ffmpeg -ss t -i video -frames:v 1`
 * gives, written as `t000012.500.jpg` in a fresh temp folder. One ffmpeg process per
 * call; split a video with splitSegments to share it between workers or cores.
 *
 * What gets decoded: for a local MP4/MOV/Matroska/WebM file, only each wanted frame's
 * keyframe and the frames up to it (decode-plan.ts), when that saves at least a fifth
 * of a single pass; every frame's time is then checked against the packet index, and
 * a mismatch falls back to a single pass. Otherwise (URLs, where each span would be a
 * new request; MPEG-TS, which seeks only approximately) a single pass from the
 * keyframe before startS to endS.
 */
import { copyFile, mkdtemp, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { concatList } from './concat-list';
import { containerFacts, seeksExactly } from './container-facts';
import { DecodePlan, planDecode } from './decode-plan';
import { frameFileName, frameTimes } from './frame-times';
import { gridSelect, SEEK_TOLERANCE_S, seekFor } from './grid-select';
import { DEFAULT_JPEG_QUALITY } from './jpeg-quality';
import { packetTimes } from './packet-times';
import { VideoToSample } from './probe-video';
import { FfmpegError } from './run-ffmpeg';
import { FrameProgress, WrittenFrame, writeFrameJpegs } from './write-frame-jpegs';

export type DecodeStrategy = 'spans' | 'pass';

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
  /** 'spans': decode only up to each wanted frame from its keyframe when it pays and the container seeks exactly; 'pass': one pass over the segment. Default 'spans' for local files, 'pass' for URLs. */
  decode?: DecodeStrategy;
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
  /** How it was decoded: keyframe spans, or a single pass. */
  decoded: DecodeStrategy;
}

export class FrameCountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameCountError';
  }
}

/** Spans are used when they decode at most this share of a single pass. */
const SPANS_WORTH_IT = 0.8;

export async function extractFrames(video: VideoToSample, options: ExtractFramesOptions): Promise<ExtractedFrames> {
  const times = frameTimes(video.durationS, options.everyS, options.startS ?? 0, options.endS ?? video.durationS);
  const endS = Math.min(options.endS ?? video.durationS, video.durationS);
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 0)) {
    throw new RangeError(`threads must be a non-negative integer (0 = ffmpeg's choice), got ${options.threads}`);
  }
  if (options.signal?.aborted) throw options.signal.reason;
  const dir = await mkdtemp(path.join(options.tempParent ?? os.tmpdir(), 'visionflow-frames-'));
  try {
    if (times.length === 0) return { dir, frames: [], pastLastFrameS: [], decoded: 'pass' };
    const facts = video.startTimeS !== undefined && video.formatName !== undefined ? { startTimeS: video.startTimeS, formatName: video.formatName } : await containerFacts(video.input, options.signal);
    const run = { video, options, times, endS, startTimeS: facts.startTimeS, dir };
    const spans = (options.decode ?? (isUrl(video.input) ? 'pass' : 'spans')) === 'spans' && seeksExactly(facts.formatName);
    const plan = spans ? await worthwhilePlan(run) : undefined;
    const written = plan && (await trySpans(run, plan));
    if (written) return { dir, ...(await nameByTime(video, times, written)), decoded: 'spans' };
    return { dir, ...(await nameByTime(video, times, await decodePass(run))), decoded: 'pass' };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

interface Run {
  video: VideoToSample;
  options: ExtractFramesOptions;
  times: number[];
  endS: number;
  startTimeS: number;
  dir: string;
}

/** Packets are read from this long before the first time: some demuxers (MPEG-TS) seek past the keyframe before it. */
const PACKET_LOOKBACK_S = 30;

async function worthwhilePlan(run: Run): Promise<DecodePlan | undefined> {
  const startS = Math.max(0, run.times[0] - PACKET_LOOKBACK_S);
  const packets = await packetTimes(run.video.input, { startS, endS: run.endS, startTimeS: run.startTimeS }, run.options.signal);
  const plan = planDecode(packets, run.times, run.endS);
  return plan && plan.spans.length > 1 && plan.decodedFrames <= SPANS_WORTH_IT * plan.passFrames ? plan : undefined;
}

/** Seek to the first time (decoding starts at the keyframe before it) and read to the segment end. */
function decodePass(run: Run): Promise<WrittenFrame[]> {
  const seekS = seekFor(run.times[0]);
  const seek = seekS > 0 ? ['-ss', seekS.toFixed(6)] : [];
  // frames before (endS - tolerance) belong here; the next segment starts at its seek point
  const durationS = Math.max(0, run.endS - SEEK_TOLERANCE_S - seekS);
  return writeFrameJpegs({ ...common(run, -run.startTimeS), input: run.video.input, readOptions: [...seek, '-t', durationS.toFixed(6)] });
}

/**
 * The frames from the spans, or undefined when they are not exactly the frames the
 * packet index promised (or ffmpeg failed on the list): the caller then makes a single pass.
 */
async function trySpans(run: Run, plan: DecodePlan): Promise<WrittenFrame[] | undefined> {
  let written: WrittenFrame[] = [];
  try {
    written = await decodeSpans(run, plan);
    const planned = [...new Set(plan.frameFor.values())].sort((a, b) => a - b);
    if (written.length === planned.length && planned.every((pts, i) => Math.abs(written[i].ptsS - pts) < 1e-5)) return written;
  } catch (err) {
    if (run.options.signal?.aborted || !(err instanceof FfmpegError)) throw err;
  }
  await Promise.all(written.map((f) => rm(f.file, { force: true })));
  const leftovers = (await readdir(run.dir)).filter((f) => /^\d{6}\.jpg$/.test(f));
  await Promise.all(leftovers.map((f) => rm(path.join(run.dir, f), { force: true })));
  return undefined;
}

/** Read only the planned keyframe spans, through the concat demuxer. */
async function decodeSpans(run: Run, plan: DecodePlan): Promise<WrittenFrame[]> {
  const list = path.join(run.dir, 'spans.ffconcat');
  await writeFile(list, concatList(run.video.input, plan.spans, run.startTimeS));
  try {
    return await writeFrameJpegs({ ...common(run, plan.spans[0].fromS), input: list, readOptions: ['-f', 'concat', '-safe', '0'] });
  } finally {
    await unlink(list).catch(() => undefined);
  }
}

/** What both ways share; timeOffsetS turns ffmpeg's t into video time. */
function common(run: Run, timeOffsetS: number) {
  const { options, times } = run;
  return {
    timeOffsetS,
    filter: gridSelect({ everyS: options.everyS, timeOffsetS }),
    maxFrames: times.length,
    quality: options.quality ?? DEFAULT_JPEG_QUALITY,
    decoderOptions: options.threads !== undefined ? ['-threads', String(options.threads)] : [],
    dir: run.dir,
    signal: options.signal,
    onProgress: options.onProgress && ((p: FrameProgress) => options.onProgress?.({ ...p, expected: times.length })),
  };
}

function isUrl(input: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(input) && !input.startsWith('file:');
}

/**
 * Gives each grid time its frame (the first at or after it) and renames the files
 * after their times. A frame that stands for several times (a gap in a variable frame
 * rate video) is copied; a frame no time asked for, or a time without a frame
 * other than in the video's last frame interval, is a FrameCountError.
 */
async function nameByTime(video: VideoToSample, times: readonly number[], written: readonly WrittenFrame[]) {
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
  const renamed = new Map<string, string>();
  for (const frame of frames) {
    const target = path.join(path.dirname(frame.file), frameFileName(frame.tS));
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
