/**
 * Reduce throughput: images per second for reduceCvatTask's frame path against the
 * original lowIMG.py (Pillow, one image after the other), on the same 2-12 MP
 * photographs in the same run, for two settings: re-encode at quality 60, and longest
 * side 2048 at quality 75. Three things are timed:
 *
 * - baseline: Pillow `Image.open` (+ `thumbnail`) + `save` in Python, sequential,
 *   timed inside Python (file read included);
 * - ceiling: `reduceImage` alone on in-memory buffers, with 1, cores and 2 x cores
 *   images in flight (the best of the concurrent ones is the ceiling);
 * - pipeline: what the worker runs per batch: the CVAT stand-in serves the files on
 *   127.0.0.1, `CvatClient.frame` downloads them, `reduceFrames` hashes, checks,
 *   reduces and writes them to a fresh `FileStorage` folder (so nothing is skipped),
 *   with 4 (the worker's default) and 8 frames in flight.
 *
 * For the first setting, the pipeline also runs with frames from memory and with
 * writes dropped (what the pull and the writes cost), and with frames fetched by
 * node:http; for both, reduceImage's work without the Huffman optimisation pass. These
 * what-ifs are evidence for changes in src, not figures of the current code.
 *
 * Rounds run every method once, in an order rotated each round, after one warm-up
 * round, so background load hits all alike; the figure is the median run. CPU time
 * per run (all threads of the process, the in-process stand-in included; Python's
 * process_time for Pillow) tells how busy the cores were and where time goes.
 */
import { TimedFileStorage } from './timed-file-storage';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { CvatClient } from '../src/lib/cvat/cvat-client';
import { FrameJob, FrameResult, reduceFrames } from '../src/lib/cvat/reduce-frames';
import { reduceImage } from '../src/lib/image/reduce-image';
import { ReduceOptions } from '../src/lib/image/reduce-image-format';
import { ObjectInfo, Storage, StoredObject } from '../src/lib/storage/storage';
import { startCvatStandIn } from '../test/support/cvat-stand-in';
import { mapWithConcurrency } from './concurrency';
import { cpuSnapshot, otherCores } from './cpu-load';
import { Timing } from './hash-throughput';
import { Machine } from './machine';
import { markdownTable } from './markdown-table';
import { PillowReduce } from './pillow-reduce';
import { Outcome } from './python-baseline';
import { megapixels, ReduceFile } from './reduce-corpus';
import { median, round } from './stats';

export const REDUCE_SETTINGS = [
  { key: 'q60', label: 'decode + re-encode at quality 60', options: { quality: 60 } },
  { key: 'side2048-q75', label: 'longest side 2048 + quality 75', options: { quality: 75, maxSide: 2048 } },
] as const satisfies readonly { key: string; label: string; options: ReduceOptions }[];
export type ReduceSettingKey = (typeof REDUCE_SETTINGS)[number]['key'];

/** The goals of the issue: pipeline images/s against Pillow's, and against the ceiling. */
export const GOALS = { vsPillow: 2.8, vsCeiling: 0.9 };
/** Frames in flight per batch activity when the worker is not told otherwise (src/activities/cvat.ts). */
export const WORKER_FRAMES_IN_FLIGHT = 4;
const PIPELINE_IN_FLIGHT = [WORKER_FRAMES_IN_FLIGHT, 2 * WORKER_FRAMES_IN_FLIGHT];
/** Above this median of other processes' cores the table carries a warning. */
const BUSY_MACHINE_CORES = 0.25;
const BASELINE_NAME = 'Pillow Image.open + thumbnail + save JPEG, sequential (lowIMG.py)';
const TOKEN = 'bench-token';
const TASK_ID = 1;

export interface ReduceTiming extends Timing {
  /** CPU time per image, all threads (median run). */
  cpuMsPerImage: number;
  /** CPU time / wall time of a run (median): 2 = both cores of this machine busy throughout. */
  coresBusy: number;
  /** Cores' worth of CPU other processes on the machine used during the run (median; null without /proc). */
  otherCores: number | null;
}

/** Mean per frame inside reduceFrames, ms: where a frame's time in flight goes. */
export interface PipelineStages {
  download: number;
  /** storage.head before the reduction. */
  head: number;
  /** From head to put: sha256 (before head), reduceImage, and waiting for a libuv thread. */
  reduce: number;
  /** storage.put: metadata and object, each temp file + fsync + rename. */
  write: number;
}

