/**
 * The `video` part: wall time to extract 1 frame per second from a 10-minute 1080p
 * H.264 video (keyframe every 2 s, video-source.ts), on all cores, in the same run:
 *
 * - ours, exact: probeVideo, splitSegmentsEvenly into one segment per core, each
 *   extractFrames in its own ffmpeg process (`-threads 1`), decoding only each wanted
 *   frame's keyframe and the frames up to it (the default for local files);
 * - ours, exact, single pass: the same with decode 'pass', every frame of each segment
 *   decoded: what decoding-bound extraction costs (first round only: context);
 * - ours, keyframe mode: extractKeyframes on the same segments (only keyframes
 *   decoded, true times recorded);
 * - the floor: `ffmpeg -i video -f null -`, every frame decoded on all threads, nothing written;
 * - the baseline: the original notebook's loop, cv2.VideoCapture reading every frame and
 *   cv2.imwrite of every 25th (opencv_frames_baseline.py, timed inside Python).
 *
 * All write JPEG quality 95 (cv2.imwrite's default). Rounds run every method once, in
 * an order rotated each round; the figure is the median run. CPU seconds (this process
 * and its children) and the CPU other processes took are recorded per run: on a shared
 * machine the wall time moves with them.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { extractFrames, ExtractedFrames } from '../src/lib/video/extract-frames';
import { extractKeyframes } from '../src/lib/video/extract-keyframes';
import { splitSegmentsEvenly } from '../src/lib/video/frame-segments';
import { probeVideo, VideoInfo } from '../src/lib/video/probe-video';
import { cpuSnapshot, otherCores } from './cpu-load';
import { Machine } from './machine';
import { markdownTable } from './markdown-table';
import { median, round } from './stats';
import { OpencvVersions, prepareOpencv, runOpencvBaseline } from './video-opencv-baseline';
import { prepareBenchVideo } from './video-source';

const EVERY_S = 1;
/** The single-pass variant is context (what decoding-bound extraction costs) and needed once for the agreement check: one run keeps the part near 5 minutes. */
const SINGLE_PASS_RUNS = 1;
const QUALITY = 95;
const GOALS = { exactVsNotebook: 2, exactVsFloor: 1.2, keyframesVsNotebook: 10 };

type MethodId = 'exact' | 'exactPass' | 'keyframes' | 'floor' | 'opencv';

const LABELS: Record<MethodId, string> = {
  exact: 'ours, exact: 2 segments in parallel, keyframe spans only',
  exactPass: 'ours, exact: 2 segments in parallel, single pass',
  keyframes: 'ours, keyframe mode: 2 segments in parallel (true times recorded)',
  floor: 'floor: ffmpeg -i video -f null - (decode every frame, all threads)',
  opencv: 'baseline: notebook, cv2.VideoCapture.read() every frame + cv2.imwrite',
};

export interface VideoRun {
  wallS: number;
  /** CPU seconds of the bench process and its children (ffmpeg, python) during the run. */
  cpuS: number | null;
  /** Cores' worth of CPU other processes took during the run. */
  otherCores: number | null;
  framesWritten: number;
}

export interface VideoTiming {
  label: string;
  medianWallS: number;
  rangeWallS: [number, number];
  medianCpuS: number | null;
  medianOtherCores: number | null;
  framesWritten: number;
  runs: VideoRun[];
}

export interface VideoFramesResult {
  figure: string;
  machine: Machine;
  video: { file: string; sizeMiB: number; bitrateMbps: number; generatedNow: boolean } & Omit<VideoInfo, 'input'>;
  everyS: number;
  quality: number;
  runs: number;
  opencvRuns: number;
  singlePassRuns: number;
  segments: number;
  methods: Partial<Record<MethodId, VideoTiming>>;
  baseline: { available: true; versions: OpencvVersions; installedNow: boolean } | { available: false; reason: string };
  /** Ratios of the median wall times (higher is better for ours in the first, lower in *VsFloor). */
  ratios: Record<string, number | null>;
  /** The same ratios per round (methods ran back to back), median and range. */
  paired: Record<string, { median: number; range: [number, number]; rounds: number } | null>;
  goals: Record<string, { goal: string; value: number | null; met: boolean | null }>;
  /** Frames ours (exact) and the notebook wrote for the same seconds, compared. */
  agreement: { framesCompared: number; maxMeanAbsDiff: number; keyframeSpansEqualSinglePass: boolean } | null;
  /** notebook wall time / ours exact: the headline. */
  ratio: number | null;
}

export interface VideoBenchOptions {
  runs: number;
  opencvRuns: number;
  cacheDir: string;
  venvDir: string;
  machine: Machine;
  log: (msg: string) => void;
}

