/**
 * Hash throughput: images per second for our sharp-based perceptual hashes against
 * the original scripts' Pillow + imagehash.average_hash, on the same JPEG files in the
 * same run. A run reads and hashes every file once (file read included on both sides:
 * Image.open(path) reads the file too). Runs go round-robin over all methods, Python
 * included, so background load hits every method alike; the figure is the median run.
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { hammingDistance } from '../src/lib/hash/hamming';
import { HASH_KINDS, HashKind } from '../src/lib/hash/hash-kind';
import { perceptualHash } from '../src/lib/hash/perceptual-hash';
import { mapWithConcurrency } from './concurrency';
import { Frame, FRAME_HEIGHT, FRAME_QUALITY, FRAME_WIDTH } from './frames';
import { Machine } from './machine';
import { markdownTable } from './markdown-table';
import { Outcome, PythonSession } from './python-baseline';
import { median, round } from './stats';

export interface Timing {
  imagesPerSecond: number;
  msPerImage: number;
  /** Slowest and fastest run, images/s: how noisy the machine was. */
  rangeImagesPerSecond: [number, number];
  runsSeconds: number[];
}

export interface ThroughputResult {
  figure: string;
  machine: Machine;
  corpus: { files: number; photos: number; synthetic: number; width: number; height: number; quality: number; meanKiB: number };
  runs: number;
  warmupRuns: number;
  ours: {
    sequential: Record<HashKind, Timing>;
    concurrent: { concurrency: number } & Record<HashKind, Timing>;
  };
  baseline: ({ name: string; available: true; versions: Record<string, string> } & Timing) | { name: string; available: false; reason: string };
  /** ours ahash one image at a time / baseline (same hash, same single thread): the headline figure. */
  ratio: number | null;
  /** Every other comparison with the baseline. */
  ratios: Record<string, number>;
  /** For context: Pillow decoding at 1/8 scale first (Image.draft), the counterpart of sharp's shrink-on-load. */
  pillowDraft: Timing | null;
  /** How often our ahash and imagehash's average_hash agree on the same file. */
  ahashAgreement: { files: number; identical: number; meanDistance: number; maxDistance: number } | null;
}

const BASELINE_NAME = 'PIL imagehash.average_hash';

interface Method {
  key: string;
  /** Seconds for one pass over all files, or why it cannot run. */
  run: () => Promise<Outcome<number>>;
  seconds: number[];
  failure?: string;
}

export async function benchHashThroughput(
  frames: readonly Frame[],
  python: PythonSession,
  options: { runs: number; warmup: number; concurrency: number; machine: Machine },
): Promise<ThroughputResult> {
  const files = frames.map((f) => f.path);
  const { runs, warmup, concurrency } = options;
  const methods: Method[] = [];
  for (const kind of HASH_KINDS) {
    methods.push(ourMethod(`${kind} sequential`, files, kind, 1));
    methods.push(ourMethod(`${kind} concurrent`, files, kind, concurrency));
  }
  if (python.ok) {
    for (const method of ['plain', 'draft'] as const) {
      methods.push({
        key: `python ${method}`,
        seconds: [],
        run: async () => {
          const answer = await python.value.baseline.timeRuns(method, files, 1);
          return answer.ok ? { ok: true, value: answer.value[0] } : answer;
        },
      });
    }
  }
  for (let round = 0; round < warmup + runs; round++) {
    for (const method of methods) {
      if (method.failure !== undefined) continue;
      const outcome = await method.run();
      if (!outcome.ok) method.failure = outcome.reason;
      else if (round >= warmup) method.seconds.push(outcome.value);
    }
  }
  const byKey = (key: string) => methods.find((m) => m.key === key);
  const timingOf = (key: string): Timing => {
    const m = byKey(key);
    if (!m || m.failure !== undefined) throw new Error(`${key} failed: ${m?.failure ?? 'not run'}`);
    return timing(m.seconds, files.length);
  };
  const sequential = {} as Record<HashKind, Timing>;
  const concurrent = { concurrency } as { concurrency: number } & Record<HashKind, Timing>;
  for (const kind of HASH_KINDS) {
    sequential[kind] = timingOf(`${kind} sequential`);
    concurrent[kind] = timingOf(`${kind} concurrent`);
  }

  const plain = byKey('python plain');
  const draft = byKey('python draft');
  const unavailable = (reason: string) => ({ name: BASELINE_NAME, available: false as const, reason });
  let baseline: ThroughputResult['baseline'];
  if (!python.ok) baseline = unavailable(python.reason);
  else if (!plain || plain.failure !== undefined) baseline = unavailable(plain?.failure ?? 'not run');
  else baseline = { name: BASELINE_NAME, available: true, versions: { ...python.value.versions }, ...timing(plain.seconds, files.length) };
  const pillowDraft = draft && draft.failure === undefined && draft.seconds.length > 0 ? timing(draft.seconds, files.length) : null;

  const ratios: Record<string, number> = {};
  if (baseline.available) {
    for (const kind of HASH_KINDS) {
      ratios[`${kind} sequential`] = round(sequential[kind].imagesPerSecond / baseline.imagesPerSecond, 2);
      ratios[`${kind} concurrent x${concurrency}`] = round(concurrent[kind].imagesPerSecond / baseline.imagesPerSecond, 2);
    }
    if (pillowDraft) ratios['ahash sequential vs Pillow draft'] = round(sequential.ahash.imagesPerSecond / pillowDraft.imagesPerSecond, 2);
  }
  return {
    figure: `images hashed per second, ${FRAME_WIDTH}x${FRAME_HEIGHT} JPEG q${FRAME_QUALITY} camera frames, file read + decode + hash, median of ${runs} runs over ${files.length} files`,
    machine: options.machine,
    corpus: {
      files: frames.length,
      photos: frames.filter((f) => f.source === 'photo').length,
      synthetic: frames.filter((f) => f.source === 'synthetic').length,
      width: FRAME_WIDTH,
      height: FRAME_HEIGHT,
      quality: FRAME_QUALITY,
      meanKiB: round(frames.reduce((s, f) => s + f.bytes, 0) / frames.length / 1024, 1),
    },
    runs,
    warmupRuns: warmup,
    ours: { sequential, concurrent },
    baseline,
    ratio: baseline.available ? ratios['ahash sequential'] : null,
    ratios,
    pillowDraft,
    ahashAgreement: python.ok ? await agreement(files, await python.value.baseline.hashes(files)) : null,
  };
}

