/**
 * Label Studio download throughput: images per second downloaded from a real Label
 * Studio on 127.0.0.1 (test/support/label-studio.ts starts it from its virtualenv),
 * one project holding the bench's camera frames as uploads. Timed on the same project,
 * in the same run:
 *
 * - ours: what a downloadLabelStudioExport batch does: read the JSON export, plan it
 *   (`planFromExport`, YOLO), `downloadTasks` through `LabelStudioClient` (legacy token)
 *   into a fresh `FileStorage` folder (so nothing is skipped: every body is checked to
 *   be a complete image, measured with sharp and written atomically with fsync), with
 *   1, 2, 4 and the default 8 images in flight;
 * - baseline: the original script's approach (requests_download_baseline.py): read the
 *   export, then for each task `requests.get(LS_URL + data['image'], Token header)` and
 *   write the file, sequential, its 5 s sleep after every image removed; timed inside
 *   Python with the Label Studio venv's interpreter. With the sleep it would take
 *   n x 5 s more; both are reported;
 * - context: bare `fetch` of the same URLs, 8 in flight, bodies read and dropped: what
 *   the server gives with no client work at all.
 *
 * Rounds run every method once, in an order rotated each round, after one warm-up
 * round; the figure is the median run. The server's own CPU time per run (/proc) shows
 * whether Label Studio (Django's runserver: one process, a thread per connection, one
 * GIL) is what limits the speed-up.
 */
import { TimedFileStorage } from './timed-file-storage';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { planFromExport } from '../src/lib/label-studio/dataset-plan';
import { downloadTasks } from '../src/lib/label-studio/download-images';
import { normalizeDownloadLabelStudio } from '../src/lib/label-studio/download-options';
import { LabelStudioClient } from '../src/lib/label-studio/label-studio-client';
import { findLabelStudio, LabelStudioAdmin, LabelStudioServer, startLabelStudio } from '../test/support/label-studio';
import { mapWithConcurrency } from './concurrency';
import { cpuSnapshot, otherCores } from './cpu-load';
import { Frame } from './frames';
import { Timing } from './hash-throughput';
import { Machine } from './machine';
import { markdownTable } from './markdown-table';
import { repoRoot } from './paths';
import { Outcome } from './python-baseline';
import { median, round } from './stats';

/** downloadLabelStudioExport's default images in flight, read from its option defaults. */
export const DEFAULT_CONCURRENCY = normalizeDownloadLabelStudio({ source: { type: 'project', projectId: 1 }, destination: 'file:///tmp' }).concurrency;
/** The original script slept this long after every image. */
export const ORIGINAL_SLEEP_SECONDS = 5;
const IN_FLIGHT = [...new Set([1, 2, 4, DEFAULT_CONCURRENCY])].sort((a, b) => a - b);
const BARE_FETCH_IN_FLIGHT = [...new Set([1, DEFAULT_CONCURRENCY])];
/** Django refuses more files than this in one request (DATA_UPLOAD_MAX_NUMBER_FILES, 100 by default). */
const UPLOAD_BATCH = 50;
const BASELINE_NAME = "requests.get(LS_URL + data['image'], Token header) + write, sequential, 5 s sleep removed (original script)";
const PYTHON_TIMEOUT_MS = 600_000;

export interface DownloadTiming extends Timing {
  /** Client CPU per image, ms (median run): Node's process (all threads) or Python's process_time. */
  clientCpuMsPerImage: number;
  /** Client CPU time / wall time (median run). */
  clientCoresBusy: number;
  /** Label Studio's CPU per image, ms (median run): what serving one image costs the server. */
  serverCpuMsPerImage: number | null;
  /** Server CPU time / wall time (median run): 1.0 = one core busy with Label Studio throughout. */
  serverCoresBusy: number | null;
  /** Cores' worth of CPU other processes (not ours, not the server) used during the run (median; null without /proc). */
  otherCores: number | null;
  /** Ours only: summed time per image in each step (median run); with 1 in flight they add up to ms/image. */
  stages?: Stages;
}

/** ms per image: the GET, the skip check, the write (temp file, fsync, rename), and the rest (format checks, sharp metadata, scheduling). */
export interface Stages {
  download: number;
  head: number;
  put: number;
  rest: number;
}