export async function benchVideoFrames(opts: VideoBenchOptions): Promise<VideoFramesResult> {
  const { log } = opts;
  const source = await prepareBenchVideo(opts.cacheDir, log);
  const info = await probeVideo(source.file);
  const size = (await stat(source.file)).size;
  await readFile(source.file); // into the page cache, so no method pays the first read
  log(`video: ${path.basename(source.file)}: ${info.durationS} s, ${info.width}x${info.height} ${info.codec} at ${info.fps} fps, keyframe every ${info.keyframeIntervalS} s, ${round((size * 8) / info.durationS / 1e6, 2)} Mbit/s`);

  const opencv = prepareOpencv(opts.venvDir);
  log(opencv.ok ? `video baseline: Python ${opencv.value.versions.python}, OpenCV ${opencv.value.versions.opencv}${opencv.value.installed ? ' (just installed)' : ''}` : `video baseline unavailable (the bench goes on without it): ${opencv.reason}`);

  const segments = Math.max(1, opts.machine.cpus);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'visionflow-bench-video-'));
  const runs: Record<MethodId, VideoRun[]> = { exact: [], exactPass: [], keyframes: [], floor: [], opencv: [] };
  let agreement: VideoFramesResult['agreement'] = null;
  const samples: Partial<Record<MethodId, string[]>> = {};
  const baselineErrors: string[] = [];

  const exact = (decode: 'spans' | 'pass') => async () => {
    const video = await probeVideo(source.file);
    const parts = splitSegmentsEvenly(video.durationS, EVERY_S, segments);
    const outs = await Promise.all(parts.map((s) => extractFrames(video, { everyS: EVERY_S, startS: s.startS, endS: s.endS, quality: QUALITY, threads: 1, decode, tempParent: scratch })));
    const frames = outs.flatMap((o) => o.frames);
    if (frames.length !== Math.ceil(video.durationS / EVERY_S) || frames.some((f) => Math.abs(f.ptsS - f.tS) > 1e-6)) {
      throw new Error(`exact extraction (${decode}) gave ${frames.length} frames, or frames off their times`);
    }
    if (decode === 'spans' && outs.some((o) => o.decoded !== 'spans')) throw new Error('exact extraction fell back to a single pass');
    return { count: frames.length, dirs: outs.map((o) => o.dir), outs };
  };
  const methods: Record<MethodId, () => Promise<MethodOutcome>> = {
    exact: exact('spans'),
    exactPass: exact('pass'),
    keyframes: async () => {
      const video = await probeVideo(source.file);
      const parts = splitSegmentsEvenly(video.durationS, EVERY_S, segments);
      const outs = await Promise.all(parts.map((s) => extractKeyframes(video, { everyS: EVERY_S, startS: s.startS, endS: s.endS, quality: QUALITY, threads: 1, tempParent: scratch })));
      return { count: outs.reduce((n, o) => n + o.frames.length, 0), dirs: outs.map((o) => o.dir) };
    },
    floor: async () => {
      await runProcess(process.env.FFMPEG_PATH || 'ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-i', source.file, '-map', '0:v:0', '-f', 'null', '-']);
      return { count: 0, dirs: [] };
    },
    opencv: async () => {
      if (!opencv.ok) throw new Error(opencv.reason);
      const dir = await mkdtemp(path.join(scratch, 'opencv-'));
      const run = await runOpencvBaseline(opencv.value.python, source.file, dir, EVERY_S, QUALITY);
      if (!run.ok) {
        await rm(dir, { recursive: true, force: true });
        throw new Error(run.reason);
      }
      return { count: run.value.written, dirs: [dir], seconds: run.value.seconds, opencvDir: dir };
    },
  };

  const order: MethodId[] = ['exact', 'floor', 'opencv', 'exactPass', 'keyframes'];
  try {
    for (let round = 0; round < opts.runs; round++) {
      const rotated = [...order.slice(round % order.length), ...order.slice(0, round % order.length)];
      for (const id of rotated) {
        if (id === 'opencv' && (round >= opts.opencvRuns || !opencv.ok || baselineErrors.length > 0)) continue;
        if (id === 'exactPass' && round >= SINGLE_PASS_RUNS) continue;
        const before = cpuSnapshot();
        const started = performance.now();
        let outcome: MethodOutcome;
        try {
          outcome = await methods[id]();
        } catch (err) {
          if (id !== 'opencv') throw err;
          baselineErrors.push((err as Error).message);
          log(`video: baseline failed, going on without it: ${(err as Error).message}`);
          continue;
        }
        const wall = (performance.now() - started) / 1000;
        const after = cpuSnapshot();
        // the notebook's time is taken inside Python (interpreter start and imports excluded)
        const wallS = outcome.seconds ?? wall;
        const run: VideoRun = {
          wallS: round3(wallS),
          cpuS: before && after ? round3(after.own - before.own) : null,
          otherCores: nullableRound(otherCores(before, after)),
          framesWritten: outcome.count,
        };
        runs[id].push(run);
        log(`video: round ${round + 1}/${opts.runs} ${id}: ${run.wallS} s wall, ${run.cpuS ?? '?'} CPU-s, ${run.framesWritten} frames, other load ${run.otherCores ?? '?'} cores`);
        if (round === 0) samples[id] = await keepSamples(id, outcome, path.join(scratch, `samples-${id}`));
        await Promise.all(outcome.dirs.map((d) => rm(d, { recursive: true, force: true })));
      }
      if (round === 0) agreement = await compare(samples);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }

  const timing = (id: MethodId): VideoTiming | undefined => {
    const list = runs[id];
    if (list.length === 0) return undefined;
    const walls = list.map((r) => r.wallS);
    const cpus = list.map((r) => r.cpuS).filter((c): c is number => c !== null);
    const others = list.map((r) => r.otherCores).filter((c): c is number => c !== null);
    return {
      label: LABELS[id],
      medianWallS: round3(median(walls)),
      rangeWallS: [Math.min(...walls), Math.max(...walls)],
      medianCpuS: cpus.length ? round3(median(cpus)) : null,
      medianOtherCores: others.length ? round(median(others), 2) : null,
      framesWritten: list[0].framesWritten,
      runs: list,
    };
  };
  const timings: Partial<Record<MethodId, VideoTiming>> = {};
  for (const id of order) {
    const t = timing(id);
    if (t) timings[id] = t;
  }
  const ratio = (a: MethodId, b: MethodId) => (timings[a] && timings[b] ? round(timings[a].medianWallS / timings[b].medianWallS, 2) : null);
  const pairedRatio = (a: MethodId, b: MethodId) => {
    const per = runs[a].slice(0, runs[b].length).map((r, i) => r.wallS / runs[b][i].wallS);
    return per.length ? { median: round(median(per), 2), range: [round(Math.min(...per), 2), round(Math.max(...per), 2)] as [number, number], rounds: per.length } : null;
  };
  const ratios = {
    exactVsNotebook: ratio('opencv', 'exact'),
    exactVsFloor: ratio('exact', 'floor'),
    keyframesVsNotebook: ratio('opencv', 'keyframes'),
    exactPassVsNotebook: ratio('opencv', 'exactPass'),
    exactPassVsFloor: ratio('exactPass', 'floor'),
    floorVsNotebook: ratio('opencv', 'floor'),
    exactVsExactPass: ratio('exactPass', 'exact'),
  };
  const paired = {
    exactVsNotebook: pairedRatio('opencv', 'exact'),
    exactVsFloor: pairedRatio('exact', 'floor'),
    keyframesVsNotebook: pairedRatio('opencv', 'keyframes'),
    exactPassVsFloor: pairedRatio('exactPass', 'floor'),
  };
  const goal = (text: string, value: number | null, met: (v: number) => boolean) => ({ goal: text, value, met: value === null ? null : met(value) });
  const baselineUnavailable = !opencv.ok ? opencv.reason : baselineErrors[0];
  return {
    figure: `wall time to extract ${1 / EVERY_S} frame/s from ${info.durationS / 60} minutes of ${info.height}p H.264 (keyframe every ${info.keyframeIntervalS} s), ours vs the notebook's OpenCV loop and vs decoding alone`,
    machine: opts.machine,
    video: { file: source.file, sizeMiB: round(size / 2 ** 20, 1), bitrateMbps: round((size * 8) / info.durationS / 1e6, 2), generatedNow: source.generated, ...withoutInput(info) },
    everyS: EVERY_S,
    quality: QUALITY,
    runs: opts.runs,
    opencvRuns: runs.opencv.length,
    singlePassRuns: runs.exactPass.length,
    segments,
    methods: timings,
    baseline: baselineUnavailable === undefined && opencv.ok ? { available: true, versions: opencv.value.versions, installedNow: opencv.value.installed } : { available: false, reason: baselineUnavailable ?? 'unknown' },
    ratios,
    paired,
    goals: {
      exactVsNotebook: goal(`ours exact at least ${GOALS.exactVsNotebook}x faster than the notebook`, ratios.exactVsNotebook, (v) => v >= GOALS.exactVsNotebook),
      exactVsFloor: goal(`ours exact within ${GOALS.exactVsFloor}x the floor's wall time`, ratios.exactVsFloor, (v) => v <= GOALS.exactVsFloor),
      keyframesVsNotebook: goal(`keyframe mode at least ${GOALS.keyframesVsNotebook}x faster than the notebook`, ratios.keyframesVsNotebook, (v) => v >= GOALS.keyframesVsNotebook),
    },
    agreement,
    ratio: ratios.exactVsNotebook,
  };
}

