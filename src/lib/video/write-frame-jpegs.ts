/**
 * One ffmpeg process that decodes a stretch of a video and writes the frames a
 * `select` expression keeps as JPEGs into a fresh temp folder, reporting each frame's
 * true time. Input seeking (`-ss` before `-i`) starts decoding at the keyframe before
 * the stretch, `-t` before `-i` stops reading at its end and `-frames:v` stops as soon
 * as the last wanted frame is written, so nothing outside the stretch is decoded.
 * ffmpeg's autorotation stays on: frames come out the way players show them.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
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
  input: string;
  /** Input seek in seconds on the video's timeline (0: from the start). */
  seekS: number;
  /** The container's start time (VideoInfo.startTimeS): under -copyts frame timestamps include it. */
  startTimeS: number;
  /** Seconds to read after the seek point. */
  durationS: number;
  /** The filter chain before showinfo (a select expression). */
  filter: string;
  /** Stop after this many frames. */
  maxFrames: number;
  /** 1-100. */
  quality: number;
  /** Decoder options placed before -i (e.g. -skip_frame nokey, -threads 1). */
  decoderOptions?: readonly string[];
  /** Where the temp folder is made (default os.tmpdir()). */
  tempParent?: string;
  signal?: AbortSignal;
  onProgress?: (progress: FrameProgress) => void;
}

export interface WrittenFrame {
  /** True presentation time in the video (from its start time), seconds. */
  ptsS: number;
  file: string;
}

/** The temp folder (the caller owns it) and the frames in time order. On any failure the folder is removed. */
export async function writeFrameJpegs(run: FrameJpegRun): Promise<{ dir: string; frames: WrittenFrame[] }> {
  const qscale = jpegQscale(run.quality);
  const dir = await mkdtemp(path.join(run.tempParent ?? os.tmpdir(), 'visionflow-frames-'));
  try {
    const showinfo = new ShowinfoFrames();
    const seek = run.seekS > 0 ? ['-ss', run.seekS.toFixed(6)] : [];
    await runFfmpeg({
      input: run.input,
      // -copyts: timestamps stay the file's own, so a frame's time does not depend on where the seek landed
      inputOptions: [...(run.decoderOptions ?? []), ...seek, '-t', run.durationS.toFixed(6), '-copyts'],
      outputOptions: [
        '-map', '0:v:0', '-an', '-sn', '-dn',
        '-vf', `${run.filter},showinfo`,
        // passthrough: one JPEG per kept frame, no duplicates or drops to fill a constant rate
        '-vsync', 'passthrough',
        '-frames:v', String(run.maxFrames),
        '-q:v', String(qscale),
        '-f', 'image2', '-start_number', '0',
      ],
      output: path.join(dir, '%06d.jpg'),
      signal: run.signal,
      onStderrLine: (line) => {
        const t = showinfo.line(line);
        if (t !== undefined) run.onProgress?.({ frames: showinfo.times.length, atS: t - run.startTimeS });
        else if (run.onProgress && line.startsWith('frame=')) run.onProgress({ frames: showinfo.times.length, atS: Math.max(run.seekS, statsTime(line) - run.startTimeS) });
      },
    });
    const files = (await readdir(dir)).filter((f) => /^\d{6}\.jpg$/.test(f)).sort();
    if (files.length !== Math.min(showinfo.times.length, run.maxFrames)) {
      throw new Error(`ffmpeg wrote ${files.length} JPEGs but reported ${showinfo.times.length} frames for ${run.input}`);
    }
    return { dir, frames: files.map((f, i) => ({ ptsS: round6(showinfo.times[i] - run.startTimeS), file: path.join(dir, f) })) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** `time=00:01:02.50` of a progress line, in seconds (0 when absent or N/A). */
function statsTime(line: string): number {
  const m = /time=(\d+):(\d+):(\d+(?:\.\d+)?)/.exec(line);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : 0;
}

function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