export type LabelStudioDownloadResult =
  | {
      figure: string;
      available: false;
      reason: string;
      machine: Machine;
    }
  | {
      figure: string;
      available: true;
      machine: Machine;
      labelStudio: LabelStudioInfo;
      corpus: { images: number; photos: number; synthetic: number; meanKiB: number; minKiB: number; maxKiB: number; totalMiB: number };
      runs: number;
      warmupRuns: number;
      defaultConcurrency: number;
      ours: Record<string, DownloadTiming>;
      /** Plain fetch of the same URLs, bodies dropped: the HTTP part of the cost alone. */
      bareFetch: Record<string, DownloadTiming>;
      baseline:
        | ({ name: string; available: true; versions: Record<string, string>; sleepSeconds: number; secondsWithSleep: number; imagesPerSecondWithSleep: number } & DownloadTiming & { seconds: number })
        | { name: string; available: false; reason: string };
      /** Ours at the default concurrency, and at 1, as totals for the set. */
      seconds: Record<string, number>;
      /** ours at the default concurrency / ours at 1 in flight. */
      concurrencyRatio: number;
      /** ours at the default concurrency / the original script's approach (no sleep), images/s: the headline. */
      ratio: number | null;
      ratios: Record<string, number>;
      /**
       * The same ratios taken round by round (both methods ran back to back in the same
       * round) then the median, with the lowest and highest round: less moved by load that
       * changes from one round to the next than the ratio of the two medians.
       */
      paired: Record<string, PairedRatio>;
      /**
       * Label Studio's CPU per image (median over ours at the default concurrency) and the
       * images/s one fully busy core would give at that cost: the server runs Python in one
       * process, so a core's worth of CPU is about its limit however many requests are in flight.
       */
      serverBound: { cpuMsPerImage: number; imagesPerSecondOnOneCore: number; oursDefaultShare: number } | null;
    };

export interface LabelStudioInfo {
  version: string;
  django: string;
  python: string;
  requests: string;
  server: string;
  /** Headers of one image answer: whether connections can be kept alive. */
  imageResponse: { status: number; contentLength: string | null; connection: string | null; contentType: string | null };
  serverPidFound: boolean;
}

export interface PairedRatio {
  median: number;
  range: [number, number];
  rounds: number;
}

interface Sample {
  round?: number;
  seconds: number;
  clientCpuSeconds: number;
  serverCpuSeconds: number | null;
  otherCores: number | null;
  stages?: Stages;
}

interface Method {
  key: string;
  kind: 'ours' | 'bare-fetch' | 'original';
  inFlight: number;
  run: () => Promise<Outcome<Sample>>;
  samples: Sample[];
  failure?: string;
}

interface BenchContext {
  server: LabelStudioServer;
  exportPath: string;
  imageUrls: string[];
  expected: { images: number; bytes: number };
  serverPid: number | undefined;
  python: Outcome<{ python: string; versions: Record<string, string> }>;
}

