/**
 * The `blur` part: the blur model (sharp / defocused / motion) trained and tested the
 * way `visionflow blur synth` + `trainBlurModel` do it, against the variance of the
 * Laplacian with a tuned threshold, in the same run:
 *
 * - a synthetic set from the photographs found (synthesizeDataset: seed 1, 3 crops per
 *   photo, 1024 px), cached by generator version and parameters;
 * - a scene-disjoint split with the default shares (splitScenes), checked;
 * - features of every image (analysisImage + blurFeatures, one at a time), then training
 *   with the default parameters (StagedBlurTrainer), evaluated on the held-out test split;
 * - the baseline on the same split: Laplacian variance of the same grey 1024 px image,
 *   threshold fitted on the train split (OpenCV itself, when the bench venv has it, as a
 *   cross-check);
 * - the same for SPLIT_SEEDS split seeds (training from scratch each time): one test split holds
 *   only ~9 scenes;
 * - predictions per second per core: BlurPredictor.predictImage on 2048 px JPEGs, one at
 *   a time with sharp.concurrency(1), and where the time goes;
 * - the generator's convolution against libvips' (blur-convolution.ts).
 */
import { trainedModelFields } from '../src/lib/blur/trained-model-fields';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { analysisImage } from '../src/lib/blur/analysis-image';
import { BLUR_CLASSES, BlurClass } from '../src/lib/blur/blur-classes';
import { BlurDatasetItem, readBlurDataset } from '../src/lib/blur/blur-dataset';
import { BlurEvaluation } from '../src/lib/blur/blur-evaluation';
import { ANALYSIS_SIZE, blurFeatures, FEATURE_NAMES } from '../src/lib/blur/blur-features';
import { BlurPredictor } from '../src/lib/blur/blur-predictor';
import { BlurModelRegistry } from '../src/lib/blur/blur-registry';
import { DEFAULT_BLUR_THRESHOLD } from '../src/lib/blur/blur-scores';
import { TrainingSet } from '../src/lib/blur/blur-trainer';
import { SceneSplit, splitOf, splitScenes, SplitName } from '../src/lib/blur/scene-split';
import { StagedBlurTrainer } from '../src/lib/blur/staged-training';
import { GENERATOR, synthesizeDataset } from '../src/lib/blur/synthesize-dataset';
import { loadTensorflow } from '../src/lib/blur/tf-runtime';
import { resolveTrainParams, TRAIN_DEFAULTS } from '../src/lib/blur/train-params';
import { FileStorage } from '../src/lib/storage/file-storage';
import { fitThreshold, laplacianVariance, OpencvLaplacian, opencvLaplacian } from './blur-baseline';
import { ConvolutionTiming, timeConvolution } from './blur-convolution';
import { cpuSnapshot, otherCores } from './cpu-load';
import { findPhotos, photoDirs } from './frames';
import { Machine } from './machine';
import { markdownTable } from './markdown-table';
import { writeFileAtomic } from './paths';
import { median, round } from './stats';

/** The synthetic set: `visionflow blur synth` defaults (seed 1, 1024 px) with 3 crops per photo. */
const SYNTH = { seed: 1, variants: 3, size: 1024 } as const;
/**
 * Split seeds trained unless VISIONFLOW_BENCH_BLUR_SEEDS says otherwise. A test split holds
 * only ~9 scenes, so one split's accuracy swings by 20 points; with 5 seeds two runs of the
 * same model on other seeds differed by 2.5 points, so 20 (a training takes about a second).
 */
export const SPLIT_SEEDS = 20;
const PREDICT = { images: 24, longSide: 2048, quality: 90, rounds: 5 } as const;
/** Bump when the recipe of the 2048 px prediction images changes. */
const PREDICT_VERSION = 'blur-predict-v1';
/** Images whose analysis grey is scored by both our Laplacian variance and cv2's. */
const KERNEL_CHECK_IMAGES = 3;
const GOALS = { binaryAccuracy: 0.95, accuracy: 0.9, trainingS: 300, predictionsPerS: 20 } as const;

export interface BlurBenchOptions {
  /** The bench cache (`~/.cache/visionflow/bench`). */
  cacheDir: string;
  /** The bench Python venv, for the optional OpenCV cross-check. */
  venvDir: string;
  machine: Machine;
  /** Split seeds, each trained from scratch (default SPLIT_SEEDS); the first is TRAIN_DEFAULTS.seed. */
  splitSeeds?: number;
  log: (msg: string) => void;
}

interface ClassCounts {
  sharp: number;
  defocused: number;
  motion: number;
}

/** One split seed: the split, ours trained from scratch, the baseline fitted on its train split. */
export interface SplitRun {
  seed: number;
  scenes: Record<SplitName, number>;
  images: Record<SplitName, number>;
  testScenes: string[];
  /** Every scene on exactly one side (checked; the bench stops otherwise). */
  scenesDisjoint: true;
  training: { ms: number; epochs: number; bestEpoch: number; temperature: number; otherCores: number | null };
  ours: BlurEvaluation & {
    /** Share of each true class called blurred at threshold 50 (sharp: wrongly). */
    calledBlurred: ClassCounts;
    /** Test images ours got wrong (3-class), with the blur percentage it gave. */
    errors: { key: string; scene: string; class: BlurClass; predicted: BlurClass; blurPercent: number }[];
  };
  baseline: LaplacianOutcome;
  opencv: LaplacianOutcome | null;
}

interface LaplacianOutcome {
  threshold: number;
  trainBinaryAccuracy: number;
  binaryAccuracy: number;
  calledBlurred: ClassCounts;
}

interface Goal {
  goal: string;
  /** What the figure is measured on. */
  on: string;
  value: number;
  /** The value as printed, with its unit and range. */
  text: string;
  met: boolean;
}

