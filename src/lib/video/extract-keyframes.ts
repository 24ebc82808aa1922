/**
 * Keyframe mode: only keyframes are decoded (`-skip_frame nokey`), so a video with a 2 s
 * keyframe interval costs one decoded frame in 50 instead of all of them. Frames are
 * not at grid times: each is named after its true presentation time, which is
 * recorded. Offered where exact times do not matter (a first look, dataset seeding).
 */
import { mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { containerFacts } from './container-facts';
import { frameFileName, stepMs, toMs } from './frame-times';
import { gridSelect, SEEK_TOLERANCE_S, seekFor } from './grid-select';
import { DEFAULT_JPEG_QUALITY } from './jpeg-quality';
import { VideoToSample } from './probe-video';
import { FrameProgress, writeFrameJpegs } from './write-frame-jpegs';

export interface ExtractKeyframesOptions {
  /** At most one keyframe per grid cell of this many seconds (the first at or after each grid time); default every keyframe. */
  everyS?: number;
  startS?: number;
  endS?: number;
  quality?: number;
  threads?: number;
  tempParent?: string;
  signal?: AbortSignal;
  onProgress?: (progress: FrameProgress) => void;
}

export interface ExtractedKeyframe {
  /** The keyframe's true presentation time, to the millisecond (the file name's time). */
  tS: number;
  /** Unrounded presentation time. */
  ptsS: number;
  /** `<dir>/t000012.000.jpg`. */
  file: string;
}

export async function extractKeyframes(video: VideoToSample, options: ExtractKeyframesOptions = {}): Promise<{ dir: string; frames: ExtractedKeyframe[] }> {
  const startS = options.startS ?? 0;
  const endS = Math.min(options.endS ?? video.durationS, video.durationS);
  if (!(endS >= startS)) throw new RangeError(`endS (${endS}) must not be before startS (${startS})`);
  const everyS = options.everyS;
  // With a grid the stretch starts on its first grid time, as in extractFrames.
  const first = everyS === undefined ? startS : (Math.ceil(toMs(startS) / stepMs(everyS)) * stepMs(everyS)) / 1000;
  if (options.signal?.aborted) throw options.signal.reason;
  const dir = await mkdtemp(path.join(options.tempParent ?? os.tmpdir(), 'visionflow-keyframes-'));
  try {
    const startTimeS = video.startTimeS ?? (await containerFacts(video.input, options.signal)).startTimeS;
    const seekS = seekFor(first);
    const written = await writeFrameJpegs({
      input: video.input,
      readOptions: [...(seekS > 0 ? ['-ss', seekS.toFixed(6)] : []), '-t', Math.max(0, endS - SEEK_TOLERANCE_S - seekS).toFixed(6)],
      timeOffsetS: -startTimeS,
      // `key` keeps this right even with a decoder that ignores -skip_frame (it is then only slower).
      filter: everyS === undefined ? "select='key'" : gridSelect({ everyS, timeOffsetS: -startTimeS, also: 'key' }),
      // an upper bound: every frame of the stretch
      maxFrames: Math.ceil((endS - seekS) * video.fps) + 1,
      quality: options.quality ?? DEFAULT_JPEG_QUALITY,
      decoderOptions: ['-skip_frame', 'nokey', ...(options.threads !== undefined ? ['-threads', String(options.threads)] : [])],
      dir,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    const frames: ExtractedKeyframe[] = [];
    for (const frame of written) {
      const tS = toMs(frame.ptsS) / 1000;
      const file = path.join(dir, frameFileName(tS));
      await rename(frame.file, file);
      frames.push({ tS, ptsS: frame.ptsS, file });
    }
    return { dir, frames };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