export interface SettingResult {
  setting: ReduceSettingKey;
  label: string;
  options: ReduceOptions;
  pillow: ({ available: true; outKiBPerImage: number } & ReduceTiming) | { available: false; reason: string };
  ceiling: {
    /** The best concurrent run: the ceiling. */
    best: { inFlight: number } & ReduceTiming;
    byInFlight: Record<string, ReduceTiming>;
    outKiBPerImage: number;
    /** Files reduceImage answered with the original bytes (re-encoding did not make them smaller). */
    keptOriginals: number;
  };
  /**
   * What-if for src: reduceImage's sharp calls for these inputs with libjpeg's Huffman
   * table optimisation off (`optimiseCoding: false`, Pillow's default), same in-flight
   * count as the pipeline headline. Not a figure of the current code.
   */
  withoutHuffmanOptimisation: { inFlight: number; outKiBPerImage: number } & ReduceTiming;
  /** First setting only: the pipeline with one end replaced, to see what the pull and the writes cost. */
  pipelineCost?: PipelineCost;
  pipeline: {
    /** The worker's default frames in flight: the headline. */
    headline: { inFlight: number } & ReduceTiming & { stages: PipelineStages };
    byInFlight: Record<string, ReduceTiming & { stages: PipelineStages }>;
  };
  /** Everything against Pillow's images/s, and the pipeline against the ceiling. */
  ratios: Record<string, number>;
  goals: { vsPillow: Goal | null; vsCeiling: Goal };
}

export interface Goal {
  target: number;
  value: number;
  met: boolean;
}

export interface PipelineCost {
  inFlight: number;
  /** reduceFrames with `read` answering from memory: no HTTP. */
  framesFromMemory: ReduceTiming;
  /** reduceFrames over the stand-in into a storage that drops every put: no disk. */
  writesDiscarded: ReduceTiming;
  /**
   * What-if for src: the whole pipeline with frames fetched by node:http into a buffer
   * of the announced Content-Length instead of CvatClient.frame (fetch + arrayBuffer).
   */
  pullViaNodeHttp: ReduceTiming;
  /**
   * CPU ms per image (medians, so the parts add up only roughly): reduceImage alone at
   * the same frames in flight, the whole pipeline, and what the pull (HTTP client and
   * the in-process stand-in), the writes and the rest (sha256, head, bookkeeping) add.
   */
  cpuMsPerImage: { ceiling: number; pipeline: number; pull: number; write: number; rest: number; pullViaNodeHttp: number };
}

export interface ReduceThroughputResult {
  figure: string;
  machine: Machine;
  corpus: {
    files: number;
    native: number;
    resampled: number;
    megapixels: { min: number; median: number; max: number; mean: number };
    meanKiB: number;
    list: { id: string; kind: string; width: number; height: number; kiB: number }[];
  };
  runs: number;
  warmupRuns: number;
  baseline: { name: string; available: true; versions: Record<string, string> } | { name: string; available: false; reason: string };
  settings: SettingResult[];
  /** The pipeline (worker default) / Pillow, the lower of the two settings: the headline. */
  ratio: number | null;
  /** The pipeline (worker default) / ceiling, the lower of the two settings. */
  ceilingRatio: number;
  goalsMet: boolean | null;
  /** Cores' worth of CPU other processes used while methods ran, median over every timed run (null without /proc). */
  otherCores: number | null;
}

interface Sample {
  seconds: number;
  cpuSeconds: number;
  otherCores: number | null;
  stages?: PipelineStages;
}

interface Method {
  setting: ReduceSettingKey;
  kind: 'pillow' | 'ceiling' | 'pipeline' | 'pipeline-frames-from-memory' | 'pipeline-writes-discarded' | 'pipeline-node-http' | 'whatif';
  inFlight: number;
  run: () => Promise<Outcome<Sample>>;
  samples: Sample[];
  failure?: string;
}