export async function benchLabelStudioDownload(
  frames: readonly Frame[],
  options: { runs: number; warmup: number; machine: Machine; log: (msg: string) => void },
): Promise<LabelStudioDownloadResult> {
  const { machine, log } = options;
  const figure = `images/s downloading ${frames.length} uploaded camera frames from a local Label Studio: ours (downloadTasks) at ${DEFAULT_CONCURRENCY} in flight (the default) against 1 in flight and against the original script's sequential requests.get loop (its 5 s sleep removed), median of ${options.runs} interleaved runs`;
  const binary = findLabelStudio();
  if (typeof binary !== 'string') return { figure, available: false, reason: binary.missing, machine };
  let server: LabelStudioServer;
  try {
    const started = await startLabelStudio({ log: (line) => log(`labelstudio: ${line}`) });
    if ('missing' in started) return { figure, available: false, reason: started.missing, machine };
    server = started;
  } catch (err) {
    return { figure, available: false, reason: `Label Studio did not start: ${(err as Error).message.split('\n')[0]}`, machine };
  }
  const work = await mkdtemp(path.join(os.tmpdir(), 'visionflow-bench-ls-'));
  try {
    const python = pythonOf(binary);
    const versions = python.ok ? labelStudioVersions(python.value) : python;
    const baselinePython: BenchContext['python'] = python.ok && versions.ok ? { ok: true, value: { python: python.value, versions: versions.value } } : { ok: false, reason: python.ok ? (versions as { reason: string }).reason : python.reason };
    log(baselinePython.ok
      ? `labelstudio: Label Studio ${baselinePython.value.versions.labelStudio} (Django ${baselinePython.value.versions.django}), baseline Python ${baselinePython.value.versions.python}, requests ${baselinePython.value.versions.requests}`
      : `labelstudio: baseline unavailable (the bench goes on without it): ${baselinePython.reason}`);

    const bodies = await Promise.all(frames.map((f) => readFile(f.path)));
    let exported: unknown[];
    try {
      exported = await uploadProject(server, frames, bodies, log);
    } catch (err) {
      return { figure, available: false, reason: `could not set up the project on Label Studio: ${(err as Error).message}`, machine };
    }
    const exportPath = path.join(work, 'export.json');
    await writeFile(exportPath, JSON.stringify(exported));
    const imageUrls = planFromExport(exported, { format: 'yolo', labelStudioUrl: server.url }).tasks.map((t) => {
      if (t.ref?.kind !== 'label-studio') throw new Error(`task ${t.taskId}: expected an upload on Label Studio, got ${JSON.stringify(t.ref ?? t.malformed)}`);
      return t.ref.url;
    });
    const probe = await fetch(imageUrls[0], { headers: { authorization: `Token ${server.legacyToken}` } });
    await probe.arrayBuffer();
    const serverPid = findServerPid(server.dir);
    const info: LabelStudioInfo = {
      version: baselinePython.ok ? baselinePython.value.versions.labelStudio : 'unknown',
      django: baselinePython.ok ? baselinePython.value.versions.django : 'unknown',
      python: baselinePython.ok ? baselinePython.value.versions.python : 'unknown',
      requests: baselinePython.ok ? baselinePython.value.versions.requests : 'unknown',
      server: "`label-studio start`: Django's development server (`runserver --noreload`), one process, one thread per connection (ThreadingMixIn), SQLite; uploads served by a RangedFileResponse in 8 KiB blocks",
      imageResponse: { status: probe.status, contentLength: probe.headers.get('content-length'), connection: probe.headers.get('connection'), contentType: probe.headers.get('content-type') },
      serverPidFound: serverPid !== undefined,
    };
    log(`labelstudio: one image answer: HTTP ${probe.status}, content-length ${info.imageResponse.contentLength}, connection ${info.imageResponse.connection ?? '(none: keep-alive)'}; server pid ${serverPid ?? 'not found (no server CPU figures)'}`);

    const ctx: BenchContext = {
      server,
      exportPath,
      imageUrls,
      expected: { images: frames.length, bytes: bodies.reduce((s, b) => s + b.length, 0) },
      serverPid,
      python: baselinePython,
    };
    const methods: Method[] = IN_FLIGHT.map((n) => method(`ours-${n}`, 'ours', n, () => runOurs(ctx, n, work)));
    for (const n of BARE_FETCH_IN_FLIGHT) methods.push(method(`bare-fetch-${n}`, 'bare-fetch', n, () => runBareFetch(ctx, n)));
    if (baselinePython.ok) methods.push(method('original', 'original', 1, () => runOriginal(ctx, baselinePython.value.python, work)));

    for (let r = 0; r < options.warmup + options.runs; r++) {
      const order = methods.map((_, i) => methods[(i + r) % methods.length]);
      const line: string[] = [];
      for (const m of order) {
        if (m.failure !== undefined) continue;
        const outcome = await m.run();
        if (!outcome.ok) {
          m.failure = outcome.reason;
          log(`labelstudio: ${m.key} failed, dropped from later rounds: ${outcome.reason}`);
        } else {
          if (r >= options.warmup) m.samples.push({ ...outcome.value, round: r });
          line.push(`${m.key} ${(frames.length / outcome.value.seconds).toFixed(1)}/s`);
        }
      }
      log(`labelstudio: round ${r + 1}/${options.warmup + options.runs}${r < options.warmup ? ' (warm-up)' : ''}: ${line.join(', ')}`);
    }

    const timingOf = (key: string): DownloadTiming => {
      const m = methods.find((x) => x.key === key);
      if (!m || m.failure !== undefined || m.samples.length === 0) throw new Error(`labelstudio ${key} failed: ${m?.failure ?? 'not run'}`);
      return downloadTiming(m.samples, frames.length);
    };
    const ours: Record<string, DownloadTiming> = {};
    for (const n of IN_FLIGHT) ours[n] = timingOf(`ours-${n}`);
    const head = ours[DEFAULT_CONCURRENCY];
    const one = ours[1];
    const bareFetch: Record<string, DownloadTiming> = {};
    for (const n of BARE_FETCH_IN_FLIGHT) bareFetch[n] = timingOf(`bare-fetch-${n}`);
    const originalMethod = methods.find((m) => m.kind === 'original');
    const baselineFailure = !baselinePython.ok ? baselinePython.reason : originalMethod?.failure;
    const baseline: Extract<LabelStudioDownloadResult, { available: true }>['baseline'] =
      baselineFailure === undefined && baselinePython.ok
        ? (() => {
            const t = timingOf('original');
            const seconds = round(frames.length / t.imagesPerSecond, 3);
            const secondsWithSleep = round(seconds + frames.length * ORIGINAL_SLEEP_SECONDS, 1);
            return {
              name: BASELINE_NAME,
              available: true as const,
              versions: { python: baselinePython.value.versions.python, requests: baselinePython.value.versions.requests },
              ...t,
              seconds,
              sleepSeconds: ORIGINAL_SLEEP_SECONDS,
              secondsWithSleep,
              imagesPerSecondWithSleep: round(frames.length / secondsWithSleep, 4),
            };
          })()
        : { name: BASELINE_NAME, available: false as const, reason: baselineFailure ?? 'not run' };

    const vs = (a: number, b: number) => round(a / b, 2);
    const ratios: Record<string, number> = {};
    for (const n of IN_FLIGHT) if (n !== 1) ratios[`ours ${n} in flight / ours 1 in flight`] = vs(ours[n].imagesPerSecond, one.imagesPerSecond);
    for (const n of BARE_FETCH_IN_FLIGHT) ratios[`ours ${n} in flight / bare fetch ${n} in flight`] = vs(ours[n].imagesPerSecond, bareFetch[n].imagesPerSecond);
    if (baseline.available) {
      for (const n of IN_FLIGHT) ratios[`ours ${n} in flight / original (no sleep)`] = vs(ours[n].imagesPerSecond, baseline.imagesPerSecond);
      ratios[`ours ${DEFAULT_CONCURRENCY} in flight / original with its 5 s sleep`] = round(baseline.secondsWithSleep / (frames.length / head.imagesPerSecond), 0);
    }
    const serverBound = head.serverCpuMsPerImage
      ? { cpuMsPerImage: head.serverCpuMsPerImage, imagesPerSecondOnOneCore: round(1000 / head.serverCpuMsPerImage, 1), oursDefaultShare: round((head.imagesPerSecond * head.serverCpuMsPerImage) / 1000, 2) }
      : null;
    const kib = bodies.map((b) => b.length / 1024);
    const photos = frames.filter((f) => f.source === 'photo').length;
    return {
      figure,
      available: true,
      machine,
      labelStudio: info,
      corpus: {
        images: frames.length,
        photos,
        synthetic: frames.length - photos,
        meanKiB: round(kib.reduce((a, b) => a + b, 0) / kib.length, 1),
        minKiB: round(Math.min(...kib), 1),
        maxKiB: round(Math.max(...kib), 1),
        totalMiB: round(ctx.expected.bytes / 2 ** 20, 1),
      },
      runs: options.runs,
      warmupRuns: options.warmup,
      defaultConcurrency: DEFAULT_CONCURRENCY,
      ours,
      bareFetch,
      paired: {
        [`ours ${DEFAULT_CONCURRENCY} in flight / ours 1 in flight`]: paired(methods, `ours-${DEFAULT_CONCURRENCY}`, 'ours-1'),
        ...(baseline.available ? { [`ours ${DEFAULT_CONCURRENCY} in flight / original (no sleep)`]: paired(methods, `ours-${DEFAULT_CONCURRENCY}`, 'original'), 'ours 1 in flight / original (no sleep)': paired(methods, 'ours-1', 'original') } : {}),
      },
      baseline,
      seconds: {
        [`ours ${DEFAULT_CONCURRENCY} in flight`]: round(frames.length / head.imagesPerSecond, 3),
        'ours 1 in flight': round(frames.length / one.imagesPerSecond, 3),
        ...(baseline.available ? { 'original (no sleep)': baseline.seconds, 'original with its 5 s sleep': baseline.secondsWithSleep } : {}),
      },
      concurrencyRatio: vs(head.imagesPerSecond, one.imagesPerSecond),
      ratio: baseline.available ? vs(head.imagesPerSecond, baseline.imagesPerSecond) : null,
      ratios,
      serverBound,
    };
  } finally {
    await server.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** images/s of `a` over `b`, round by round. */
function paired(methods: readonly Method[], a: string, b: string): PairedRatio {
  const of = (key: string) => methods.find((m) => m.key === key)?.samples ?? [];
  const bs = new Map(of(b).map((s) => [s.round, s.seconds]));
  const ratios = of(a).filter((s) => bs.has(s.round)).map((s) => bs.get(s.round)! / s.seconds);
  if (ratios.length === 0) return { median: NaN, range: [NaN, NaN], rounds: 0 };
  return { median: round(median(ratios), 2), range: [round(Math.min(...ratios), 2), round(Math.max(...ratios), 2)], rounds: ratios.length };
}

/** A project holding the frames as uploads (in batches Django accepts); its JSON export. */
async function uploadProject(server: LabelStudioServer, frames: readonly Frame[], bodies: readonly Buffer[], log: (msg: string) => void): Promise<unknown[]> {
  const admin = new LabelStudioAdmin(server.url, server.legacyToken);
  const project = await admin.createProject('visionflow bench: download');
  log(`labelstudio: uploading ${frames.length} frames to project ${project.id} in batches of ${UPLOAD_BATCH}`);
  for (let i = 0; i < frames.length; i += UPLOAD_BATCH) {
    await admin.importImages(project.id, frames.slice(i, i + UPLOAD_BATCH).map((f, j) => ({ name: `${f.id}.jpg`, body: bodies[i + j] })));
  }
  const exported = await admin.exportJson(project.id);
  if (exported.length !== frames.length) throw new Error(`the export of project ${project.id} has ${exported.length} tasks, expected ${frames.length}`);
  return exported;
}

function method(key: string, kind: Method['kind'], inFlight: number, run: Method['run']): Method {
  return { key, kind, inFlight, run, samples: [] };
}

/** One downloadLabelStudioExport batch into a fresh folder: read and plan the export, download every task. */
async function runOurs(ctx: BenchContext, inFlight: number, work: string): Promise<Outcome<Sample>> {
  const dir = await mkdtemp(path.join(work, `ours-${inFlight}-`));
  try {
    const client = new TimedClient({ url: ctx.server.url, token: ctx.server.legacyToken });
    const storage = new TimedFileStorage(dir);
    let results: Awaited<ReturnType<typeof downloadTasks>> = [];
    const sample = await measured(ctx, async () => {
      const plan = planFromExport(JSON.parse(await readFile(ctx.exportPath, 'utf8')) as unknown, { format: 'yolo', labelStudioUrl: ctx.server.url });
      results = await downloadTasks(plan.tasks, { client, storage, concurrency: inFlight, isFatal: () => true });
    });
    if (!sample.ok) return sample;
    const bad = results.filter((r) => r.status !== 'downloaded');
    const bytes = results.reduce((s, r) => s + (r.bytes ?? 0), 0);
    if (bad.length > 0 || results.length !== ctx.expected.images || bytes !== ctx.expected.bytes) {
      return { ok: false, reason: `ours ${inFlight} in flight: ${results.length - bad.length} of ${ctx.expected.images} downloaded, ${bytes} of ${ctx.expected.bytes} bytes${bad[0] ? `, e.g. ${JSON.stringify(bad[0])}` : ''}` };
    }
    const n = ctx.expected.images;
    const per = (ms: number) => ms / n;
    const total = (sample.value.seconds * 1000 * inFlight) / n;
    const stages: Stages = { download: per(client.downloadMs), head: per(storage.headMs), put: per(storage.putMs), rest: 0 };
    stages.rest = total - stages.download - stages.head - stages.put;
    return { ok: true, value: { ...sample.value, stages } };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** LabelStudioClient that adds up the time spent in download (the GET, retries included). */
class TimedClient extends LabelStudioClient {
  downloadMs = 0;

  override async download(url: string | URL, signal?: AbortSignal): Promise<{ body: Buffer; contentType: string | null }> {
    const start = performance.now();
    try {
      return await super.download(url, signal);
    } finally {
      this.downloadMs += performance.now() - start;
    }
  }
}


/** Context: the same URLs with plain fetch, bodies read and dropped, no checks, no writes. */
async function runBareFetch(ctx: BenchContext, inFlight: number): Promise<Outcome<Sample>> {
  let bytes = 0;
  const sample = await measured(ctx, async () => {
    await mapWithConcurrency(ctx.imageUrls, inFlight, async (url) => {
      const res = await fetch(url, { headers: { authorization: `Token ${ctx.server.legacyToken}` } });
      const body = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
      bytes += body.byteLength;
    });
  });
  if (sample.ok && bytes !== ctx.expected.bytes) return { ok: false, reason: `bare fetch: ${bytes} of ${ctx.expected.bytes} bytes` };
  return sample;
}

/** The original script's loop in the Label Studio venv's Python, timed inside Python, into a fresh folder. */
async function runOriginal(ctx: BenchContext, python: string, work: string): Promise<Outcome<Sample>> {
  const dir = await mkdtemp(path.join(work, 'original-'));
  try {
    const script = path.join(repoRoot(), 'bench', 'requests_download_baseline.py');
    const before = cpuSnapshot();
    const serverBefore = serverCpuSeconds(ctx.serverPid);
    const wallStart = performance.now();
    const run = await runProcess(python, [script, ctx.exportPath, ctx.server.url, dir], { ...process.env, LS_TOKEN: ctx.server.legacyToken });
    const wall = (performance.now() - wallStart) / 1000;
    const serverAfter = serverCpuSeconds(ctx.serverPid);
    const after = cpuSnapshot();
    if (!run.ok) return run;
    let answer: { seconds: number; cpuSeconds: number; files: number; bytes: number; badCount: number; bad: unknown[] };
    try {
      answer = JSON.parse(run.value.trim().split('\n').pop() ?? '') as typeof answer;
    } catch {
      return { ok: false, reason: `the baseline printed no JSON: ${run.value.slice(0, 300)}` };
    }
    const written = (await readdir(dir)).length;
    if (answer.badCount > 0 || answer.files !== ctx.expected.images || answer.bytes !== ctx.expected.bytes || written !== ctx.expected.images) {
      return { ok: false, reason: `original: ${answer.files} of ${ctx.expected.images} images (${written} files written), ${answer.bytes} of ${ctx.expected.bytes} bytes, ${answer.badCount} refused, e.g. ${JSON.stringify(answer.bad[0])}` };
    }
    // The server idles while Python starts, so its CPU over the whole process is its CPU for the loop.
    const server = serverBefore !== null && serverAfter !== null ? serverAfter - serverBefore : null;
    const others = otherCores(before, after);
    return {
      ok: true,
      value: { seconds: answer.seconds, clientCpuSeconds: answer.cpuSeconds, serverCpuSeconds: server, otherCores: others === null ? null : Math.max(0, others - (server ?? 0) / wall) },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Wall time, this process's CPU time, the server's CPU time and everyone else's, around `fn`. */
async function measured(ctx: BenchContext, fn: () => Promise<void>): Promise<Outcome<Sample>> {
  const before = cpuSnapshot();
  const serverBefore = serverCpuSeconds(ctx.serverPid);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  try {
    await fn();
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const serverAfter = serverCpuSeconds(ctx.serverPid);
  const others = otherCores(before, cpuSnapshot());
  const server = serverBefore !== null && serverAfter !== null ? serverAfter - serverBefore : null;
  return {
    ok: true,
    value: { seconds, clientCpuSeconds: (cpu.user + cpu.system) / 1e6, serverCpuSeconds: server, otherCores: others === null ? null : Math.max(0, others - (server ?? 0) / seconds) },
  };
}

function downloadTiming(samples: readonly Sample[], images: number): DownloadTiming {
  const seconds = samples.map((s) => s.seconds);
  const perRun = median(seconds);
  const server = samples.every((s) => s.serverCpuSeconds !== null) ? samples.map((s) => s.serverCpuSeconds!) : null;
  return {
    imagesPerSecond: round(images / perRun, 1),
    msPerImage: round((perRun * 1000) / images, 2),
    rangeImagesPerSecond: [round(images / Math.max(...seconds), 1), round(images / Math.min(...seconds), 1)],
    runsSeconds: seconds.map((s) => round(s, 4)),
    clientCpuMsPerImage: round((median(samples.map((s) => s.clientCpuSeconds)) * 1000) / images, 2),
    clientCoresBusy: round(median(samples.map((s) => s.clientCpuSeconds / s.seconds)), 2),
    serverCpuMsPerImage: server ? round((median(server) * 1000) / images, 2) : null,
    serverCoresBusy: server ? round(median(samples.map((s) => s.serverCpuSeconds! / s.seconds)), 2) : null,
    otherCores: samples.every((s) => s.otherCores !== null) ? round(median(samples.map((s) => s.otherCores!)), 2) : null,
    ...(samples.every((s) => s.stages)
      ? { stages: { download: stage(samples, 'download'), head: stage(samples, 'head'), put: stage(samples, 'put'), rest: stage(samples, 'rest') } }
      : {}),
  };
}

function stage(samples: readonly Sample[], key: keyof Stages): number {
  return round(median(samples.map((s) => s.stages![key])), 2);
}

/** The interpreter of the label-studio script (its #! line), which has `requests` and Label Studio itself. */
function pythonOf(binary: string): Outcome<string> {
  try {
    const interpreter = /^#!(\S+)\s*$/.exec(readFileSync(binary, 'utf8').split('\n', 1)[0])?.[1];
    if (interpreter) return { ok: true, value: interpreter };
  } catch (err) {
    return { ok: false, reason: `cannot read ${binary}: ${(err as Error).message}` };
  }
  return { ok: false, reason: `${binary} has no '#!/path/to/python' line` };
}

function labelStudioVersions(python: string): Outcome<Record<string, string>> {
  const script = path.join(repoRoot(), 'bench', 'requests_download_baseline.py');
  const base = spawnSync(python, [script, '--versions'], { encoding: 'utf8', timeout: 60_000 });
  const ls = spawnSync(python, ['-c', 'import importlib.metadata as m, json; print(json.dumps({"labelStudio": m.version("label-studio"), "django": m.version("django")}))'], { encoding: 'utf8', timeout: 60_000 });
  if (base.status !== 0 || ls.status !== 0) {
    return { ok: false, reason: `${python} cannot run the baseline (needs requests): ${(base.stderr || ls.stderr || String(base.error ?? ls.error)).trim().split('\n').slice(-2).join(' | ')}` };
  }
  try {
    return { ok: true, value: { ...(JSON.parse(base.stdout) as Record<string, string>), ...(JSON.parse(ls.stdout) as Record<string, string>) } };
  } catch {
    return { ok: false, reason: `unexpected version output from ${python}: ${base.stdout.slice(0, 200)}` };
  }
}

function runProcess(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Outcome<string>> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), PYTHON_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `${command}: ${err.message}` });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ok: true, value: stdout });
      else resolve({ ok: false, reason: `${path.basename(command)} ${path.basename(args[0])} exited ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no stderr'}` });
    });
  });
}