interface Spread {
  mean: number;
  /** Standard error of the mean over the seeds (sample standard deviation / sqrt(n)). */
  se: number;
  min: number;
  max: number;
}

export interface PredictionTiming {
  images: number;
  longSide: number;
  quality: number;
  sharpConcurrency: number;
  rounds: { wallS: number; cpuS: number; otherCores: number | null }[];
  /** Sequential predictImage calls per second of wall time, median round: the per-core figure. */
  perSecond: number;
  /** Predictions per CPU-second of this process (all its threads), median round. */
  perCpuSecond: number;
  /** Median ms per image of each stage, timed separately on the same images. */
  stagesMs: { decode: number; features: number; network: number; laplacian: number };
  /** The baseline per image: analysisImage + laplacianVariance (ours), and OpenCV's imread..var() with one thread. */
  baselinePerSecond: { laplacian: number; opencv: number | null };
}

export type BlurBenchResult =
  | { available: false; reason: string; machine: Machine }
  | {
      available: true;
      figure: string;
      machine: Machine;
      backend: string;
      dataset: {
        dir: string;
        generator: string;
        seed: number;
        variants: number;
        size: number;
        photos: number;
        photosFound: number;
        /** Photos synthesizeDataset left out: blur would not show on them (blur-visibility.ts). */
        featureless: { source: string; visibleShare: number }[];
        images: number;
        scenes: number;
        counts: ClassCounts;
        /** Seconds synthesizeDataset took this run (generating, or checking the cache). */
        seconds: number;
        generatedNow: boolean;
        written: number;
      };
      params: typeof TRAIN_DEFAULTS;
      features: { images: number; count: number; seconds: number; cpuS: number; otherCores: number | null; msPerImage: { decode: number; features: number; laplacian: number } };
      opencv: ReturnType<typeof relativeDifferences> | { ok: false; reason: string };
      /** tfjs deprecation warnings during training and model loads, with counts (not printed one by one). */
      tfjsDeprecations: Record<string, number>;
      main: SplitRun;
      seeds: SplitRun[];
      overSeeds: Record<'accuracy' | 'binaryAccuracy' | 'baselineBinaryAccuracy' | 'trainingS', Spread> & { opencvBinaryAccuracy: Spread | null; recall: Record<BlurClass, Spread> };
      prediction: PredictionTiming;
      /** The synthetic generator's blur against sharp.convolve, same kernels. */
      convolution: ConvolutionTiming;
      goals: Goal[];
      ratio: number;
      /** Per image: class, scene, Laplacian variance (ours) and OpenCV's. */
      laplacian: { key: string; class: BlurClass; scene: string; ours: number; opencv: number | null }[];
    };

interface ImageRow {
  item: BlurDatasetItem;
  label: number;
  features: number[];
  laplacian: number;
  opencv: number | null;
}

