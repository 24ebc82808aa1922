/**
 * `npm run bench`: hash throughput and dedupe accuracy, each against the original
 * scripts' Pillow + imagehash baseline, and CVAT frame reduction throughput against the
 * original lowIMG.py's Pillow re-encode, each baseline measured in the same run.
 * Writes bench/results/hash-throughput.json, bench/results/dedupe-accuracy.json and
 * bench/results/reduce-throughput.json and prints the tables. `labelstudio`: images/s
 * downloaded from a local Label Studio, default concurrency against 1 and against the
 * original script's sequential requests loop (bench/results/labelstudio-download.json).
 * `video`: wall time to extract 1 frame/s from 10 minutes of 1080p H.264, ours (exact and
 * keyframe mode) against the notebook's OpenCV loop and ffmpeg's decoding alone
 * (bench/results/video-frames.json). `blur`: held-out accuracy of the blur model on a synthetic
 * set made from the photographs, against the variance of the Laplacian, over 5 scene-disjoint
 * splits, and predictions per second per core at 2048 px (bench/results/blur.json).
 *
 *   node dist/bench/run.js [throughput] [dedupe] [reduce] [labelstudio] [video] [blur]      (default: all)
 *
 * Environment: VISIONFLOW_BENCH_RUNS (timed runs, default 11; reduce 7), VISIONFLOW_BENCH_FRAMES
 * (throughput files, default 30), VISIONFLOW_BENCH_CACHE (default ~/.cache/visionflow),
 * VISIONFLOW_BENCH_PHOTO_DIRS (':'-separated photo folders; empty: synthetic frames
 * only), VISIONFLOW_BENCH_PYTHON (python for the venv, default python3),
 * VISIONFLOW_BENCH_LS_IMAGES (Label Studio download images, default 80), VISIONFLOW_BENCH_BLUR_SEEDS
 * (blur split seeds, default 5). See README.md.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchBlurModel, formatBlurModel, SPLIT_SEEDS } from './blur-model';
import { benchDedupeAccuracy, formatDedupe } from './dedupe-accuracy';
import { prepareDedupeSequence } from './dedupe-sequence';
import { Frame, prepareFrames } from './frames';
import { benchHashThroughput, formatThroughput } from './hash-throughput';
import { describeMachine, Machine } from './machine';
import { benchLabelStudioDownload, formatLabelStudioDownload } from './labelstudio-download';
import { cacheRoot, resultsDir, writeFileAtomic } from './paths';
import { PillowReduce } from './pillow-reduce';
import { Outcome, PythonBaseline, PythonSession, preparePythonVenv } from './python-baseline';
import { prepareReduceCorpus } from './reduce-corpus';
import { benchReduceThroughput, formatReduceThroughput } from './reduce-throughput';
import { benchVideoFrames, formatVideoFrames } from './video-frames';

const PARTS = ['throughput', 'dedupe', 'reduce', 'labelstudio', 'video', 'blur'] as const;
/** The parts timed on the camera frame set, against Pillow + imagehash. */
const HASH_PARTS: readonly Part[] = ['throughput', 'dedupe'];
/** Timed rounds of the reduce part unless VISIONFLOW_BENCH_RUNS says otherwise: a round takes about 10 s. */
const REDUCE_RUNS = 7;
/** Dedupe base frames per source (photos, synthetic street scenes). */
const DEDUPE_BASES_PER_SOURCE = 6;
type Part = (typeof PARTS)[number];