export async function benchReduceThroughput(
  files: readonly ReduceFile[],
  pillow: Outcome<PillowReduce>,
  options: { runs: number; warmup: number; machine: Machine; log: (msg: string) => void },
): Promise<ReduceThroughputResult> {
  const { runs, warmup, machine } = options;
  const paths = files.map((f) => f.path);
  const buffers = await Promise.all(paths.map((p) => readFile(p)));
  const standIn = await startCvatStandIn({
    accessTokens: [TOKEN],
    tasks: [{ id: TASK_ID, name: 'bench-reduce', frames: files.map((f, i) => ({ name: `${String(i).padStart(3, '0')}-${f.id}.jpg`, body: buffers[i], width: f.width, height: f.height })) }],
  });
  const client = new CvatClient({ host: standIn.url, accessToken: TOKEN }, { retries: 0 });
  const agent = new http.Agent({ keepAlive: true });
  const ceilingInFlight = [...new Set([1, machine.cpus, 2 * machine.cpus])];
  const outputs = new Map<string, { bytes: number; kept: number }>();
  const pillowOut = new Map<ReduceSettingKey, number>();

  const methods: Method[] = [];
  try {
    for (const setting of REDUCE_SETTINGS) {
      if (pillow.ok) {
        methods.push(method(setting.key, 'pillow', 1, async () => {
          const before = cpuSnapshot();
          const answer = await pillow.value.timeRuns(paths, setting.options);
          if (!answer.ok) return answer;
          pillowOut.set(setting.key, answer.value.outBytes);
          // the interval spans Python's start-up too; its CPU counts as ours (a child), not as others'
          return { ok: true, value: { seconds: answer.value.runsSeconds[0], cpuSeconds: answer.value.cpuSeconds[0], otherCores: otherCores(before, cpuSnapshot()) } };
        }));
      }
      for (const n of ceilingInFlight) {
        methods.push(method(setting.key, 'ceiling', n, () => timed(async () => {
          const out = await mapWithConcurrency(buffers, n, (b) => reduceImage(b, setting.options));
          outputs.set(setting.key, { bytes: out.reduce((s, r) => s + r.body.length, 0), kept: out.filter((r) => r.keptOriginal).length });
        })));
      }
      methods.push(method(setting.key, 'whatif', WORKER_FRAMES_IN_FLIGHT, () => timed(async () => {
        const out = await mapWithConcurrency(buffers, WORKER_FRAMES_IN_FLIGHT, (b) => reduceWithoutHuffmanOptimisation(b, setting.options));
        outputs.set(`${setting.key} whatif`, { bytes: out.reduce((s, o) => s + o.length, 0), kept: 0 });
      })));
      for (const n of PIPELINE_IN_FLIGHT) {
        methods.push(method(setting.key, 'pipeline', n, () => runPipeline(cvatSource(client), 'file', setting.options, n)));
      }
      if (setting === REDUCE_SETTINGS[0]) {
        const n = WORKER_FRAMES_IN_FLIGHT;
        methods.push(method(setting.key, 'pipeline-frames-from-memory', n, () => runPipeline(memorySource(buffers), 'file', setting.options, n)));
        methods.push(method(setting.key, 'pipeline-writes-discarded', n, () => runPipeline(cvatSource(client), 'discard', setting.options, n)));
        methods.push(method(setting.key, 'pipeline-node-http', n, () => runPipeline(nodeHttpSource(client, agent), 'file', setting.options, n)));
      }
    }

    for (let r = 0; r < warmup + runs; r++) {
      const order = methods.map((_, i) => methods[(i + r) % methods.length]);
      for (const m of order) {
        if (m.failure !== undefined) continue;
        const outcome = await m.run();
        if (!outcome.ok) m.failure = outcome.reason;
        else if (r >= warmup) m.samples.push(outcome.value);
      }
      options.log(`reduce: round ${r + 1}/${warmup + runs}${r < warmup ? ' (warm-up)' : ''} done`);
    }
  } finally {
    agent.destroy();
    await standIn.close();
  }

  const timingOf = (setting: ReduceSettingKey, kind: Method['kind'], n: number): ReduceTiming & { stages?: PipelineStages } => {
    const m = methods.find((x) => x.setting === setting && x.kind === kind && x.inFlight === n);
    if (!m || m.failure !== undefined) throw new Error(`reduce ${setting} ${kind} x${n} failed: ${m?.failure ?? 'not run'}`);
    return reduceTiming(m.samples, files.length);
  };
  const pillowFailure = (setting: ReduceSettingKey): string | undefined =>
    pillow.ok ? methods.find((x) => x.setting === setting && x.kind === 'pillow')?.failure : pillow.reason;

  const settings: SettingResult[] = REDUCE_SETTINGS.map((setting) => {
    const failure = pillowFailure(setting.key);
    const pillowResult: SettingResult['pillow'] =
      failure === undefined
        ? { available: true, ...timingOf(setting.key, 'pillow', 1), outKiBPerImage: round((pillowOut.get(setting.key) ?? 0) / files.length / 1024, 1) }
        : { available: false, reason: failure };
    const ceilingBy: Record<string, ReduceTiming> = {};
    for (const n of ceilingInFlight) ceilingBy[n] = timingOf(setting.key, 'ceiling', n);
    const concurrent = ceilingInFlight.filter((n) => n > 1);
    const bestN = concurrent.reduce((a, b) => (ceilingBy[b].imagesPerSecond > ceilingBy[a].imagesPerSecond ? b : a));
    const pipelineBy: Record<string, ReduceTiming & { stages: PipelineStages }> = {};
    for (const n of PIPELINE_IN_FLIGHT) pipelineBy[n] = timingOf(setting.key, 'pipeline', n) as ReduceTiming & { stages: PipelineStages };
    const headline = { inFlight: WORKER_FRAMES_IN_FLIGHT, ...pipelineBy[WORKER_FRAMES_IN_FLIGHT] };
    const ceiling = { inFlight: bestN, ...ceilingBy[bestN] };

    const ratios: Record<string, number> = {};
    const vs = (a: number, b: number) => round(a / b, 2);
    if (pillowResult.available) {
      const base = pillowResult.imagesPerSecond;
      ratios['ceiling 1 in flight / Pillow'] = vs(ceilingBy[1].imagesPerSecond, base);
      for (const n of concurrent) ratios[`ceiling ${n} in flight / Pillow`] = vs(ceilingBy[n].imagesPerSecond, base);
      for (const n of PIPELINE_IN_FLIGHT) ratios[`pipeline ${n} in flight / Pillow`] = vs(pipelineBy[n].imagesPerSecond, base);
      ratios['Pillow CPU ms / reduceImage CPU ms per image (per core)'] = vs(pillowResult.cpuMsPerImage, ceilingBy[1].cpuMsPerImage);
      ratios['Pillow CPU ms / pipeline CPU ms per image (per core)'] = vs(pillowResult.cpuMsPerImage, headline.cpuMsPerImage);
      // an upper bound, not a measurement: every core busy with the pipeline and nothing else
      ratios[`pipeline bound on ${machine.cpus} idle cores / Pillow`] = vs(machine.cpus * pillowResult.cpuMsPerImage, headline.cpuMsPerImage);
    }
    for (const n of PIPELINE_IN_FLIGHT) ratios[`pipeline ${n} in flight / ceiling`] = vs(pipelineBy[n].imagesPerSecond, ceiling.imagesPerSecond);
    const goal = (target: number, value: number): Goal => ({ target, value, met: value >= target });
    const out = outputs.get(setting.key) ?? { bytes: 0, kept: 0 };
    const whatif = { inFlight: WORKER_FRAMES_IN_FLIGHT, ...timingOf(setting.key, 'whatif', WORKER_FRAMES_IN_FLIGHT), outKiBPerImage: round((outputs.get(`${setting.key} whatif`)?.bytes ?? 0) / files.length / 1024, 1) };
    if (pillowResult.available) ratios[`without Huffman optimisation, ${WORKER_FRAMES_IN_FLIGHT} in flight / Pillow`] = vs(whatif.imagesPerSecond, pillowResult.imagesPerSecond);
    let pipelineCost: PipelineCost | undefined;
    if (setting === REDUCE_SETTINGS[0]) {
      const n = WORKER_FRAMES_IN_FLIGHT;
      const framesFromMemory = timingOf(setting.key, 'pipeline-frames-from-memory', n);
      const writesDiscarded = timingOf(setting.key, 'pipeline-writes-discarded', n);
      const pullViaNodeHttp = timingOf(setting.key, 'pipeline-node-http', n);
      delete framesFromMemory.stages;
      delete writesDiscarded.stages;
      delete pullViaNodeHttp.stages;
      const cpu = { ceiling: ceilingBy[n]?.cpuMsPerImage ?? ceiling.cpuMsPerImage, pipeline: headline.cpuMsPerImage };
      const pull = round(cpu.pipeline - framesFromMemory.cpuMsPerImage, 1);
      const write = round(cpu.pipeline - writesDiscarded.cpuMsPerImage, 1);
      pipelineCost = {
        inFlight: n,
        framesFromMemory,
        writesDiscarded,
        pullViaNodeHttp,
        cpuMsPerImage: {
          ...cpu,
          pull,
          write,
          rest: round(cpu.pipeline - cpu.ceiling - pull - write, 1),
          pullViaNodeHttp: round(pullViaNodeHttp.cpuMsPerImage - framesFromMemory.cpuMsPerImage, 1),
        },
      };
      ratios[`(what-if) pipeline, frames via node:http, ${n} in flight / ceiling`] = vs(pullViaNodeHttp.imagesPerSecond, ceiling.imagesPerSecond);
    }
    return {
      setting: setting.key,
      label: setting.label,
      options: { ...setting.options },
      pillow: pillowResult,
      ceiling: { best: ceiling, byInFlight: ceilingBy, outKiBPerImage: round(out.bytes / files.length / 1024, 1), keptOriginals: out.kept },
      pipeline: { headline, byInFlight: pipelineBy },
      withoutHuffmanOptimisation: whatif,
      ...(pipelineCost ? { pipelineCost } : {}),
      ratios,
      goals: {
        vsPillow: pillowResult.available ? goal(GOALS.vsPillow, vs(headline.imagesPerSecond, pillowResult.imagesPerSecond)) : null,
        vsCeiling: goal(GOALS.vsCeiling, vs(headline.imagesPerSecond, ceiling.imagesPerSecond)),
      },
    };
  });

  const mp = files.map(megapixels);
  const allOthers = methods.flatMap((m) => m.samples.map((x) => x.otherCores));
  const vsPillow = settings.map((s) => s.goals.vsPillow);
  const ratio = vsPillow.every((g) => g !== null) ? Math.min(...vsPillow.map((g) => g!.value)) : null;
  const ceilingRatio = Math.min(...settings.map((s) => s.goals.vsCeiling.value));
  return {
    figure: `images reduced per second, ${files.length} photographs of ${round(Math.min(...mp), 1)}-${round(Math.max(...mp), 1)} MP; pipeline = CVAT stand-in on 127.0.0.1 -> CvatClient.frame -> reduceFrames -> FileStorage, ${WORKER_FRAMES_IN_FLIGHT} frames in flight; median of ${runs} interleaved runs`,
    machine,
    corpus: {
      files: files.length,
      native: files.filter((f) => f.kind === 'native').length,
      resampled: files.filter((f) => f.kind === 'resampled').length,
      megapixels: { min: round(Math.min(...mp), 2), median: round(median(mp), 2), max: round(Math.max(...mp), 2), mean: round(mp.reduce((a, b) => a + b, 0) / mp.length, 2) },
      meanKiB: round(files.reduce((s, f) => s + f.bytes, 0) / files.length / 1024, 1),
      list: files.map((f) => ({ id: f.id, kind: f.kind, width: f.width, height: f.height, kiB: round(f.bytes / 1024, 1) })),
    },
    runs,
    warmupRuns: warmup,
    baseline: pillow.ok ? { name: BASELINE_NAME, available: true, versions: { ...pillow.value.versions } } : { name: BASELINE_NAME, available: false, reason: pillow.reason },
    settings,
    ratio,
    ceilingRatio,
    goalsMet: ratio === null ? null : settings.every((s) => s.goals.vsPillow!.met && s.goals.vsCeiling.met),
    otherCores: allOthers.length > 0 && allOthers.every((o) => o !== null) ? round(median(allOthers as number[]), 2) : null,
  };
}