interface MethodOutcome {
  count: number;
  /** Temp folders to remove after the run. */
  dirs: string[];
  /** ours: the extraction results. */
  outs?: ExtractedFrames[];
  /** the notebook: its output folder and the time taken inside Python. */
  opencvDir?: string;
  seconds?: number;
}

/** Seconds whose frames are compared between methods: segment edges, keyframes and frames between. */
const SAMPLE_SECONDS = [0, 1, 137, 299, 300, 301, 451, 599];

/** Copies the frames of SAMPLE_SECONDS out of a run's output before it is removed. */
async function keepSamples(id: MethodId, outcome: MethodOutcome, dir: string): Promise<string[] | undefined> {
  const files = outcome.outs
    ? SAMPLE_SECONDS.map((t) => outcome.outs?.flatMap((o) => o.frames).find((f) => f.tS === t)?.file)
    : outcome.opencvDir
      ? SAMPLE_SECONDS.map((t) => path.join(outcome.opencvDir ?? '', `frame_${String(t).padStart(6, '0')}.jpg`))
      : undefined;
  if (!files || id === 'keyframes') return undefined;
  await mkdir(dir, { recursive: true });
  return Promise.all(
    files.map(async (file, i) => {
      if (!file) throw new Error(`${id}: no frame at ${SAMPLE_SECONDS[i]} s`);
      const kept = path.join(dir, `${i}.jpg`);
      await copyFile(file, kept);
      return kept;
    }),
  );
}

