/**
 * One ffmpeg process that decodes what its read options say (a seek and a duration,
 * or a concat list of keyframe spans) and writes the frames a `select` expression
 * keeps as JPEGs, reporting each frame's true time from showinfo. `-frames:v` stops
 * ffmpeg as soon as the last wanted frame is written. ffmpeg's autorotation stays on:
 * frames come out the way players show them.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { jpegQscale } from './jpeg-quality';
import { runFfmpeg } from './run-ffmpeg';
import { ShowinfoFrames } from './showinfo-frames';

export interface FrameProgress {
  /** Frames written so far. */
  frames: number;
  /** Video time (s) ffmpeg has reached. */
  atS: number;
}

export interface FrameJpegRun {
  /** The video, or the concat list. */
  input: string;
  /** Options before -i choosing what is read (-ss/-t, or -f concat). */
  readOptions: readonly string[];
  /** Added to ffmpeg's t (under -copyts) to give the time on the video's timeline. */
  timeOffsetS: number;
  /** The filter chain before showinfo (a select expression). */
  filter: string;
  /** Stop after this many frames. */
  maxFrames: number;
  /** 1-100. */
  quality: number;
  /** Decoder options placed before -i (e.g. -skip_frame nokey, -threads 1). */
  decoderOptions?: readonly string[];
  /** An existing, empty folder the JPEGs go to (as 000000.jpg, 000001.jpg, ...). */
  dir: string;
  signal?: AbortSignal;
  onProgress?: (progress: FrameProgress) => void;
}

export interface WrittenFrame {
  /** True presentation time on the video's timeline, seconds. */
  ptsS: number;
  file: string;
}

/** The frames written, in time order. */
export async function writeFrameJpegs(run: FrameJpegRun): Promise<WrittenFrame[]> {
  const qscale = jpegQscale(run.quality);
  const showinfo = new ShowinfoFrames();
  await runFfmpeg({
    input: run.input,
    // -copyts: timestamps stay the file's own, so a frame's time does not depend on where reading started
    inputOptions: [...(run.decoderOptions ?? []), ...run.readOptions, '-copyts'],
    outputOptions: [
      '-map', '0:v:0', '-an', '-sn', '-dn',
      '-vf', `${run.filter},showinfo`,
      // passthrough: one JPEG per kept frame, no duplicates or drops to fill a constant rate
      '-vsync', 'passthrough',
      '-frames:v', String(run.maxFrames),
      '-q:v', String(qscale),
      '-f', 'image2', '-start_number', '0',
    ],
    output: path.join(run.dir, '%06d.jpg'),
    signal: run.signal,
    onStderrLine: (line) => {
      const t = showinfo.line(line);
      if (t !== undefined) run.onProgress?.({ frames: showinfo.times.length, atS: t + run.timeOffsetS });
      else if (run.onProgress && line.startsWith('frame=')) run.onProgress({ frames: showinfo.times.length, atS: (showinfo.times.at(-1) ?? 0) + run.timeOffsetS });
    },
  });
  const files = (await readdir(run.dir)).filter((f) => /^\d{6}\.jpg$/.test(f)).sort();
  if (files.length !== Math.min(showinfo.times.length, run.maxFrames)) {
    throw new Error(`ffmpeg wrote ${files.length} JPEGs but reported ${showinfo.times.length} frames for ${run.input}`);
  }
  return files.map((f, i) => ({ ptsS: round6(showinfo.times[i] + run.timeOffsetS), file: path.join(run.dir, f) }));
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