function method(setting: ReduceSettingKey, kind: Method['kind'], inFlight: number, run: Method['run']): Method {
  return { setting, kind, inFlight, run, samples: [] };
}

/** Wall and CPU seconds (every thread of this process) of `fn`, and what other processes took meanwhile. */
async function timed(fn: () => Promise<void>): Promise<Outcome<Sample>> {
  const before = cpuSnapshot();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { ok: true, value: { seconds, cpuSeconds: (used.user + used.system) / 1e6, otherCores: otherCores(before, cpuSnapshot()) } };
}

/**
 * reduceImage's work for these inputs (header read, auto-orient, optional resize,
 * flatten, JPEG) with `optimiseCoding: false`: the encoder writes libjpeg's standard
 * Huffman tables instead of a second pass that builds optimal ones, as Pillow does
 * unless told `optimize=True`.
 */
async function reduceWithoutHuffmanOptimisation(input: Buffer, o: ReduceOptions): Promise<Buffer> {
  await sharp(input).metadata();
  let p = sharp(input, { failOn: 'truncated' }).rotate();
  if (o.maxSide !== undefined) p = p.resize({ width: o.maxSide, height: o.maxSide, fit: 'inside', withoutEnlargement: true });
  return p.flatten({ background: '#ffffff' }).jpeg({ quality: o.quality, mozjpeg: false, optimiseCoding: false }).toBuffer();
}