export async function benchBlurModel(opts: BlurBenchOptions): Promise<BlurBenchResult> {
  const { log, machine } = opts;
  const dirs = photoDirs();
  const photos = await findPhotos(dirs);
  if (photos.length < 10) {
    return { available: false, reason: `${photos.length} photographs found in ${dirs.join(', ') || 'no folder'}; need at least 10 (apt-get install mate-backgrounds plasma-workspace-wallpapers lomiri-wallpapers-16.04, or set VISIONFLOW_BENCH_PHOTO_DIRS)`, machine };
  }
  log(`blur: ${photos.length} photographs found in ${dirs.join(', ')}`);
  const dataset = await prepareSyntheticSet(photos, dirs, opts.cacheDir, log);
  const storage = new FileStorage(dataset.dir);
  const listing = await readBlurDataset(storage, '');
  if (listing.mismatches.length || listing.unnamed.length) {
    throw new Error(`synthetic set ${dataset.dir}: ${listing.mismatches.length} mismatched and ${listing.unnamed.length} unnamed images; delete the folder and run again`);
  }
  const items = listing.items;
  const scenes = new Set(items.map((i) => i.scene));
  log(`blur: ${items.length} images of ${scenes.size} scenes; extracting features one image at a time`);

  const features = await extractFeatures(storage, items);
  log(`blur: features in ${features.seconds.toFixed(1)} s (${(features.seconds / items.length * 1000).toFixed(0)} ms per image)`);
  const rows = features.rows;
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'visionflow-blur-bench-'));
  try {
    // The kernel check: the same grey pixels (8-bit PNG of the analysis image) scored by us and by cv2.
    const greyFiles = await writeGreyPngs(storage, items.slice(0, KERNEL_CHECK_IMAGES), scratch);
    const opencv = opencvLaplacian(opts.venvDir, items.map((i) => path.join(dataset.dir, ...i.key.split('/'))), ANALYSIS_SIZE, 0, greyFiles.map((g) => g.file));
    if (opencv.ok) opencv.value.values.forEach((v, i) => (rows[i].opencv = v));
    else log(`blur: OpenCV cross-check unavailable (the bench goes on without it): ${opencv.reason}`);

    const rt = await loadTensorflow();
    const registry = new BlurModelRegistry(new FileStorage(path.join(scratch, 'models')));
    const seeds = Array.from({ length: opts.splitSeeds ?? SPLIT_SEEDS }, (_, i) => TRAIN_DEFAULTS.seed + i);
    const { value: trained, deprecations } = await withTfjsDeprecationsCounted(async () => {
      const out: { run: SplitRun; predictor: BlurPredictor }[] = [];
      for (const seed of seeds) {
        log(`blur: split seed ${seed}: training ${TRAIN_DEFAULTS.epochs} epochs on train, then ${TRAIN_DEFAULTS.epochs} on train + validation, on ${rt.backend}`);
        const { run, predictor } = await runSplit(seed, rows, dataset.dir, rt, registry);
        out.push({ run, predictor });
        log(
          `blur: split seed ${seed}: ${(run.training.ms / 1000).toFixed(1)} s; test ${run.images.test} images of ${run.scenes.test} scenes: ` +
            `3-class ${pct(run.ours.accuracy)}, binary ${pct(run.ours.binaryAccuracy)}; Laplacian variance binary ${pct(run.baseline.binaryAccuracy)}`,
        );
      }
      return out;
    });
    for (const [text, n] of Object.entries(deprecations)) log(`blur: tfjs warned ${n} times (src/lib/blur/model-files.ts): ${text}`);
    const runs = trained.map((t) => t.run);
    const mainPredictor = trained[0].predictor;

    log(`blur: predictions at ${PREDICT.longSide} px: preparing ${PREDICT.images} JPEGs`);
    const predictFiles = await preparePredictImages(photos, opts.cacheDir);
    const prediction = await timePredictions(mainPredictor, predictFiles, opts.venvDir, log);
    log('blur: timing the generator convolution against sharp.convolve');
    const convolution = await timeConvolution();

    const main = runs[0];
    const spread = (xs: number[]): Spread => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.length > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1) : 0;
      return { mean: round(mean, 4), se: round(Math.sqrt(variance / xs.length), 4), min: round(Math.min(...xs), 4), max: round(Math.max(...xs), 4) };
    };
    const overSeeds = {
      accuracy: spread(runs.map((r) => r.ours.accuracy)),
      binaryAccuracy: spread(runs.map((r) => r.ours.binaryAccuracy)),
      baselineBinaryAccuracy: spread(runs.map((r) => r.baseline.binaryAccuracy)),
      opencvBinaryAccuracy: runs.every((r) => r.opencv) ? spread(runs.map((r) => r.opencv!.binaryAccuracy)) : null,
      trainingS: spread(runs.map((r) => r.training.ms / 1000)),
      recall: Object.fromEntries(BLUR_CLASSES.map((c) => [c, spread(runs.map((r) => r.ours.perClass[c].recall))])) as Record<BlurClass, Spread>,
    };
    const goals = blurGoals(main, runs.length, overSeeds, prediction);
    const opencvCheck = opencv.ok ? relativeDifferences(rows, opencv.value, greyFiles.map((g) => g.ours)) : { ok: false as const, reason: opencv.reason };
    return {
      available: true,
      figure: 'held-out test accuracy of the blur model (3-class and binary) against the variance of the Laplacian, over scene-disjoint splits; predictions per second per core',
      machine,
      backend: rt.backend,
      dataset: {
        dir: dataset.dir,
        generator: GENERATOR,
        ...SYNTH,
        photos: dataset.photos,
        photosFound: photos.length,
        featureless: dataset.featureless,
        images: items.length,
        scenes: scenes.size,
        counts: classCounts(items.map((i) => i.class)),
        seconds: round(dataset.seconds, 1),
        generatedNow: dataset.written > 0,
        written: dataset.written,
      },
      params: resolveTrainParams(),
      features: { images: items.length, count: FEATURE_NAMES.length, ...features.timing },
      opencv: opencvCheck,
      tfjsDeprecations: deprecations,
      main,
      seeds: runs,
      overSeeds,
      prediction,
      convolution,
      goals,
      ratio: round(main.ours.binaryAccuracy / main.baseline.binaryAccuracy, 3),
      laplacian: rows.map((r) => ({ key: r.item.key, class: r.item.class, scene: r.item.scene, ours: round(r.laplacian, 2), opencv: r.opencv === null ? null : round(r.opencv, 2) })),
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The photographs copied into `<cache>/blur-<generator>-…/photos` in their folder layout
 * (so a KDE wallpaper package stays one scene), then synthesizeDataset into `dataset/`.
 * The folder name carries the generator version, the parameters and a hash of the photo
 * list; synthesizeDataset itself skips images whose fingerprint already matches, so a
 * rerun only checks.
 */
async function prepareSyntheticSet(photos: string[], dirs: string[], cacheDir: string, log: (msg: string) => void) {
  const sources = await Promise.all(
    photos.map(async (file) => {
      const root = dirs.filter((d) => file.startsWith(`${path.resolve(d)}${path.sep}`)).sort((a, b) => b.length - a.length)[0];
      const relative = root ? path.join(path.basename(path.resolve(root)), path.relative(root, file)) : path.basename(file);
      return { file, relative, size: (await stat(file)).size };
    }),
  );
  const key = createHash('sha256')
    .update(JSON.stringify([GENERATOR, SYNTH, sources.map((s) => [s.relative, s.size])]))
    .digest('hex')
    .slice(0, 10);
  const dir = path.join(cacheDir, `blur-${GENERATOR.replace(/[^a-z0-9]+/gi, '-')}-s${SYNTH.seed}-x${SYNTH.variants}-${SYNTH.size}px-${key}`);
  const photosDir = path.join(dir, 'photos');
  for (const s of sources) {
    const target = path.join(photosDir, s.relative);
    if ((await stat(target).catch(() => undefined))?.size === s.size) continue;
    await mkdir(path.dirname(target), { recursive: true });
    // synthesizeDataset lists only .jpg/.jpeg/.png/.webp, so the temp file is never taken for a photo
    const temp = `${target}.${process.pid}.tmp`;
    await copyFile(s.file, temp);
    await rename(temp, target);
  }
  const datasetDir = path.join(dir, 'dataset');
  log(`blur: synthetic set in ${datasetDir} (${SYNTH.variants} crops per photo, ${SYNTH.size} px, seed ${SYNTH.seed}; the first run takes 2-4 minutes)`);
  const started = performance.now();
  let lastLog = started;
  const result = await synthesizeDataset({
    from: new FileStorage(photosDir),
    to: new FileStorage(datasetDir),
    ...SYNTH,
    onProgress: (p) => {
      if (p.written > 0 && performance.now() - lastLog > 15_000) {
        lastLog = performance.now();
        log(`blur: synthesizing: ${p.done}/${p.total} crops, ${p.written} images written`);
      }
    },
  });
  if (result.unreadable.length) throw new Error(`synthesizeDataset could not read ${result.unreadable.map((u) => `${u.source} (${u.reason})`).join(', ')}`);
  const seconds = (performance.now() - started) / 1000;
  log(
    result.written > 0
      ? `blur: synthesized ${result.written} images (${result.skipped} already there) from ${result.photos} photos in ${seconds.toFixed(1)} s`
      : `blur: synthetic set reused from the cache (${result.images} images of ${result.photos} photos; checked in ${seconds.toFixed(1)} s)`,
  );
  return { dir: datasetDir, photos: result.photos, featureless: result.featureless, written: result.written, seconds };
}

/** Features and the Laplacian variance of every image, one image at a time, with the time of each stage. */
async function extractFeatures(storage: FileStorage, items: BlurDatasetItem[]) {
  const rows: ImageRow[] = [];
  const ms = { decode: 0, features: 0, laplacian: 0 };
  const cpu = process.cpuUsage();
  const snap = cpuSnapshot();
  const started = performance.now();
  for (const item of items) {
    const body = await storage.get(item.key);
    if (!body) throw new Error(`${item.key} disappeared from ${storage.url}`);
    const t0 = performance.now();
    const grey = await analysisImage(body);
    const t1 = performance.now();
    const features = Array.from(blurFeatures(grey));
    const t2 = performance.now();
    const laplacian = laplacianVariance(grey);
    const t3 = performance.now();
    ms.decode += t1 - t0;
    ms.features += t2 - t1;
    ms.laplacian += t3 - t2;
    rows.push({ item, label: BLUR_CLASSES.indexOf(item.class), features, laplacian, opencv: null });
  }
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const n = items.length;
  return {
    rows,
    seconds,
    timing: {
      seconds: round(seconds, 1),
      cpuS: round((used.user + used.system) / 1e6, 1),
      otherCores: nullableRound(otherCores(snap, cpuSnapshot()), 2),
      msPerImage: { decode: round(ms.decode / n, 1), features: round(ms.features / n, 1), laplacian: round(ms.laplacian / n, 1) },
    },
  };
}

/**
 * One split seed, as trainBlurModel does it: splitScenes with the default shares, a new
 * network trained for all epochs (seeded by the same seed) on train, calibrated on
 * validation, then the final fit on train + validation (staged-training.ts), evaluated
 * on test; the model is published to a scratch registry and
 * loaded back through BlurPredictor, whose test predictions must agree. The baseline's
 * threshold is fitted on the same train split.
 */
async function runSplit(seed: number, rows: ImageRow[], datasetDir: string, rt: Awaited<ReturnType<typeof loadTensorflow>>, registry: BlurModelRegistry) {
  const params = resolveTrainParams({ seed });
  const split = splitScenes(rows.map((r) => r.item.scene), params, seed);
  const sides = checkDisjoint(split, rows);
  const bySide = (side: SplitName) => rows.filter((r) => sides.get(r.item.scene) === side);
  const set: TrainingSet = {
    train: { features: bySide('train').map((r) => r.features), labels: bySide('train').map((r) => r.label) },
    validation: { features: bySide('validation').map((r) => r.features), labels: bySide('validation').map((r) => r.label) },
    test: { features: bySide('test').map((r) => r.features), labels: bySide('test').map((r) => r.label) },
  };
  const snap = cpuSnapshot();
  const started = performance.now();
  const trainer = await StagedBlurTrainer.create(rt, set, params);
  const epochs = trainer.totalEpochs;
  let trained;
  try {
    while (trainer.epoch < epochs) await trainer.runEpoch();
    trained = await trainer.finish();
  } finally {
    trainer.dispose();
  }
  const ms = performance.now() - started;
  const trainingLoad = otherCores(snap, cpuSnapshot());
  if (trained.evaluatedOn !== 'test') throw new Error(`split seed ${seed}: the test split is empty`);

  const version = `bench-seed-${seed}`;
  await registry.publish(trained.files, {
    ...trainedModelFields(trained, rt.backend),
    version,
    createdAt: new Date().toISOString(),
    params,
    dataset: {
      url: new FileStorage(datasetDir).url,
      fingerprint: createHash('sha256').update(JSON.stringify(rows.map((r) => [r.item.key, r.item.class, r.item.size]))).digest('hex'),
      images: rows.length,
      counts: Object.fromEntries((['train', 'validation', 'test'] as const).map((s) => [s, classCounts(bySide(s).map((r) => r.item.class))])) as Record<SplitName, ClassCounts>,
      mismatches: 0,
      split,
    },
    training: { ms: Math.round(ms), epochs, bestEpoch: trained.bestEpoch, resumedAtEpoch: [], history: trained.history },
  });
  const predictor = await BlurPredictor.load(registry, version);
  const test = bySide('test');
  const scores = predictor.predictFeatures(test.map((r) => r.features));
  const predictedAccuracy = scores.filter((s, i) => s.class === test[i].item.class).length / test.length;
  const predictedBinary = scores.filter((s, i) => s.blurred === (test[i].item.class !== 'sharp')).length / test.length;
  if (Math.abs(predictedAccuracy - trained.evaluation.accuracy) > 1e-9 || Math.abs(predictedBinary - trained.evaluation.binaryAccuracy) > 1.5 / test.length) {
    throw new Error(
      `split seed ${seed}: the published model loaded by BlurPredictor scores the test split ${pct(predictedAccuracy)} / ${pct(predictedBinary)} binary, ` +
        `the trainer's evaluation ${pct(trained.evaluation.accuracy)} / ${pct(trained.evaluation.binaryAccuracy)}`,
    );
  }

  const run: SplitRun = {
    seed,
    scenes: { train: split.scenes.train.length, validation: split.scenes.validation.length, test: split.scenes.test.length },
    images: { train: set.train.labels.length, validation: set.validation.labels.length, test: set.test.labels.length },
    testScenes: split.scenes.test,
    scenesDisjoint: true,
    training: { ms: Math.round(ms), epochs, bestEpoch: trained.bestEpoch, temperature: trained.temperature, otherCores: nullableRound(trainingLoad, 2) },
    ours: {
      ...trained.evaluation,
      calledBlurred: calledBlurred(test.map((r) => r.item.class), scores.map((s) => s.blurred)),
      errors: test
        .map((r, i) => ({ key: r.item.key, scene: r.item.scene, class: r.item.class, predicted: scores[i].class, blurPercent: scores[i].blurPercent }))
        .filter((e) => e.predicted !== e.class),
    },
    baseline: laplacianOutcome(bySide('train'), test, (r) => r.laplacian),
    opencv: rows.every((r) => r.opencv !== null) ? laplacianOutcome(bySide('train'), test, (r) => r.opencv!) : null,
  };
  return { run, predictor };
}

/** Each image's scene on exactly one side, and the three scene lists disjoint; throws otherwise. */
function checkDisjoint(split: SceneSplit, rows: ImageRow[]): Map<string, SplitName> {
  const seen = new Map<string, SplitName>();
  for (const side of ['train', 'validation', 'test'] as const) {
    for (const scene of split.scenes[side]) {
      const other = seen.get(scene);
      if (other) throw new Error(`split seed ${split.seed}: scene ${scene} is on both ${other} and ${side}`);
      seen.set(scene, side);
    }
  }
  const sides = splitOf(split);
  const missing = rows.filter((r) => !sides.has(r.item.scene));
  if (missing.length) throw new Error(`split seed ${split.seed}: ${missing.length} images have no side (first: ${missing[0].item.key})`);
  return sides;
}

function laplacianOutcome(train: ImageRow[], test: ImageRow[], value: (r: ImageRow) => number): LaplacianOutcome {
  const fit = fitThreshold(train.map((r) => ({ value: value(r), blurred: r.item.class !== 'sharp' })));
  const called = test.map((r) => value(r) < fit.threshold);
  return {
    threshold: round(fit.threshold, 2),
    trainBinaryAccuracy: round(fit.accuracy, 4),
    binaryAccuracy: round(called.filter((c, i) => c === (test[i].item.class !== 'sharp')).length / test.length, 4),
    calledBlurred: calledBlurred(test.map((r) => r.item.class), called),
  };
}

function calledBlurred(truth: BlurClass[], blurred: boolean[]): ClassCounts {
  const share = (c: BlurClass) => {
    const idx = truth.map((t, i) => (t === c ? i : -1)).filter((i) => i >= 0);
    return idx.length ? round(idx.filter((i) => blurred[i]).length / idx.length, 4) : 0;
  };
  return { sharp: share('sharp'), defocused: share('defocused'), motion: share('motion') };
}

/**
 * `count` JPEGs at a long side of 2048 px, quality 90, from photographs at least that
 * large (spread over the list), cached under `<cache>/blur-predict-v1/`.
 */
async function preparePredictImages(photos: string[], cacheDir: string): Promise<string[]> {
  const sized = await Promise.all(photos.map(async (file) => ({ file, meta: await sharp(file).metadata() })));
  const large = sized.filter((p) => Math.max(p.meta.width ?? 0, p.meta.height ?? 0) >= PREDICT.longSide).map((p) => p.file);
  const pool = large.length >= PREDICT.images ? large : photos;
  const chosen = Array.from({ length: Math.min(PREDICT.images, pool.length) }, (_, i) => pool[Math.floor((i * pool.length) / Math.min(PREDICT.images, pool.length))]);
  const dir = path.join(cacheDir, PREDICT_VERSION);
  const files: string[] = [];
  for (const [i, file] of chosen.entries()) {
    const tag = createHash('sha256').update(file).digest('hex').slice(0, 8);
    const target = path.join(dir, `${String(i).padStart(2, '0')}-${tag}.jpg`);
    if (!existsSync(target)) {
      const jpeg = await sharp(file).rotate().resize(PREDICT.longSide, PREDICT.longSide, { fit: 'inside' }).jpeg({ quality: PREDICT.quality }).toBuffer();
      await writeFileAtomic(target, jpeg);
    }
    files.push(target);
  }
  return files;
}

/**
 * predictImage on the 2048 px JPEGs (bytes in memory), one after the other with
 * sharp.concurrency(1): one warm-up pass, then PREDICT.rounds timed passes; then one pass
 * timing decode (analysisImage), features (blurFeatures) and network (predictFeatures)
 * apart, and the baseline's Laplacian variance on the same grey image.
 */
async function timePredictions(predictor: BlurPredictor, files: string[], venvDir: string, log: (msg: string) => void): Promise<PredictionTiming> {
  const buffers = await Promise.all(files.map((f) => readFile(f)));
  const previous = sharp.concurrency();
  sharp.concurrency(1);
  try {
    for (const b of buffers) await predictor.predictImage(b);
    const rounds: PredictionTiming['rounds'] = [];
    for (let r = 0; r < PREDICT.rounds; r++) {
      const cpu = process.cpuUsage();
      const snap = cpuSnapshot();
      const started = performance.now();
      for (const b of buffers) await predictor.predictImage(b);
      const wallS = (performance.now() - started) / 1000;
      const used = process.cpuUsage(cpu);
      rounds.push({ wallS: round(wallS, 3), cpuS: round((used.user + used.system) / 1e6, 3), otherCores: nullableRound(otherCores(snap, cpuSnapshot()), 2) });
      log(`blur: predictions round ${r + 1}: ${(buffers.length / wallS).toFixed(1)}/s`);
    }
    const stages = { decode: [] as number[], features: [] as number[], network: [] as number[], laplacian: [] as number[] };
    for (const b of buffers) {
      const t0 = performance.now();
      const grey = await analysisImage(b);
      const t1 = performance.now();
      const features = Array.from(blurFeatures(grey));
      const t2 = performance.now();
      predictor.predictFeatures([features]);
      const t3 = performance.now();
      laplacianVariance(grey);
      const t4 = performance.now();
      stages.decode.push(t1 - t0);
      stages.features.push(t2 - t1);
      stages.network.push(t3 - t2);
      stages.laplacian.push(t4 - t3);
    }
    const opencv = opencvLaplacian(venvDir, files, ANALYSIS_SIZE, PREDICT.rounds);
    const medianRound = [...rounds].sort((a, b) => a.wallS - b.wallS)[Math.floor(rounds.length / 2)];
    const stagesMs = { decode: round(median(stages.decode), 2), features: round(median(stages.features), 2), network: round(median(stages.network), 2), laplacian: round(median(stages.laplacian), 2) };
    return {
      images: buffers.length,
      longSide: PREDICT.longSide,
      quality: PREDICT.quality,
      sharpConcurrency: sharp.concurrency(),
      rounds,
      perSecond: round(buffers.length / medianRound.wallS, 2),
      perCpuSecond: round(buffers.length / medianRound.cpuS, 2),
      stagesMs,
      baselinePerSecond: {
        laplacian: round(1000 / (stagesMs.decode + stagesMs.laplacian), 1),
        opencv: opencv.ok ? round(1 / median(opencv.value.seconds), 1) : null,
      },
    };
  } finally {
    sharp.concurrency(previous);
  }
}

function blurGoals(main: SplitRun, seeds: number, o: { accuracy: Spread; binaryAccuracy: Spread; trainingS: Spread }, p: PredictionTiming): Goal[] {
  const range = (s: Spread) => `${pct(s.mean)} ± ${pct(s.se)} (${pct(s.min)}-${pct(s.max)})`;
  const binary = `binary accuracy (blurred or not at ${DEFAULT_BLUR_THRESHOLD}) >= ${GOALS.binaryAccuracy * 100} %`;
  const accuracy = `3-class accuracy >= ${GOALS.accuracy * 100} %`;
  const perCore = `>= ${GOALS.predictionsPerS} predictions/s per core at ${PREDICT.longSide} px`;
  const load = Math.max(...p.rounds.map((r) => r.otherCores ?? 0));
  return [
    { goal: binary, on: `test split, seed ${main.seed}`, value: main.ours.binaryAccuracy, text: pct(main.ours.binaryAccuracy), met: main.ours.binaryAccuracy >= GOALS.binaryAccuracy },
    { goal: binary, on: `mean of ${seeds} split seeds`, value: o.binaryAccuracy.mean, text: range(o.binaryAccuracy), met: o.binaryAccuracy.mean >= GOALS.binaryAccuracy },
    { goal: accuracy, on: `test split, seed ${main.seed}`, value: main.ours.accuracy, text: pct(main.ours.accuracy), met: main.ours.accuracy >= GOALS.accuracy },
    { goal: accuracy, on: `mean of ${seeds} split seeds`, value: o.accuracy.mean, text: range(o.accuracy), met: o.accuracy.mean >= GOALS.accuracy },
    { goal: `training < ${GOALS.trainingS / 60} min`, on: `slowest of ${seeds} trainings`, value: o.trainingS.max, text: `${o.trainingS.max.toFixed(1)} s`, met: o.trainingS.max < GOALS.trainingS },
    {
      goal: perCore,
      on: 'sequential, wall time',
      value: p.perSecond,
      text: `${p.perSecond.toFixed(1)}/s${load >= 0.2 ? ` (other processes took up to ${load.toFixed(2)} cores)` : ''}`,
      met: p.perSecond >= GOALS.predictionsPerS,
    },
    { goal: perCore, on: 'per CPU-second of the process', value: p.perCpuSecond, text: `${p.perCpuSecond.toFixed(1)}/s`, met: p.perCpuSecond >= GOALS.predictionsPerS },
  ];
}

/** The analysis image of each item as an 8-bit grey PNG (lossless: its pixels are whole numbers), with our Laplacian variance of it. */
async function writeGreyPngs(storage: FileStorage, items: BlurDatasetItem[], dir: string): Promise<{ file: string; ours: number }[]> {
  const out: { file: string; ours: number }[] = [];
  for (const [i, item] of items.entries()) {
    const grey = await analysisImage((await storage.get(item.key))!);
    const file = path.join(dir, `grey-${i}.png`);
    await sharp(Buffer.from(Uint8Array.from(grey.data)), { raw: { width: grey.width, height: grey.height, channels: 1 } }).png().toFile(file);
    out.push({ file, ours: laplacianVariance(grey) });
  }
  return out;
}

/**
 * How far our Laplacian variance (sharp's grey, in TS) is from cv2's (its own decode and
 * cvtColor grey) on the same files, and whether the two agree on identical grey pixels.
 */
function relativeDifferences(rows: ImageRow[], cv: OpencvLaplacian, oursOnGrey: number[]) {
  const diffs = rows.filter((r) => r.opencv !== null && r.opencv > 0).map((r) => ({ r, d: Math.abs(r.laplacian - r.opencv!) / r.opencv! }));
  const worst = diffs.reduce((a, b) => (b.d > a.d ? b : a));
  return {
    ok: true as const,
    versions: cv.versions,
    /** Identical grey pixels: the largest relative difference between ours and cv2 (0 up to float rounding). */
    samePixels: { images: oursOnGrey.length, maxRelativeDifference: Math.max(0, ...oursOnGrey.map((v, i) => Math.abs(v - cv.greyValues[i]) / Math.max(cv.greyValues[i], 1e-12))) },
    medianRelativeDifference: round(median(diffs.map((x) => x.d)), 4),
    maxRelativeDifference: round(worst.d, 4),
    maxAt: { key: worst.r.item.key, ours: round(worst.r.laplacian, 2), opencv: round(worst.r.opencv!, 2) },
  };
}

/**
 * Runs `fn` with console.warn filtered: tfjs warns on every model load that
 * src/lib/blur/model-files.ts calls tf.io.fromMemory with the deprecated multi-argument
 * signature. Those are counted and handed back instead of printed; other warnings pass.
 */
async function withTfjsDeprecationsCounted<T>(fn: () => Promise<T>): Promise<{ value: T; deprecations: Record<string, number> }> {
  const deprecations: Record<string, number> = {};
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    if (/deprecated/i.test(text) && text.includes('tf.')) deprecations[text] = (deprecations[text] ?? 0) + 1;
    else warn(...args);
  };
  try {
    return { value: await fn(), deprecations };
  } finally {
    console.warn = warn;
  }
}

