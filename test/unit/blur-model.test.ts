/**
 * The blur model's maths and training: calibrated scores, temperature fitting and
 * metrics on hand-computed examples, parameter validation, the trainer on separable
 * synthetic features, exact resume from a checkpoint, the two training stages (and a
 * resume across them), and the model file format.
 */
import type { LayersModel, Tensor2D } from '@tensorflow/tfjs';
import { evaluateBlur } from '../../src/lib/blur/blur-evaluation';
import { DEFAULT_BLUR_THRESHOLD, fitTemperature, scoresFromLogits, softmax } from '../../src/lib/blur/blur-scores';
import { BlurTrainer, EpochResult, TrainedBlurModel, TrainingCheckpoint, TrainingSet } from '../../src/lib/blur/blur-trainer';
import { fitNormalizer, normalize } from '../../src/lib/blur/feature-normalizer';
import { modelFromFiles, modelToFiles, WEIGHTS_FILE } from '../../src/lib/blur/model-files';
import { countPredictions, PredictionRow, predictionCsv } from '../../src/lib/blur/prediction-report';
import { seededRandom } from '../../src/lib/blur/seeded-random';
import { StagedBlurTrainer, StagedCheckpoint } from '../../src/lib/blur/staged-training';
import { loadTensorflow, TfRuntime } from '../../src/lib/blur/tf-runtime';
import { BlurTrainParams, resolveTrainParams, TRAIN_DEFAULTS } from '../../src/lib/blur/train-params';