/** The Label Studio process serving from `dir` (test/support/label-studio.ts sets LABEL_STUDIO_BASE_DATA_DIR=<dir>/data). */
function findServerPid(dir: string): number | undefined {
  const marker = `LABEL_STUDIO_BASE_DATA_DIR=${path.join(dir, 'data')}`;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(marker)) return Number(entry);
      } catch {
        // gone, or not ours to read
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

/** User + system CPU seconds of the server process, all its threads (/proc/<pid>/stat). */
function serverCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    return (fields[11] + fields[12]) / 100;
  } catch {
    return null;
  }
}

export function formatLabelStudioDownload(r: LabelStudioDownloadResult): string {
  if (!r.available) return `Label Studio download: unavailable: ${r.reason}`;
  const base = r.baseline.available ? r.baseline.imagesPerSecond : null;
  const row = (name: string, t: DownloadTiming, seconds: number) => [
    name,
    t.imagesPerSecond,
    `${t.rangeImagesPerSecond[0]}-${t.rangeImagesPerSecond[1]}`,
    round(seconds, 2),
    t.msPerImage,
    t.clientCpuMsPerImage,
    t.serverCpuMsPerImage ?? 'n/a',
    `${t.clientCoresBusy} / ${t.serverCoresBusy ?? 'n/a'} / ${t.otherCores ?? 'n/a'}`,
    base ? `${round(t.imagesPerSecond / base, 2)}x` : 'n/a',
  ];
  const n = r.corpus.images;
  const rows: (string | number)[][] = [];
  for (const [k, t] of Object.entries(r.ours)) rows.push(row(`ours: downloadTasks, ${k} in flight${Number(k) === r.defaultConcurrency ? ' (default)' : ''}`, t, n / t.imagesPerSecond));
  for (const [k, t] of Object.entries(r.bareFetch)) rows.push(row(`(context) bare fetch, ${k} in flight, no checks or writes`, t, n / t.imagesPerSecond));
  if (r.baseline.available) {
    rows.push(row('**baseline: original script, requests.get loop, 5 s sleep removed**', r.baseline, r.baseline.seconds));
    rows.push([`baseline with its 5 s sleep (${n} x 5 s + the above)`, r.baseline.imagesPerSecondWithSleep, '', r.baseline.secondsWithSleep, round((r.baseline.secondsWithSleep * 1000) / n, 0), '', '', '', '']);
  }
  const lines = [
    `Label Studio download: ${n} images (${r.corpus.photos} photographs, ${r.corpus.synthetic} street scenes; 1920x1080 JPEG q85, ${r.corpus.minKiB}-${r.corpus.maxKiB} KiB, mean ${r.corpus.meanKiB} KiB, ${r.corpus.totalMiB} MiB) from Label Studio ${r.labelStudio.version} (Django ${r.labelStudio.django}) on 127.0.0.1; median of ${r.runs} interleaved runs; load average at start ${r.machine.loadAverage.join(' ')}`,
    '',
    markdownTable(['method', 'images/s', 'range', 'total s', 'ms/image', 'client CPU ms/image', 'server CPU ms/image', 'cores busy: client / server / others', 'vs original'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']),
    '',
    `default (${r.defaultConcurrency} in flight) / 1 in flight: ${r.concurrencyRatio}x; ours default / original (no sleep): ${r.ratio ?? 'n/a'}x${r.baseline.available ? `; with the original's 5 s sleep it would take ${r.baseline.secondsWithSleep} s, ${r.ratios[`ours ${r.defaultConcurrency} in flight / original with its 5 s sleep`]}x ours` : `; baseline unavailable: ${r.baseline.reason}`}`,
    ...Object.entries(r.ours).filter(([k, t]) => t.stages && (k === '1' || Number(k) === r.defaultConcurrency)).map(([k, t]) => `ours ${k} in flight, ms per image in each step${k === '1' ? '' : ' (summed over images in flight)'}: GET ${t.stages!.download}, skip check ${t.stages!.head}, write ${t.stages!.put}, rest (checks, sharp metadata, waiting) ${t.stages!.rest}`),
    `round by round: ${Object.entries(r.paired).map(([k, p]) => `${k} ${p.median}x (${p.range[0]}-${p.range[1]})`).join('; ')}`,
    r.serverBound
      ? `server: ${r.serverBound.cpuMsPerImage} ms of Label Studio CPU per image, so at most ~${r.serverBound.imagesPerSecondOnOneCore} images/s on one fully busy core; ours at the default concurrency reaches ${Math.round(r.serverBound.oursDefaultShare * 100)} % of that`
      : 'server CPU: unknown (no /proc or server process not found)',
    `image answers: content-length ${r.labelStudio.imageResponse.contentLength}, connection ${r.labelStudio.imageResponse.connection ?? 'keep-alive'}; server: ${r.labelStudio.server}`,
  ];
  return lines.join('\n');
}
