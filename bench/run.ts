/**
 * `npm run bench`: hash throughput and dedupe accuracy, each against the original
 * scripts' Pillow + imagehash baseline measured in the same run. Writes
 * bench/results/hash-throughput.json and bench/results/dedupe-accuracy.json and
 * prints the tables.
 *
 *   node dist/bench/run.js [throughput] [dedupe]      (default: both)
 *
 * Environment: VISIONFLOW_BENCH_RUNS (timed runs, default 11), VISIONFLOW_BENCH_FRAMES
 * (throughput files, default 30), VISIONFLOW_BENCH_CACHE (default ~/.cache/visionflow),
 * VISIONFLOW_BENCH_PHOTO_DIRS (':'-separated photo folders; empty: synthetic frames
 * only), VISIONFLOW_BENCH_PYTHON (python for the venv, default python3). See README.md.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchDedupeAccuracy, formatDedupe } from './dedupe-accuracy';
import { prepareDedupeSequence } from './dedupe-sequence';
import { Frame, prepareFrames } from './frames';
import { benchHashThroughput, formatThroughput } from './hash-throughput';
import { describeMachine, Machine } from './machine';
import { cacheRoot, resultsDir, writeFileAtomic } from './paths';
import { PythonBaseline, PythonSession, preparePythonVenv } from './python-baseline';

const PARTS = ['throughput', 'dedupe'] as const;
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
  log(`frames: preparing ${frameCount} in ${framesCache}`);
  const frameSet = await prepareFrames(frameCount, framesCache, concurrency);
  const photos = frameSet.frames.filter((f) => f.source === 'photo').length;
  log(`frames: ${photos} photos (${frameSet.photosFound} found in ${frameSet.photoDirs.join(', ') || 'no wallpaper folder'}), ${frameSet.frames.length - photos} synthetic street scenes`);

  const venvDir = path.join(cache, 'bench-venv');
  log(`python baseline: preparing ${venvDir}`);
  const venv = preparePythonVenv(venvDir);
  const python: PythonSession = venv.ok ? await PythonBaseline.start(venv.value.python) : venv;
  log(python.ok
    ? `python baseline: Python ${python.value.versions.python}, Pillow ${python.value.versions.pillow}, imagehash ${python.value.versions.imagehash}${venv.ok && venv.value.installed ? ' (just installed)' : ''}`
    : `python baseline unavailable (the bench goes on without it): ${python.reason}`);

  try {
    await runParts(parts, { frames: frameSet.frames, python, runs, concurrency, machine, framesCache, log });
  } finally {
    if (python.ok) python.value.baseline.close();
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