/** A storage that keeps nothing: every head misses, every put is dropped. */
class DiscardStorage implements Storage {
  readonly url = 'discard:';
  async put(): Promise<void> {}
  async get(): Promise<Buffer | undefined> {
    return undefined;
  }
  async exists(): Promise<boolean> {
    return false;
  }
  async head(): Promise<ObjectInfo | undefined> {
    return undefined;
  }
  async list(): Promise<StoredObject[]> {
    return [];
  }
  async delete(): Promise<void> {}
  async deleteFolder(): Promise<number> {
    return 0;
  }
}

/** Where a pipeline run gets its frame list and its frames. */
interface FrameSource {
  jobs(): Promise<FrameJob[]>;
  fetch(frame: number, signal?: AbortSignal): Promise<Buffer>;
}

async function cvatJobs(client: CvatClient): Promise<FrameJob[]> {
  const meta = await client.dataMeta(TASK_ID);
  return meta.frames.map((f, frame) => ({ frame, name: f.name, key: `frames/${f.name}` }));
}

/** As the worker: data/meta, then CvatClient.frame per frame. */
function cvatSource(client: CvatClient): FrameSource {
  return { jobs: () => cvatJobs(client), fetch: (frame, signal) => client.frame(TASK_ID, frame, signal) };
}