async function main(): Promise<void> {
  const started = performance.now();
  const parts = selectedParts(process.argv.slice(2));
  const runs = envInt('VISIONFLOW_BENCH_RUNS', 11, 5);
  const frameCount = envInt('VISIONFLOW_BENCH_FRAMES', 30, 4);
  const machine = describeMachine();
  const concurrency = machine.cpus;
  const cache = cacheRoot();
  const framesCache = path.join(cache, 'bench');
  const log = (msg: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s] ${msg}`);

  log(`machine: ${machine.cpus} x ${machine.cpuModel}, node ${machine.node}, sharp ${machine.sharp} (libvips ${machine.libvips})`);
  const venvDir = path.join(cache, 'bench-venv');
  log(`python: preparing ${venvDir}`);
  const venv = preparePythonVenv(venvDir);

  if (parts.some((p) => HASH_PARTS.includes(p))) {
    log(`frames: preparing ${frameCount} in ${framesCache}`);
    const frameSet = await prepareFrames(frameCount, framesCache, concurrency);
    const photos = frameSet.frames.filter((f) => f.source === 'photo').length;
    log(`frames: ${photos} photos (${frameSet.photosFound} found in ${frameSet.photoDirs.join(', ') || 'no wallpaper folder'}), ${frameSet.frames.length - photos} synthetic street scenes`);
    const python: PythonSession = venv.ok ? await PythonBaseline.start(venv.value.python) : venv;
    log(python.ok
      ? `python baseline: Python ${python.value.versions.python}, Pillow ${python.value.versions.pillow}, imagehash ${python.value.versions.imagehash}${venv.ok && venv.value.installed ? ' (just installed)' : ''}`
      : `python baseline unavailable (the bench goes on without it): ${python.reason}`);
    try {
      await runParts(parts, { frames: frameSet.frames, python, runs, concurrency, machine, framesCache, log });
    } finally {
      if (python.ok) python.value.baseline.close();
    }
  }

  if (parts.includes('reduce')) {
    const pillow: Outcome<PillowReduce> = venv.ok ? await PillowReduce.start(venv.value.python) : venv;
    await runReducePart({ pillow, runs: envInt('VISIONFLOW_BENCH_RUNS', REDUCE_RUNS, 5), concurrency, machine, framesCache, log });
  }

  if (parts.includes('labelstudio')) {
    await runLabelStudioPart({ runs, concurrency, machine, framesCache, log });
  }

  if (parts.includes('video')) {
    await runVideoPart({ machine, framesCache, venvDir, log });
  }

  if (parts.includes('blur')) {
    await runBlurPart({ machine, framesCache, venvDir, log });
  }
  log('done');
}

async function runParts(
  parts: readonly Part[],
  ctx: { frames: Frame[]; python: PythonSession; runs: number; concurrency: number; machine: Machine; framesCache: string; log: (msg: string) => void },
): Promise<void> {
  const { python, runs, concurrency, machine, log } = ctx;
  if (parts.includes('throughput')) {
    log(`throughput: ${runs} timed rounds + 1 warm-up, each round runs every method once`);
    const result = await benchHashThroughput(ctx.frames, python, { runs, warmup: 1, concurrency, machine });
    const file = await writeResult('hash-throughput.json', result);
    console.log(`\n${formatThroughput(result)}\n`);
    log(`throughput: wrote ${file}`);
  }

  if (parts.includes('dedupe')) {
    log('dedupe: preparing the labelled sequence');
    const { bases, pairs } = await prepareDedupeSequence(ctx.frames, DEDUPE_BASES_PER_SOURCE, ctx.framesCache, concurrency);
    log(`dedupe: ${bases.length} bases, ${pairs.length} pairs; hashing`);
    const result = await benchDedupeAccuracy(bases, pairs, python, { concurrency, machine });
    const file = await writeResult('dedupe-accuracy.json', result);
    console.log(`\n${formatDedupe(result)}\n`);
    log(`dedupe: wrote ${file}`);
  }
}

async function runReducePart(ctx: { pillow: Outcome<PillowReduce>; runs: number; concurrency: number; machine: Machine; framesCache: string; log: (msg: string) => void }): Promise<void> {
  const { pillow, log } = ctx;
  log(`reduce: preparing 2-12 MP photographs in ${ctx.framesCache}`);
  const corpus = await prepareReduceCorpus(ctx.framesCache, ctx.concurrency);
  if (corpus.files.length === 0) {
    log(`reduce: skipped, no photographs found in ${photoDirsText(corpus.photoDirs)} (apt-get install mate-backgrounds, or set VISIONFLOW_BENCH_PHOTO_DIRS)`);
    return;
  }
  const native = corpus.files.filter((f) => f.kind === 'native').length;
  log(`reduce: ${corpus.files.length} files, ${native} photographs at their own size (of ${corpus.photosFound} found in ${photoDirsText(corpus.photoDirs)}), ${corpus.files.length - native} resampled to 5-12 MP`);
  log(pillow.ok
    ? `reduce baseline: Python ${pillow.value.versions.python}, Pillow ${pillow.value.versions.pillow} (libjpeg-turbo ${pillow.value.versions.libjpegTurbo})`
    : `reduce baseline unavailable (the bench goes on without it): ${pillow.reason}`);
  log(`reduce: ${ctx.runs} timed rounds + 1 warm-up, each round runs every method once`);
  const result = await benchReduceThroughput(corpus.files, pillow, { runs: ctx.runs, warmup: 1, machine: ctx.machine, log });
  const file = await writeResult('reduce-throughput.json', result);
  console.log(`\n${formatReduceThroughput(result)}\n`);
  log(`reduce: wrote ${file}`);
}

async function runLabelStudioPart(ctx: { runs: number; concurrency: number; machine: Machine; framesCache: string; log: (msg: string) => void }): Promise<void> {
  const { log } = ctx;
  const count = envInt('VISIONFLOW_BENCH_LS_IMAGES', 80, 4);
  log(`labelstudio: preparing ${count} frames in ${ctx.framesCache}`);
  const { frames } = await prepareFrames(count, ctx.framesCache, ctx.concurrency);
  log(`labelstudio: ${ctx.runs} timed rounds + 1 warm-up, each round runs every method once`);
  const result = await benchLabelStudioDownload(frames, { runs: ctx.runs, warmup: 1, machine: ctx.machine, log });
  if (!result.available) log(`labelstudio: unavailable (the bench goes on without it): ${result.reason}`);
  const file = await writeResult('labelstudio-download.json', result);
  console.log(`\n${formatLabelStudioDownload(result)}\n`);
  log(`labelstudio: wrote ${file}`);
}

/** Rounds of the video part: one takes 2-5 minutes on 2 cores (the notebook's loop alone 45-110 s). */
const VIDEO_RUNS = 3;

async function runVideoPart(ctx: { machine: Machine; framesCache: string; venvDir: string; log: (msg: string) => void }): Promise<void> {
  const { log } = ctx;
  const runs = envInt('VISIONFLOW_BENCH_VIDEO_RUNS', VIDEO_RUNS, 1);
  const opencvRuns = envInt('VISIONFLOW_BENCH_VIDEO_OPENCV_RUNS', runs, 0);
  log(`video: ${runs} rounds (the notebook's loop in ${Math.min(runs, opencvRuns)} of them), each runs every method once`);
  const result = await benchVideoFrames({ runs, opencvRuns, cacheDir: ctx.framesCache, venvDir: ctx.venvDir, machine: ctx.machine, log });
  const file = await writeResult('video-frames.json', result);
  console.log(`\n${formatVideoFrames(result)}\n`);
  log(`video: wrote ${file}`);
}

async function runBlurPart(ctx: { machine: Machine; framesCache: string; venvDir: string; log: (msg: string) => void }): Promise<void> {
  const { log } = ctx;
  const splitSeeds = envInt('VISIONFLOW_BENCH_BLUR_SEEDS', SPLIT_SEEDS, 1);
  log(`blur: synthetic set, ${splitSeeds} scene-disjoint splits (training from scratch for each), predictions at 2048 px`);
  const result = await benchBlurModel({ cacheDir: ctx.framesCache, venvDir: ctx.venvDir, machine: ctx.machine, splitSeeds, log });
  if (!result.available) log(`blur: skipped: ${result.reason}`);
  const file = await writeResult('blur.json', result);
  console.log(`\n${formatBlurModel(result)}\n`);
  log(`blur: wrote ${file}`);
}

function photoDirsText(dirs: readonly string[]): string {
  return dirs.join(', ') || 'no photo folder';
}

async function writeResult(name: string, value: unknown): Promise<string> {
  const file = path.join(resultsDir(), name);
  await writeFileAtomic(file, `${JSON.stringify({ generatedAt: new Date().toISOString(), ...(value as object) }, null, 2)}\n`);
  return file;
}

function selectedParts(args: readonly string[]): Part[] {
  if (args.length === 0) return [...PARTS];
  const unknown = args.filter((a) => !(PARTS as readonly string[]).includes(a));
  if (unknown.length > 0) throw new Error(`unknown bench part(s) ${unknown.map((u) => `'${u}'`).join(', ')}; choose from ${PARTS.join(', ')}`);
  return args as Part[];
}

function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}, got '${raw}'`);
  return value;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : err);
  process.exitCode = 1;
});