function ourMethod(key: string, files: readonly string[], kind: HashKind, concurrency: number): Method {
  return {
    key,
    seconds: [],
    run: async () => {
      const start = performance.now();
      if (concurrency <= 1) {
        for (const file of files) await perceptualHash(await readFile(file), kind);
      } else {
        await mapWithConcurrency(files, concurrency, async (file) => perceptualHash(await readFile(file), kind));
      }
      return { ok: true, value: (performance.now() - start) / 1000 };
    },
  };
}

function timing(runsSeconds: readonly number[], images: number): Timing {
  const perRun = median(runsSeconds);
  return {
    imagesPerSecond: round(images / perRun, 1),
    msPerImage: round((perRun * 1000) / images, 2),
    rangeImagesPerSecond: [round(images / Math.max(...runsSeconds), 1), round(images / Math.min(...runsSeconds), 1)],
    runsSeconds: runsSeconds.map((s) => round(s, 4)),
  };
}

async function agreement(files: readonly string[], theirs: Outcome<Record<string, string>>): Promise<ThroughputResult['ahashAgreement']> {
  if (!theirs.ok) return null;
  const distances: number[] = [];
  for (const file of files) {
    const other = theirs.value[file];
    if (other === undefined) continue;
    const ours = await perceptualHash(await readFile(file), 'ahash');
    distances.push(hammingDistance(ours.hash, other));
  }
  if (distances.length === 0) return null;
  return {
    files: distances.length,
    identical: distances.filter((d) => d === 0).length,
    meanDistance: round(distances.reduce((a, b) => a + b, 0) / distances.length, 2),
    maxDistance: Math.max(...distances),
  };
}

export function formatThroughput(r: ThroughputResult): string {
  const base = r.baseline.available ? r.baseline.imagesPerSecond : null;
  const vs = (ips: number) => (base ? `${round(ips / base, 2)}x` : 'n/a');
  const row = (name: string, t: Timing, ratio: string) => [name, t.imagesPerSecond, `${t.rangeImagesPerSecond[0]}-${t.rangeImagesPerSecond[1]}`, t.msPerImage, ratio];
  const rows: (string | number)[][] = [];
  for (const kind of HASH_KINDS) {
    rows.push(row(`ours ${kind}, sequential`, r.ours.sequential[kind], vs(r.ours.sequential[kind].imagesPerSecond)));
    rows.push(row(`ours ${kind}, ${r.ours.concurrent.concurrency} in flight`, r.ours.concurrent[kind], vs(r.ours.concurrent[kind].imagesPerSecond)));
  }
  if (r.baseline.available) rows.push(row(`baseline: ${r.baseline.name}`, r.baseline, '1x'));
  if (r.pillowDraft) rows.push(row('(context) Pillow draft 1/8 + average_hash', r.pillowDraft, vs(r.pillowDraft.imagesPerSecond)));
  const lines = [
    `Hash throughput: ${r.corpus.files} files (${r.corpus.photos} photos, ${r.corpus.synthetic} synthetic street scenes), ${r.corpus.width}x${r.corpus.height} q${r.corpus.quality}, mean ${r.corpus.meanKiB} KiB; median of ${r.runs} interleaved runs; load average at start ${r.machine.loadAverage.join(' ')}`,
    '',
    markdownTable(['method', 'images/s', 'range', 'ms/image', 'vs baseline'], rows),
  ];
  if (!r.baseline.available) lines.push('', `baseline unavailable: ${r.baseline.reason}`);
  if (r.ahashAgreement) {
    const a = r.ahashAgreement;
    lines.push('', `ahash vs imagehash.average_hash on the same files: ${a.identical}/${a.files} identical, mean distance ${a.meanDistance}, max ${a.maxDistance}`);
  }
  return lines.join('\n');
}