/** The same bytes, already in memory: no HTTP. */
function memorySource(buffers: readonly Buffer[]): FrameSource {
  return {
    jobs: async () => buffers.map((_, frame) => ({ frame, name: `${frame}.jpg`, key: `frames/${frame}.jpg` })),
    fetch: async (frame) => buffers[frame],
  };
}

/** data/meta by CvatClient, frames by a bare node:http GET (keep-alive) into a buffer of the announced length. */
function nodeHttpSource(client: CvatClient, agent: http.Agent): FrameSource {
  return {
    jobs: () => cvatJobs(client),
    fetch: (frame, signal) =>
      new Promise((resolve, reject) => {
        const url = client.url(`api/tasks/${TASK_ID}/data?type=frame&quality=original&number=${frame}`);
        const req = http.get(url, { agent, signal, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
          const length = Number(res.headers['content-length']);
          if (res.statusCode !== 200 || !Number.isSafeInteger(length)) {
            res.resume();
            reject(new Error(`GET ${url.pathname}: HTTP ${res.statusCode}, content-length ${res.headers['content-length']}`));
            return;
          }
          const body = Buffer.allocUnsafe(length);
          let filled = 0;
          res.on('data', (chunk: Buffer) => {
            if (filled + chunk.length <= length) chunk.copy(body, filled);
            filled += chunk.length;
          });
          res.on('end', () => (filled === length ? resolve(body) : reject(new Error(`GET ${url.pathname}: ${filled} of ${length} bytes`))));
          res.on('error', reject);
        });
        req.on('error', reject);
      }),
  };
}

/**
 * One batch as the worker runs it, into a fresh folder: the frame list, then every
 * frame downloaded, reduced and written. For the cost breakdown, frames can come from
 * memory or another HTTP client, and writes can be dropped.
 */