describe('softmax and scores', () => {
  test('softmax of log-probabilities gives them back; temperature flattens', () => {
    const p = softmax([Math.log(1), Math.log(2), Math.log(5)]);
    expect(p[0]).toBeCloseTo(1 / 8, 12);
    expect(p[1]).toBeCloseTo(2 / 8, 12);
    expect(p[2]).toBeCloseTo(5 / 8, 12);
    // T = 2 takes square roots of the odds.
    const t2 = softmax([Math.log(1), Math.log(2), Math.log(5)], 2);
    const z = 1 + Math.SQRT2 + Math.sqrt(5);
    expect(t2.map((x) => x * z)).toEqual([expect.closeTo(1, 12), expect.closeTo(Math.SQRT2, 12), expect.closeTo(Math.sqrt(5), 12)]);
    // Shift-invariant and safe with huge logits.
    expect(softmax([1000, 1000 + Math.log(3), 1000])).toEqual([expect.closeTo(0.2, 12), expect.closeTo(0.6, 12), expect.closeTo(0.2, 12)]);
    expect(softmax([0, 0, 0])).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  test('scores: class, rounded probabilities, blur percent = 1 - p(sharp), verdict at the threshold', () => {
    expect(scoresFromLogits([Math.log(1), Math.log(2), Math.log(5)], 1)).toEqual({
      class: 'motion',
      probabilities: { sharp: 0.125, defocused: 0.25, motion: 0.625 },
      blurPercent: 87.5,
      blurred: true,
      threshold: DEFAULT_BLUR_THRESHOLD,
    });
    expect(scoresFromLogits([Math.log(3), 0, 0], 1)).toEqual({
      class: 'sharp',
      probabilities: { sharp: 0.6, defocused: 0.2, motion: 0.2 },
      blurPercent: 40,
      blurred: false,
      threshold: 50,
    });
    // The threshold is inclusive, and a higher one flips the verdict.
    expect(scoresFromLogits([0, 0, 0], 1, 70)).toMatchObject({ class: 'sharp', blurPercent: 66.67, blurred: false });
    expect(scoresFromLogits([Math.log(2), Math.log(1), Math.log(1)], 1, 50)).toMatchObject({ blurPercent: 50, blurred: true });
    expect(scoresFromLogits([Math.log(1), Math.log(2), Math.log(5)], 1, 90)).toMatchObject({ blurPercent: 87.5, blurred: false, threshold: 90 });
    // Temperature calibrates: at T = 2 the same logits are less sure.
    const hot = scoresFromLogits([Math.log(1), Math.log(2), Math.log(5)], 2);
    const z = 1 + Math.SQRT2 + Math.sqrt(5);
    expect(hot.class).toBe('motion');
    expect(hot.blurPercent).toBeCloseTo((1 - 1 / z) * 100, 2);
    expect(hot.blurPercent).toBeLessThan(87.5);
    expect(hot.probabilities.sharp).toBeCloseTo(1 / z, 4);
    // Two blur classes together can outweigh sharp even when sharp is the single most likely class.
    expect(scoresFromLogits([Math.log(4), Math.log(3), Math.log(3)], 1)).toMatchObject({ class: 'sharp', blurPercent: 60, blurred: true });
  });

  test('fitTemperature finds the temperature that makes the probabilities honest', () => {
    // Logits [L, 0, 0]; the first class is right a share q of the time: the best T has
    // e^(L/T) / (e^(L/T) + 2) = q, so T = L / ln(2q / (1 - q)).
    const data = (L: number, q: number, n = 100) => {
      const right = Math.round(n * q);
      const labels = Array.from({ length: n }, (_, i) => (i < right ? 0 : 1 + (i % 2)));
      return { logits: labels.map(() => [L, 0, 0]), labels };
    };
    const grid = Math.exp(Math.log(50) / 80); // neighbouring grid points differ by this factor
    for (const [L, q] of [
      [4, 0.8], // T ~ 1.92: overconfident network
      [12, 0.8], // T ~ 5.77
      [1, 0.8], // T ~ 0.48: underconfident network
      [3, 0.6], // T ~ 2.73
    ]) {
      const { logits, labels } = data(L, q);
      const want = L / Math.log((2 * q) / (1 - q));
      const t = fitTemperature(logits, labels);
      expect(t / want).toBeGreaterThan(1 / grid);
      expect(t / want).toBeLessThan(grid);
    }
    // Nothing to fit: 1. Always right: the sharpest temperature the grid allows.
    expect(fitTemperature([], [])).toBe(1);
    expect(fitTemperature([[4, 0, 0]], [0])).toBe(0.2);
    // Always wrong with confident logits: the flattest.
    expect(fitTemperature([[4, 0, 0]], [1])).toBe(10);
  });
});

describe('evaluateBlur', () => {
  test('accuracy, binary accuracy, per-class precision/recall/F1 and the confusion matrix on a hand-checked example', () => {
    const truth = [0, 0, 1, 1, 2, 2];
    const predicted = [0, 1, 1, 1, 2, 0];
    const blurPercent = [10, 60, 70, 80, 90, 40];
    const e = evaluateBlur(truth, predicted, blurPercent, 50);
    expect(e.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(e.images).toBe(6);
    expect(e.accuracy).toBeCloseTo(4 / 6, 12);
    // Blurred truth: F F T T T T; blur >= 50: F T T T T F -> 4 right.
    expect(e.binaryAccuracy).toBeCloseTo(4 / 6, 12);
    expect(e.threshold).toBe(50);
    expect(e.perClass.sharp).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(e.perClass.defocused.precision).toBeCloseTo(2 / 3, 12);
    expect(e.perClass.defocused.recall).toBe(1);
    expect(e.perClass.defocused.f1).toBeCloseTo(0.8, 12);
    expect(e.perClass.defocused.support).toBe(2);
    expect(e.perClass.motion.precision).toBe(1);
    expect(e.perClass.motion.recall).toBe(0.5);
    expect(e.perClass.motion.f1).toBeCloseTo(2 / 3, 12);
    // The binary verdict uses the threshold, not the class.
    expect(evaluateBlur([0, 1], [0, 1], [49.99, 50], 50).binaryAccuracy).toBe(1);
    expect(evaluateBlur([0, 1], [0, 1], [50, 49.99], 50).binaryAccuracy).toBe(0);
  });

  test('empty and one-class inputs give zeros, never NaN', () => {
    const empty = evaluateBlur([], [], [], 50);
    expect(empty).toMatchObject({ images: 0, accuracy: 0, binaryAccuracy: 0 });
    expect(empty.perClass.sharp).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    const oneClass = evaluateBlur([2, 2], [2, 2], [90, 90], 50);
    expect(oneClass.accuracy).toBe(1);
    expect(oneClass.perClass.sharp).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(oneClass.perClass.motion).toEqual({ precision: 1, recall: 1, f1: 1, support: 2 });
  });
});

describe('feature normalizer', () => {
  test('standardises with the mean and population spread; a constant feature is divided by 1', () => {
    const n = fitNormalizer([
      [1, 10, 5],
      [3, 30, 5],
    ]);
    expect(n).toEqual({ mean: [2, 20, 5], std: [1, 10, 1] });
    expect(normalize([[3, 10, 7]], n)).toEqual([[1, -1, 2]]);
    expect(fitNormalizer([])).toEqual({ mean: [], std: [] });
  });
});

describe('resolveTrainParams', () => {
  test('defaults fill what is not given (undefined counts as not given)', () => {
    expect(resolveTrainParams()).toEqual(TRAIN_DEFAULTS);
    expect(resolveTrainParams({ epochs: 5, learningRate: undefined, hidden: [] })).toEqual({ ...TRAIN_DEFAULTS, epochs: 5, hidden: [] });
  });

  test.each<[Partial<BlurTrainParams>, RegExp]>([
    [{ epochs: 0 }, /epochs must be an integer from 1 to 10000, got 0/],
    [{ epochs: 2.5 }, /epochs .* got 2\.5/],
    [{ epochs: NaN }, /epochs .* got NaN/],
    [{ epochs: 10001 }, /epochs .* got 10001/],
    [{ batchSize: 0 }, /batchSize must be an integer from 1 to 4096, got 0/],
    [{ batchSize: 5000 }, /batchSize .* got 5000/],
    [{ learningRate: 0 }, /learningRate must be above 0 and at most 1, got 0/],
    [{ learningRate: 1.5 }, /learningRate .* got 1\.5/],
    [{ learningRate: NaN }, /learningRate .* got NaN/],
    [{ hidden: [0] }, /hidden must be up to 4 layer sizes from 1 to 1024, got \[0\]/],
    [{ hidden: [8, 8, 8, 8, 8] }, /hidden .* got \[8,8,8,8,8\]/],
    [{ hidden: [2000] }, /hidden .* got \[2000\]/],
    [{ hidden: [1.5] }, /hidden .* got \[1\.5\]/],
    [{ l2: -0.1 }, /l2 must be from 0 to below 1, got -0\.1/],
    [{ l2: 1 }, /l2 .* got 1/],
    [{ seed: 1.5 }, /seed must be an integer, got 1\.5/],
    [{ validation: -0.1 }, /validation and test shares .* got -0\.1 and 0\.2/],
    [{ validation: 0.5, test: 0.5 }, /validation and test shares must be >= 0 and add up to below 1, got 0\.5 and 0\.5/],
  ])('%j is refused with a message naming the parameter', (input, message) => {
    expect(() => resolveTrainParams(input)).toThrow(/^invalid blur training parameters: /);
    expect(() => resolveTrainParams(input)).toThrow(message);
  });

  test('every problem is reported at once', () => {
    expect(() => resolveTrainParams({ epochs: 0, batchSize: 0, seed: 0.5 })).toThrow(/epochs .*; batchSize .*; seed /);
  });
});

describe('prediction report', () => {
  const rows: PredictionRow[] = [
    { key: 'a.jpg', ...scoresFromLogits([Math.log(1), Math.log(2), Math.log(5)], 1) },
    { key: 'dir/b, "the best".jpg', ...scoresFromLogits([Math.log(3), 0, 0], 1) },
    { key: 'c.jpg', ...scoresFromLogits([0, Math.log(8), 0], 1), quarantined: 'quarantine/c.jpg' },
    { key: 'd.jpg', error: 'not an image: Input buffer contains unsupported image format' },
  ];

  test('counts by verdict, class, failures and quarantine', () => {
    expect(countPredictions(rows)).toEqual({
      images: 4,
      blurred: 2,
      sharp: 1,
      failed: 1,
      byClass: { sharp: 1, defocused: 1, motion: 1 },
      quarantined: 1,
    });
  });

  test('CSV: one header, one line per image, quoting where needed', () => {
    expect(predictionCsv(rows)).toBe(
      [
        'key,class,blur_percent,blurred,p_sharp,p_defocused,p_motion,quarantined,error',
        'a.jpg,motion,87.5,true,0.125,0.25,0.625,,',
        '"dir/b, ""the best"".jpg",sharp,40,false,0.6,0.2,0.2,,',
        'c.jpg,defocused,90,true,0.1,0.8,0.1,quarantine/c.jpg,',
        'd.jpg,,,,,,,,not an image: Input buffer contains unsupported image format',
        '',
      ].join('\n'),
    );
  });
});

// ---- training ----

const MEANS = [
  [4, 0, 0, 0, 0, 0],
  [0, 4, 0, 0, 0, 0],
  [0, 0, 4, 0, 0, 0],
];

/** Three Gaussian clusters in 8 dimensions, plus a constant and a large-scale feature. */
function clusters(n: number, seed: string): { features: number[][]; labels: number[] } {
  const rng = seededRandom(seed);
  const features: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    const v = MEANS[label].map((m) => m + rng.normal());
    features.push([...v, 7, 1000 + 500 * rng.normal() + 200 * label]);
    labels.push(label);
  }
  return { features, labels };
}

function syntheticSet(): TrainingSet {
  return { train: clusters(300, 'train'), validation: clusters(90, 'validation'), test: clusters(90, 'test') };
}

const PARAMS = resolveTrainParams({ epochs: 8, batchSize: 32, learningRate: 0.01, hidden: [16, 8], seed: 11 });

describe('BlurTrainer', () => {
  let rt: TfRuntime;
  beforeAll(async () => {
    rt = await loadTensorflow();
  });

  test('the runtime is one of the recorded backends', () => {
    expect(['tensorflow', 'wasm', 'cpu']).toContain(rt.backend);
    expect(rt.tf.getBackend()).toBe(rt.backend);
  });

  test('learns three separable clusters: high accuracy on test, falling loss, calibrated temperature', async () => {
    const set = syntheticSet();
    const trainer = await BlurTrainer.create(rt, set, resolveTrainParams({ ...PARAMS, epochs: 15 }));
    try {
      const history: EpochResult[] = [];
      for (let e = 0; e < 15; e++) history.push(await trainer.runEpoch());
      expect(history.map((h) => h.epoch)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      expect(history[14].trainLoss).toBeLessThan(history[0].trainLoss / 2);
      expect(history[14].valAccuracy).toBeGreaterThanOrEqual(0.95);
      const trained = await trainer.finish();
      expect(trained.evaluatedOn).toBe('test');
      expect(trained.evaluation.images).toBe(90);
      expect(trained.evaluation.accuracy).toBeGreaterThanOrEqual(0.95);
      expect(trained.evaluation.binaryAccuracy).toBeGreaterThanOrEqual(0.95);
      expect(trained.evaluation.confusion.flat().reduce((a, b) => a + b, 0)).toBe(90);
      expect(trained.temperature).toBeGreaterThanOrEqual(0.2);
      expect(trained.temperature).toBeLessThanOrEqual(10);
      // The best epoch is the one with the lowest validation loss.
      const best = history.reduce((a, b) => (b.valLoss! < a.valLoss! ? b : a));
      expect(trained.bestEpoch).toBe(best.epoch);
      expect(trained.history).toEqual(history);
      // The normalizer is the training split's.
      expect(trained.normalizer).toEqual(fitNormalizer(set.train.features));
    } finally {
      trainer.dispose();
    }
  });

  test('without a test split it evaluates on validation; without validation the best epoch follows the training loss', async () => {
    const set = syntheticSet();
    const noTest = await BlurTrainer.create(rt, { ...set, test: { features: [], labels: [] } }, PARAMS);
    try {
      for (let e = 0; e < 3; e++) await noTest.runEpoch();
      const trained = await noTest.finish();
      expect(trained.evaluatedOn).toBe('validation');
      expect(trained.evaluation.images).toBe(90);
    } finally {
      noTest.dispose();
    }
    const noVal = await BlurTrainer.create(rt, { ...set, validation: { features: [], labels: [] } }, PARAMS);
    try {
      const history: EpochResult[] = [];
      for (let e = 0; e < 3; e++) history.push(await noVal.runEpoch());
      expect(history.every((h) => h.valLoss === null && h.valAccuracy === null)).toBe(true);
      const trained = await noVal.finish();
      expect(trained.temperature).toBe(1);
      const best = history.reduce((a, b) => (b.trainLoss < a.trainLoss ? b : a));
      expect(trained.bestEpoch).toBe(best.epoch);
    } finally {
      noVal.dispose();
    }
  });

  test('an empty training split is refused', async () => {
    const set = syntheticSet();
    await expect(BlurTrainer.create(rt, { ...set, train: { features: [], labels: [] } }, PARAMS)).rejects.toThrow('the training split has no images');
  });

  test('the same seed trains the same network; another seed another one', async () => {
    const run = async (seed: number) => {
      const trainer = await BlurTrainer.create(rt, syntheticSet(), resolveTrainParams({ ...PARAMS, seed }));
      try {
        for (let e = 0; e < 2; e++) await trainer.runEpoch();
        return await trainer.checkpoint();
      } finally {
        trainer.dispose();
      }
    };
    const [a, b, c] = [await run(11), await run(11), await run(12)];
    expect(a.weights).toBe(b.weights);
    expect(a.history).toEqual(b.history);
    expect(c.weights).not.toBe(a.weights);
  });

  /** An uninterrupted run of `epochs`, and the same run stopped after each of `stops` and resumed by a new trainer. */
  async function straightAndResumed(epochs: number, stops: number[]) {
    const straight = await BlurTrainer.create(rt, syntheticSet(), PARAMS);
    let uninterrupted: TrainingCheckpoint;
    let straightModel: TrainedBlurModel;
    try {
      for (let e = 0; e < epochs; e++) await straight.runEpoch();
      uninterrupted = await straight.checkpoint();
      straightModel = await straight.finish();
    } finally {
      straight.dispose();
    }
    // A new trainer each time (as a new activity attempt or worker would), going
    // through JSON as the checkpoint does in storage.
    let checkpoint: TrainingCheckpoint | undefined;
    let resumedModel: TrainedBlurModel | undefined;
    for (const until of [...stops, epochs]) {
      const trainer = await BlurTrainer.create(rt, syntheticSet(), PARAMS, checkpoint);
      try {
        expect(trainer.epoch).toBe(checkpoint?.epoch ?? 0);
        while (trainer.epoch < until) await trainer.runEpoch();
        checkpoint = JSON.parse(JSON.stringify(await trainer.checkpoint())) as TrainingCheckpoint;
        if (until === epochs) resumedModel = await trainer.finish();
      } finally {
        trainer.dispose();
      }
    }
    return { uninterrupted, straightModel, resumed: checkpoint!, resumedModel: resumedModel! };
  }

  const floats = (base64: string) => new Float32Array(Uint8Array.from(Buffer.from(base64, 'base64')).buffer);

  test('resume from a checkpoint takes the same path: same history, best epoch and (to float rounding) weights', async () => {
    const { uninterrupted, straightModel, resumed, resumedModel } = await straightAndResumed(8, [3, 5, 6]);
    expect(resumed.epoch).toBe(8);
    expect(resumed.history).toEqual(uninterrupted.history);
    expect(resumed.history.map((h) => h.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(resumed.bestEpoch).toBe(uninterrupted.bestEpoch);
    expect(resumed.bestLoss).toBeCloseTo(uninterrupted.bestLoss, 5);
    const [a, b] = [floats(uninterrupted.weights), floats(resumed.weights)];
    expect(b.length).toBe(a.length);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
    expect(maxDiff).toBeLessThan(1e-4);
    expect(resumedModel.evaluation.accuracy).toBeCloseTo(straightModel.evaluation.accuracy, 6);
    expect(resumedModel.temperature).toBeCloseTo(straightModel.temperature, 2);
  });

  test('resume from a checkpoint is bit-exact: same weights, optimizer state and best loss as an uninterrupted run', async () => {
    const { uninterrupted, straightModel, resumed, resumedModel } = await straightAndResumed(8, [3, 5, 6]);
    expect(resumed.history).toEqual(uninterrupted.history);
    expect(resumed.bestLoss).toBe(uninterrupted.bestLoss);
    expect(resumed.weights).toBe(uninterrupted.weights);
    expect(resumed.bestWeights).toBe(uninterrupted.bestWeights);
    expect(resumed.optimizer.data).toBe(uninterrupted.optimizer.data);
    expect(resumedModel.files.weights.equals(straightModel.files.weights)).toBe(true);
    expect(resumedModel.temperature).toBe(straightModel.temperature);
    expect(resumedModel.evaluation).toEqual(straightModel.evaluation);
  });
});

describe('StagedBlurTrainer', () => {
  let rt: TfRuntime;
  beforeAll(async () => {
    rt = await loadTensorflow();
  });
  const E = 6;
  const params = resolveTrainParams({ ...PARAMS, epochs: E });

  /** Runs to the end, stopping after each of `stops` (a new trainer from the JSON checkpoint each time, as after a crash). */
  async function run(set: TrainingSet, stops: number[] = []) {
    let saved: StagedCheckpoint | undefined;
    const seen: EpochResult[] = [];
    for (const until of [...stops, Infinity]) {
      const trainer = await StagedBlurTrainer.create(rt, set, params, saved);
      try {
        while (trainer.epoch < Math.min(until, trainer.totalEpochs)) seen.push(await trainer.runEpoch());
        saved = JSON.parse(JSON.stringify(await trainer.checkpoint())) as StagedCheckpoint;
        if (until === Infinity) return { trained: await trainer.finish(), seen, saved, total: trainer.totalEpochs };
      } finally {
        trainer.dispose();
      }
    }
    throw new Error('unreachable');
  }

  test('first stage on train as BlurTrainer does it, then a fresh fit on train + validation, published with the first stage temperature', async () => {
    const set = syntheticSet();
    const { trained, seen, total } = await run(set);
    expect(total).toBe(2 * E);
    expect(seen.map((h) => h.epoch)).toEqual(Array.from({ length: 2 * E }, (_, i) => i + 1));
    // The first stage is exactly a BlurTrainer on the training split.
    const plain = await BlurTrainer.create(rt, set, params);
    let first: TrainedBlurModel;
    try {
      for (let e = 0; e < E; e++) await plain.runEpoch();
      first = await plain.finish();
    } finally {
      plain.dispose();
    }
    expect(seen.slice(0, E)).toEqual(first.history);
    expect(trained.temperature).toBe(first.temperature);
    expect(trained.bestEpoch).toBe(first.bestEpoch);
    // The final fit: no validation figures, marked, standardised over train + validation.
    expect(seen.slice(E).every((h) => h.refit === true && h.valLoss === null)).toBe(true);
    expect(trained.history).toEqual(seen);
    expect(trained.normalizer).toEqual(fitNormalizer([...set.train.features, ...set.validation.features]));
    expect(trained.files.weights.equals(first.files.weights)).toBe(false);
    expect(trained.evaluatedOn).toBe('test');
    expect(trained.evaluation.images).toBe(90);
    expect(trained.evaluation.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  test('a crash at, just before or just after the switch resumes to the same model', async () => {
    const set = syntheticSet();
    const straight = await run(set);
    for (const stops of [[E - 1], [E], [E + 1], [2, E, E + 2]]) {
      const resumed = await run(set, stops);
      expect(resumed.seen.map((h) => h.epoch)).toEqual(straight.seen.map((h) => h.epoch));
      expect(resumed.trained.history).toEqual(straight.trained.history);
      expect(resumed.trained.temperature).toBe(straight.trained.temperature);
      expect(resumed.trained.files.weights.equals(straight.trained.files.weights)).toBe(true);
      expect(resumed.trained.evaluation).toEqual(straight.trained.evaluation);
    }
  });

  test('without validation it is one stage; without test it reports the first stage figures on validation', async () => {
    const set = syntheticSet();
    const noVal = await run({ ...set, validation: { features: [], labels: [] } });
    expect(noVal.total).toBe(E);
    expect(noVal.seen.some((h) => h.refit)).toBe(false);
    expect(noVal.trained.temperature).toBe(1);
    const noTest = await run({ ...set, test: { features: [], labels: [] } });
    expect(noTest.total).toBe(2 * E);
    expect(noTest.trained.evaluatedOn).toBe('validation');
    // Held-out figures only: the final fit has seen the validation images.
    expect(noTest.trained.evaluation.images).toBe(90);
    expect(noTest.trained.evaluation).toEqual((await run({ ...set, test: { features: [], labels: [] } }, [E])).trained.evaluation);
  });

  test('no epoch after the last, no model before it', async () => {
    const trainer = await StagedBlurTrainer.create(rt, syntheticSet(), params);
    try {
      await expect(trainer.finish()).rejects.toThrow(`training is not over: 0 of ${2 * E} epochs done`);
      while (trainer.epoch < trainer.totalEpochs) await trainer.runEpoch();
      await expect(trainer.runEpoch()).rejects.toThrow(`training is over: all ${2 * E} epochs are done`);
    } finally {
      trainer.dispose();
    }
  });
});

describe('model files', () => {
  let rt: TfRuntime;
  let model: LayersModel;
  beforeAll(async () => {
    rt = await loadTensorflow();
    const { tf } = rt;
    model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [5], units: 7, activation: 'relu', kernelInitializer: tf.initializers.heNormal({ seed: 3 }) }),
        tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }),
      ],
    });
  });
  afterAll(() => model?.dispose());

  test('modelToFiles -> modelFromFiles predicts exactly the same, and saves to the same bytes again', async () => {
    const { tf } = rt;
    const files = await modelToFiles(tf, model);
    // model.json in the standard layers format, weights in one file of float32s.
    const json = JSON.parse(files.modelJson) as { format: string; weightsManifest: { paths: string[]; weights: { name: string; shape: number[] }[] }[] };
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual([WEIGHTS_FILE]);
    expect(json.weightsManifest[0].weights.map((w) => w.shape)).toEqual([[5, 7], [7], [7, 3], [3]]);
    expect(files.weights.length).toBe(4 * (5 * 7 + 7 + 7 * 3 + 3));

    const loaded = await modelFromFiles(tf, files);
    try {
      const rng = seededRandom('inputs');
      const x = Array.from({ length: 20 }, () => Array.from({ length: 5 }, () => rng.normal() * 3));
      const predict = (m: LayersModel) => tf.tidy(() => (m.predict(tf.tensor2d(x)) as Tensor2D).arraySync());
      const before = predict(model);
      expect(predict(loaded)).toEqual(before);
      expect(before.flat().every(Number.isFinite)).toBe(true);
      const again = await modelToFiles(tf, loaded);
      expect(again.weights.equals(files.weights)).toBe(true);
      // A copy of the buffer at an offset (as storage reads return) loads the same.
      const padded = Buffer.concat([Buffer.alloc(13), files.weights]).subarray(13);
      const fromPadded = await modelFromFiles(tf, { modelJson: files.modelJson, weights: padded });
      try {
        expect(predict(fromPadded)).toEqual(before);
      } finally {
        fromPadded.dispose();
      }
    } finally {
      loaded.dispose();
    }
  });

  test('loading a model prints no tfjs deprecation warning', async () => {
    const { tf } = rt;
    const files = await modelToFiles(tf, model);
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const loaded = await modelFromFiles(tf, files);
      loaded.dispose();
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([]);
    } finally {
      warn.mockRestore();
    }
  });
});