/** Same seconds, same pictures? Mean absolute luma difference of ours and the notebook's JPEGs, and byte equality of spans vs single pass. */
async function compare(samples: Partial<Record<MethodId, string[]>>): Promise<VideoFramesResult['agreement']> {
  const { exact, exactPass, opencv } = samples;
  if (!exact || !exactPass) return null;
  let equal = true;
  let maxDiff = 0;
  for (let i = 0; i < exact.length; i++) {
    const [a, b] = await Promise.all([readFile(exact[i]), readFile(exactPass[i])]);
    if (!a.equals(b)) equal = false;
    if (opencv) maxDiff = Math.max(maxDiff, await meanAbsDiff(exact[i], opencv[i]));
  }
  return { framesCompared: opencv ? exact.length : 0, maxMeanAbsDiff: round(maxDiff, 2), keyframeSpansEqualSinglePass: equal };
}

async function meanAbsDiff(a: string, b: string): Promise<number> {
  const [x, y] = await Promise.all([a, b].map((f) => sharp(f).greyscale().raw().toBuffer()));
  if (x.length !== y.length) return 255;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.abs(x[i] - y[i]);
  return sum / x.length;
}

function runProcess(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited with ${code}: ${stderr.trim()}`))));
  });
}

function withoutInput(info: VideoInfo): Omit<VideoInfo, 'input'> {
  const { input: _input, ...rest } = info;
  return rest;
}

function round3(value: number): number {
  return round(value, 3);
}

function nullableRound(value: number | null): number | null {
  return value === null ? null : round(value, 2);
}

/** The tables printed after the part and pasted into README.md. */
export function formatVideoFrames(result: VideoFramesResult): string {
  const opencvWall = result.methods.opencv?.medianWallS;
  const rows = (['exact', 'exactPass', 'keyframes', 'floor', 'opencv'] as MethodId[])
    .map((id) => [id, result.methods[id]] as const)
    .filter((entry): entry is readonly [MethodId, VideoTiming] => entry[1] !== undefined)
    .map(([id, t]) => [
      id === 'opencv' ? `**${t.label}**` : t.label,
      `${t.medianWallS.toFixed(1)} s`,
      `${t.rangeWallS[0].toFixed(1)}-${t.rangeWallS[1].toFixed(1)}`,
      t.medianCpuS === null ? '?' : t.medianCpuS.toFixed(1),
      id === 'floor' ? '-' : String(t.framesWritten),
      opencvWall ? `${(opencvWall / t.medianWallS).toFixed(2)}x` : '-',
      result.methods.floor ? `${(t.medianWallS / result.methods.floor.medianWallS).toFixed(2)}x` : '-',
      t.medianOtherCores === null ? '?' : t.medianOtherCores.toFixed(2),
    ]);
  const table = markdownTable(['method', 'wall (median)', 'range', 'CPU-s', 'frames', 'vs notebook', 'vs floor', 'other load (cores)'], rows);
  const goals = Object.values(result.goals).map((g) => `- ${g.goal}: ${g.value === null ? 'not measured' : `${g.value}x`} -> ${g.met === null ? 'n/a' : g.met ? 'met' : 'NOT met'}`);
  const baseline = result.baseline.available ? `notebook baseline: Python ${result.baseline.versions.python}, OpenCV ${result.baseline.versions.opencv}, ${result.opencvRuns} run(s)` : `notebook baseline unavailable: ${result.baseline.reason}`;
  return [table, '', baseline, ...goals].join('\n');
}