async function runPipeline(
  source: FrameSource,
  write: 'file' | 'discard',
  options: ReduceOptions,
  inFlight: number,
): Promise<Outcome<Sample>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'visionflow-bench-reduce-'));
  try {
    const files = new TimedFileStorage(dir);
    const storage = write === 'file' ? files : new DiscardStorage();
    const started = new Map<number, number>();
    let downloadMs = 0;
    let frameMs = 0;
    let results: FrameResult[] = [];
    const sample = await timed(async () => {
      results = await reduceFrames(await source.jobs(), {
        storage,
        options,
        concurrency: inFlight,
        isFatal: () => true,
        read: async (job, signal) => {
          const start = performance.now();
          started.set(job.frame, start);
          const body = await source.fetch(job.frame, signal);
          downloadMs += performance.now() - start;
          return body;
        },
        onResult: (r) => {
          frameMs += performance.now() - (started.get(r.frame) ?? performance.now());
        },
      });
    });
    const bad = results.filter((r) => r.status !== 'uploaded' || (options.maxSide !== undefined && Math.max(r.width ?? 0, r.height ?? 0) > options.maxSide));
    if (bad.length > 0) return { ok: false, reason: `pipeline: ${bad.length} frames not reduced as asked, e.g. ${JSON.stringify(bad[0])}` };
    if (!sample.ok) return sample;
    const n = results.length;
    const stages: PipelineStages = {
      download: round(downloadMs / n, 1),
      head: round(files.headMs / n, 1),
      reduce: round((frameMs - downloadMs - files.headMs - files.putMs) / n, 1),
      write: round(files.putMs / n, 1),
    };
    return { ok: true, value: { ...sample.value, stages } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function reduceTiming(samples: readonly Sample[], images: number): ReduceTiming & { stages?: PipelineStages } {
  const seconds = samples.map((s) => s.seconds);
  const perRun = median(seconds);
  const timing: ReduceTiming & { stages?: PipelineStages } = {
    imagesPerSecond: round(images / perRun, 1),
    msPerImage: round((perRun * 1000) / images, 2),
    rangeImagesPerSecond: [round(images / Math.max(...seconds), 1), round(images / Math.min(...seconds), 1)],
    runsSeconds: seconds.map((s) => round(s, 4)),
    cpuMsPerImage: round((median(samples.map((s) => s.cpuSeconds)) * 1000) / images, 1),
    coresBusy: round(median(samples.map((s) => s.cpuSeconds / s.seconds)), 2),
    otherCores: samples.every((s) => s.otherCores !== null) ? round(median(samples.map((s) => s.otherCores!)), 2) : null,
  };
  const staged = samples.filter((s) => s.stages !== undefined).map((s) => s.stages!);
  if (staged.length > 0) {
    const mean = (k: keyof PipelineStages) => round(staged.reduce((a, s) => a + s[k], 0) / staged.length, 1);
    timing.stages = { download: mean('download'), head: mean('head'), reduce: mean('reduce'), write: mean('write') };
  }
  return timing;
}

export function formatReduceThroughput(r: ReduceThroughputResult): string {
  const c = r.corpus;
  const rows: (string | number)[][] = [];
  for (const s of r.settings) {
    const base = s.pillow.available ? s.pillow.imagesPerSecond : null;
    const ceiling = s.ceiling.best.imagesPerSecond;
    const row = (name: string, t: ReduceTiming, ceil: boolean) => [
      s.setting,
      name,
      t.imagesPerSecond,
      `${t.rangeImagesPerSecond[0]}-${t.rangeImagesPerSecond[1]}`,
      t.msPerImage,
      t.cpuMsPerImage,
      t.coresBusy,
      t.otherCores ?? 'n/a',
      base ? `${round(t.imagesPerSecond / base, 2)}x` : 'n/a',
      ceil ? round(t.imagesPerSecond / ceiling, 2) : '',
    ];
    if (s.pillow.available) rows.push(row('baseline: Pillow, sequential', s.pillow, false));
    for (const [n, t] of Object.entries(s.ceiling.byInFlight)) rows.push(row(`ceiling: reduceImage, ${n} in flight${Number(n) === s.ceiling.best.inFlight ? ' (ceiling)' : ''}`, t, Number(n) > 1));
    for (const [n, t] of Object.entries(s.pipeline.byInFlight)) rows.push(row(`pipeline: stand-in -> reduceFrames -> FileStorage, ${n} in flight${Number(n) === s.pipeline.headline.inFlight ? ' (worker default)' : ''}`, t, true));
    if (s.pipelineCost) {
      rows.push(row(`(cost) pipeline, frames from memory, ${s.pipelineCost.inFlight} in flight`, s.pipelineCost.framesFromMemory, true));
      rows.push(row(`(cost) pipeline, writes discarded, ${s.pipelineCost.inFlight} in flight`, s.pipelineCost.writesDiscarded, true));
      rows.push(row(`(what-if) pipeline, frames via node:http, ${s.pipelineCost.inFlight} in flight`, s.pipelineCost.pullViaNodeHttp, true));
    }
    rows.push(row(`(what-if) reduceImage without Huffman optimisation, ${s.withoutHuffmanOptimisation.inFlight} in flight`, s.withoutHuffmanOptimisation, true));
  }
  const lines = [
    `Reduce throughput: ${c.files} photographs (${c.native} at their own size, ${c.resampled} resampled to camera sizes, q92), ${c.megapixels.min}-${c.megapixels.max} MP (median ${c.megapixels.median}), mean ${c.meanKiB} KiB; median of ${r.runs} interleaved runs; load average at start ${r.machine.loadAverage.join(' ')}, other processes' CPU during the runs ${r.otherCores ?? 'n/a'} cores (median); sharp.concurrency ${r.machine.sharpConcurrency}, UV_THREADPOOL_SIZE ${r.machine.uvThreadpoolSize}`,
    '',
    markdownTable(['setting', 'method', 'images/s', 'range', 'ms/image', 'CPU ms/image', 'cores busy', "others' cores", 'vs Pillow', 'vs ceiling'], rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']),
    '',
  ];
  if (!r.baseline.available) lines.push(`baseline unavailable: ${r.baseline.reason}`, '');
  if (r.otherCores !== null && r.otherCores > BUSY_MACHINE_CORES) {
    lines.push(
      `WARNING: other processes used ${r.otherCores} cores during the runs: images/s and their ratios are unreliable (the sequential baseline loses less to them than the concurrent methods, or more when starved); CPU ms/image still compare.`,
      '',
    );
  }
  for (const s of r.settings) {
    const g = s.goals;
    const st = s.pipeline.headline.stages;
    const bound = Object.entries(s.ratios).find(([k]) => k.startsWith('pipeline bound on'));
    const pillowGoal = g.vsPillow
      ? `${g.vsPillow.value}x Pillow (goal ${g.vsPillow.target}x: ${g.vsPillow.met ? 'met' : 'NOT met'}; at most ${bound?.[1]}x on ${r.machine.cpus} idle cores at this CPU cost per image)`
      : 'vs Pillow n/a';
    lines.push(
      `${s.setting} (${s.label}): pipeline ${s.pipeline.headline.inFlight} in flight = ${pillowGoal}, ${g.vsCeiling.value} of the ceiling (goal ${g.vsCeiling.target}: ${g.vsCeiling.met ? 'met' : 'NOT met'}); ` +
        `per frame in flight: download ${st.download} ms, head ${st.head} ms, reduce ${st.reduce} ms, write ${st.write} ms; ` +
        `output ${s.ceiling.outKiBPerImage} KiB/image ours (${s.ceiling.keptOriginals} originals kept), ${s.withoutHuffmanOptimisation.outKiBPerImage} without Huffman optimisation, ${s.pillow.available ? `${s.pillow.outKiBPerImage} KiB/image Pillow` : 'Pillow n/a'}`,
    );
  }
  for (const s of r.settings) {
    if (!s.pipelineCost) continue;
    const c = s.pipelineCost.cpuMsPerImage;
    lines.push(
      `${s.setting}, CPU ms per image at ${s.pipelineCost.inFlight} in flight: reduceImage alone ${c.ceiling}, pipeline ${c.pipeline}, of which the pull adds ${c.pull} ` +
        `(${c.pullViaNodeHttp} via node:http), the writes ${c.write}, the rest ${c.rest}`,
    );
  }
  return lines.join('\n');
}