function classCounts(classes: BlurClass[]): ClassCounts {
  return { sharp: classes.filter((c) => c === 'sharp').length, defocused: classes.filter((c) => c === 'defocused').length, motion: classes.filter((c) => c === 'motion').length };
}

function nullableRound(v: number | null, digits: number): number | null {
  return v === null ? null : round(v, digits);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

export function formatBlurModel(result: BlurBenchResult): string {
  if (!result.available) return `blur: not measured: ${result.reason}`;
  const { dataset: d, main, overSeeds: o, prediction: p, features: f } = result;
  const lines: string[] = [];
  lines.push(
    `Synthetic set: ${d.images} images (${d.counts.sharp} sharp, ${d.counts.defocused} defocused, ${d.counts.motion} motion) from ${d.photos} photos ` +
      `(${d.photosFound} found; a KDE package with two pictures is one scene), ${d.scenes} scenes; ${d.generator}, seed ${d.seed}, ${d.variants} crops per photo, ${d.size} px; ` +
      (d.generatedNow ? `generated now in ${d.seconds} s.` : `reused from the cache (checked in ${d.seconds} s).`) +
      (d.featureless.length
        ? ` Left out by the generator, as blur would not show on them: ${d.featureless.map((f) => `${f.source} (${(f.visibleShare * 100).toFixed(1)} % of tiles)`).join(', ')}.`
        : ''),
  );
  lines.push(
    `Split seed ${main.seed} (default shares: validation ${result.params.validation}, test ${result.params.test}): scenes ${main.scenes.train} train / ${main.scenes.validation} validation / ${main.scenes.test} test, ` +
      `images ${main.images.train} / ${main.images.validation} / ${main.images.test}; no scene on two sides (checked for every seed). Test scenes: ${main.testScenes.join(', ')}.`,
  );
  lines.push(
    `Features: ${f.count} per image, ${f.images} images in ${f.seconds} s one at a time (${f.cpuS} CPU-s; per image ${f.msPerImage.decode} ms decode + ${f.msPerImage.features} ms features; ` +
      `other processes took ${f.otherCores ?? '?'} cores meanwhile). Training: the defaults (${result.params.epochs} epochs on train, then as many on train + validation; hidden layers [${result.params.hidden.join(', ')}], ` +
      `learning rate ${result.params.learningRate}, L2 ${result.params.l2}, batch ${result.params.batchSize}), backend ${result.backend}.`,
  );
  lines.push('');
  lines.push(`Held-out test split, seed ${main.seed} (${main.images.test} images of ${main.scenes.test} scenes):`);
  lines.push('');
  const opencvMain = main.opencv;
  lines.push(
    markdownTable(
      ['method', '3-class accuracy', `binary accuracy`, 'sharp recall', 'defocused recall', 'motion recall', 'sharp called blurred', 'defocused called blurred', 'motion called blurred'],
      [
        [
          `**ours** (threshold ${DEFAULT_BLUR_THRESHOLD}, trained ${(main.training.ms / 1000).toFixed(1)} s, best epoch ${main.training.bestEpoch})`,
          pct(main.ours.accuracy),
          `**${pct(main.ours.binaryAccuracy)}**`,
          pct(main.ours.perClass.sharp.recall),
          pct(main.ours.perClass.defocused.recall),
          pct(main.ours.perClass.motion.recall),
          pct(main.ours.calledBlurred.sharp),
          pct(main.ours.calledBlurred.defocused),
          pct(main.ours.calledBlurred.motion),
        ],
        laplacianRow(`baseline: Laplacian variance < ${main.baseline.threshold} (fitted on train: ${pct(main.baseline.trainBinaryAccuracy)})`, main.baseline),
        ...(opencvMain ? [laplacianRow(`OpenCV's cv2.Laplacian(...).var() < ${opencvMain.threshold} (fitted on train: ${pct(opencvMain.trainBinaryAccuracy)})`, opencvMain)] : []),
      ],
    ),
  );
  lines.push('');
  lines.push('A single threshold on one sharpness score can only say blurred or not: a 3-class figure for the baseline is not meaningful (n/a).');
  lines.push('');
  lines.push(`Confusion matrix, ours (rows: true class, columns: predicted):`);
  lines.push('');
  lines.push(markdownTable(['true \\ predicted', ...BLUR_CLASSES], BLUR_CLASSES.map((c, i) => [c, ...main.ours.confusion[i]])));
  const perScene = new Map<string, number>();
  for (const e of main.ours.errors) perScene.set(e.scene, (perScene.get(e.scene) ?? 0) + 1);
  const imagesPerScene = main.images.test / main.scenes.test;
  lines.push('');
  lines.push(
    `Wrong 3-class answers by test scene (of ${imagesPerScene} images each): ` +
      ([...perScene].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([scene, n]) => `${scene} ${n}`).join(', ') || 'none') +
      '.',
  );
  lines.push('');
  lines.push(`Over ${result.seeds.length} split seeds (each trained from scratch; test images and scenes per seed vary):`);
  lines.push('');
  const seedRows = result.seeds.map((r) => [
    String(r.seed),
    `${r.images.test} / ${r.scenes.test}`,
    pct(r.ours.accuracy),
    pct(r.ours.binaryAccuracy),
    pct(r.ours.perClass.defocused.recall),
    pct(r.ours.perClass.motion.recall),
    pct(r.baseline.binaryAccuracy),
    r.opencv ? pct(r.opencv.binaryAccuracy) : '-',
    (r.training.ms / 1000).toFixed(1),
    String(r.training.bestEpoch),
  ]);
  const sp = (s: Spread | null, f: (x: number) => string = pct) => (s ? `${f(s.mean)} ± ${f(s.se)} (${f(s.min)}-${f(s.max)})` : '-');
  const secs = (x: number) => x.toFixed(1);
  seedRows.push([
    '**mean ± standard error (min-max)**',
    '',
    `**${sp(o.accuracy)}**`,
    `**${sp(o.binaryAccuracy)}**`,
    sp(o.recall.defocused),
    sp(o.recall.motion),
    `**${sp(o.baselineBinaryAccuracy)}**`,
    sp(o.opencvBinaryAccuracy),
    sp(o.trainingS, secs),
    '',
  ]);
  lines.push(markdownTable(['split seed', 'test images / scenes', 'ours 3-class', 'ours binary', 'defocused recall', 'motion recall', 'Laplacian var. binary', 'OpenCV binary', 'training s', 'best epoch'], seedRows));
  lines.push('');
  lines.push(`Predictions, ${p.images} JPEGs at ${p.longSide} px long side (q${p.quality}), one at a time in one process, sharp.concurrency(${p.sharpConcurrency}), ${p.rounds.length} rounds after a warm-up:`);
  lines.push('');
  const perImage = p.stagesMs.decode + p.stagesMs.features + p.stagesMs.network;
  lines.push(
    markdownTable(
      ['method', 'predictions/s (wall, sequential)', 'per CPU-second', 'ms per image: decode', 'features', 'network', 'rounds (s)', 'other load (cores)'],
      [
        [
          '**ours: BlurPredictor.predictImage**',
          `**${p.perSecond.toFixed(1)}**`,
          p.perCpuSecond.toFixed(1),
          p.stagesMs.decode.toFixed(1),
          p.stagesMs.features.toFixed(1),
          p.stagesMs.network.toFixed(2),
          p.rounds.map((r) => r.wallS.toFixed(2)).join(', '),
          p.rounds.map((r) => (r.otherCores === null ? '?' : r.otherCores.toFixed(2))).join(', '),
        ],
        ['baseline: analysisImage + Laplacian variance (TS; from the stage medians)', `${p.baselinePerSecond.laplacian.toFixed(1)}`, '', p.stagesMs.decode.toFixed(1), p.stagesMs.laplacian.toFixed(1), '', '', ''],
        ...(p.baselinePerSecond.opencv !== null ? [['baseline: OpenCV imread + grey + resize + Laplacian var (1 thread; median, timed in Python)', p.baselinePerSecond.opencv.toFixed(1), '', '', '', '', '', '']] : []),
      ],
    ),
  );
  lines.push('');
  lines.push(`Stages add up to ${perImage.toFixed(1)} ms per image (${(1000 / perImage).toFixed(1)}/s).`);
  if (result.opencv.ok) {
    lines.push(
      `OpenCV ${result.opencv.versions.opencv} cross-check: our Laplacian variance differs from cv2's by ${(result.opencv.medianRelativeDifference * 100).toFixed(1)} % (median; max ${(result.opencv.maxRelativeDifference * 100).toFixed(1)} %): ` +
        `the most on the flattest images (${result.opencv.maxAt.key}: ${result.opencv.maxAt.ours} against ${result.opencv.maxAt.opencv}), where decoder and grey-conversion rounding ` +
        `(libvips' b-w against cv2.cvtColor's BT.601 weights) weigh most. ` +
        `On identical grey pixels (${result.opencv.samePixels.images} images) ours and cv2's differ by at most ${result.opencv.samePixels.maxRelativeDifference.toExponential(1)} (relative).`,
    );
  } else {
    lines.push(`OpenCV cross-check unavailable: ${result.opencv.reason}`);
  }
  const c = result.convolution;
  lines.push('');
  lines.push(`The generator's blur on a ${c.width}x${c.height} RGB image (median of 3, one thread): ours converts to linear light and back, sharp.convolve works on the 8-bit values.`);
  lines.push('');
  lines.push(markdownTable(['kernel', 'size', 'ours: blurPixels (ms)', 'baseline: sharp.convolve (ms)'], c.kernels.map((k) => [k.name, k.size, k.oursMs.toFixed(1), k.libvipsMs.toFixed(1)])));
  lines.push('');
  lines.push('Goals:');
  lines.push('');
  lines.push(markdownTable(['goal', 'measured on', 'figure', 'met'], result.goals.map((g) => [g.goal, g.on, g.text, g.met ? 'met' : '**not met**']), ['l', 'l', 'r', 'l']));
  return lines.join('\n');
}

function laplacianRow(label: string, l: LaplacianOutcome): string[] {
  return [label, 'n/a', pct(l.binaryAccuracy), '-', '-', '-', pct(l.calledBlurred.sharp), pct(l.calledBlurred.defocused), pct(l.calledBlurred.motion)];
}
