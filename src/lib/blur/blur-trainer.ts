/**
 * Trains the small blur network on standardised feature vectors, one epoch at a
 * time, with a checkpoint (weights, optimizer moments, best epoch so far) that
 * resumes training exactly where it stopped. Batches are shuffled from the seed and
 * the epoch number, so a resumed run takes the same path as an uninterrupted one.
 */
import type { LayersModel, Optimizer, Scalar, Tensor2D, Variable } from '@tensorflow/tfjs';
import { BLUR_CLASSES } from './blur-classes';
import { BlurEvaluation, evaluateBlur } from './blur-evaluation';
import { DEFAULT_BLUR_THRESHOLD, fitTemperature, softmax } from './blur-scores';
import { FeatureNormalizer, fitNormalizer, normalize } from './feature-normalizer';
import { ModelFiles, modelFromFiles, modelToFiles } from './model-files';
import { seededRandom } from './seeded-random';
import { BlurTrainParams } from './train-params';
import { Tensorflow, TfRuntime } from './tf-runtime';

export interface LabelledFeatures {
  features: number[][];
  labels: number[];
}

export interface TrainingSet {
  train: LabelledFeatures;
  validation: LabelledFeatures;
  test: LabelledFeatures;
}

export interface EpochResult {
  epoch: number;
  trainLoss: number;
  valLoss: number | null;
  valAccuracy: number | null;
  /** Set on the epochs of the final fit on training + validation (staged-training.ts). */
  refit?: true;
}

/** Everything needed to carry on after a crash; JSON-serialisable. */
export interface TrainingCheckpoint {
  epoch: number;
  modelJson: string;
  weights: string;
  bestWeights: string;
  bestEpoch: number;
  bestLoss: number;
  optimizer: { specs: unknown; data: string; accBeta: [number, number] };
  history: EpochResult[];
}

/**
 * tfjs's Adam keeps its bias-correction powers (beta^t) as float32 products, but its
 * setWeights recomputes them with pow(), which differs in the last bit after a few
 * dozen steps. Saving and restoring them keeps a resumed run bit-identical.
 */
interface AdamInternals {
  accBeta1: Variable;
  accBeta2: Variable;
}

export interface TrainedBlurModel {
  files: ModelFiles;
  normalizer: FeatureNormalizer;
  temperature: number;
  bestEpoch: number;
  history: EpochResult[];
  /** On the test split, or on validation when the test split is empty (see `evaluatedOn`). */
  evaluation: BlurEvaluation;
  evaluatedOn: 'test' | 'validation';
}

export class BlurTrainer {
  private constructor(
    private readonly tf: Tensorflow,
    private readonly model: LayersModel,
    private readonly optimizer: Optimizer,
    private readonly set: TrainingSet,
    private readonly normalizer: FeatureNormalizer,
    /** The train and validation features, standardised once. */
    private readonly scaled: { train: number[][]; validation: number[][] },
    private readonly params: BlurTrainParams,
    private state: { epoch: number; bestEpoch: number; bestLoss: number; bestWeights: Buffer; history: EpochResult[] },
  ) {}

  static async create(rt: TfRuntime, set: TrainingSet, params: BlurTrainParams, checkpoint?: TrainingCheckpoint): Promise<BlurTrainer> {
    const { tf } = rt;
    if (set.train.labels.length === 0) throw new Error('the training split has no images');
    const normalizer = fitNormalizer(set.train.features);
    const model = checkpoint
      ? await modelFromFiles(tf, { modelJson: checkpoint.modelJson, weights: Buffer.from(checkpoint.weights, 'base64') })
      : buildNetwork(tf, set.train.features[0].length, params);
    const optimizer = tf.train.adam(params.learningRate);
    if (checkpoint) {
      const decoded = tf.io.decodeWeights(toArrayBuffer(Buffer.from(checkpoint.optimizer.data, 'base64')), checkpoint.optimizer.specs as never);
      await optimizer.setWeights(Object.entries(decoded).map(([name, tensor]) => ({ name, tensor })));
      const adam = optimizer as unknown as AdamInternals;
      adam.accBeta1.assign(tf.scalar(checkpoint.optimizer.accBeta[0]));
      adam.accBeta2.assign(tf.scalar(checkpoint.optimizer.accBeta[1]));
    }
    const state = checkpoint
      ? { epoch: checkpoint.epoch, bestEpoch: checkpoint.bestEpoch, bestLoss: checkpoint.bestLoss, bestWeights: Buffer.from(checkpoint.bestWeights, 'base64'), history: checkpoint.history }
      : { epoch: 0, bestEpoch: 0, bestLoss: Infinity, bestWeights: Buffer.alloc(0), history: [] };
    const scaled = { train: normalize(set.train.features, normalizer), validation: normalize(set.validation.features, normalizer) };
    return new BlurTrainer(tf, model, optimizer, set, normalizer, scaled, params, state);
  }

  get epoch(): number {
    return this.state.epoch;
  }

  async runEpoch(): Promise<EpochResult> {
    const { tf, params } = this;
    const epoch = this.state.epoch + 1;
    const x = this.scaled.train;
    const y = this.set.train.labels;
    const classWeights = balancedWeights(y);
    const order = shuffled(y.length, `${params.seed}:epoch:${epoch}`);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += params.batchSize) {
      const idx = order.slice(start, start + params.batchSize);
      const loss = tf.tidy(() => {
        const xb = tf.tensor2d(idx.map((i) => x[i]));
        const yb = tf.oneHot(tf.tensor1d(idx.map((i) => y[i]), 'int32'), BLUR_CLASSES.length);
        const wb = tf.tensor1d(idx.map((i) => classWeights[y[i]]));
        const kernels = this.model.trainableWeights.filter((w) => w.name.includes('kernel')).map((w) => w.read());
        const cost = this.optimizer.minimize(() => {
          const data = tf.losses.softmaxCrossEntropy(yb, this.model.apply(xb) as Tensor2D, wb);
          return (params.l2 > 0 ? data.add(tf.addN(kernels.map((k) => k.square().sum())).mul(params.l2)) : data) as Scalar;
        }, true);
        return cost ?? tf.scalar(0);
      });
      lossSum += (await loss.data())[0] * idx.length;
      loss.dispose();
    }
    const val = this.set.validation.labels.length ? this.lossAndAccuracy(this.scaled.validation, this.set.validation.labels) : null;
    const result: EpochResult = {
      epoch,
      trainLoss: round(lossSum / y.length),
      valLoss: val ? round(val.loss) : null,
      valAccuracy: val ? round(val.accuracy) : null,
    };
    this.state.epoch = epoch;
    this.state.history.push(result);
    // Keep the weights of the epoch with the lowest validation loss (training loss without a validation split).
    const score = val ? val.loss : result.trainLoss;
    if (score < this.state.bestLoss) {
      this.state.bestLoss = score;
      this.state.bestEpoch = epoch;
      this.state.bestWeights = (await modelToFiles(tf, this.model)).weights;
    }
    return result;
  }

  async checkpoint(): Promise<TrainingCheckpoint> {
    const files = await modelToFiles(this.tf, this.model);
    const encoded = await this.tf.io.encodeWeights(await this.optimizer.getWeights());
    return {
      epoch: this.state.epoch,
      modelJson: files.modelJson,
      weights: files.weights.toString('base64'),
      bestWeights: this.state.bestWeights.toString('base64'),
      bestEpoch: this.state.bestEpoch,
      bestLoss: this.state.bestLoss,
      optimizer: { specs: encoded.specs, data: Buffer.from(encoded.data).toString('base64'), accBeta: adamPowers(this.optimizer) },
      history: this.state.history,
    };
  }

  /**
   * The best epoch's network, calibrated on validation (or with the given temperature)
   * and measured on test.
   */
  async finish(temperatureOverride?: number): Promise<TrainedBlurModel> {
    const current = await modelToFiles(this.tf, this.model);
    const files: ModelFiles = { modelJson: current.modelJson, weights: this.state.bestWeights.length ? this.state.bestWeights : current.weights };
    const best = await modelFromFiles(this.tf, files);
    try {
      const logitsOf = (split: LabelledFeatures) => (split.labels.length ? this.logits(best, normalize(split.features, this.normalizer)) : []);
      const temperature = temperatureOverride ?? fitTemperature(logitsOf(this.set.validation), this.set.validation.labels);
      const evaluatedOn = this.set.test.labels.length ? 'test' : 'validation';
      const split = this.set[evaluatedOn];
      const probs = logitsOf(split).map((l) => softmax(l, temperature));
      const predicted = probs.map((p) => p.indexOf(Math.max(...p)));
      const evaluation = evaluateBlur(split.labels, predicted, probs.map((p) => (1 - p[0]) * 100), DEFAULT_BLUR_THRESHOLD);
      return { files, normalizer: this.normalizer, temperature, bestEpoch: this.state.bestEpoch, history: this.state.history, evaluation, evaluatedOn };
    } finally {
      best.dispose();
    }
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
  }

  /** Logits of already standardised rows. */
  private logits(model: LayersModel, scaled: number[][]): number[][] {
    return this.tf.tidy(() => (model.predict(this.tf.tensor2d(scaled)) as Tensor2D).arraySync());
  }

  private lossAndAccuracy(scaled: number[][], labels: number[]): { loss: number; accuracy: number } {
    const logits = this.logits(this.model, scaled);
    let loss = 0;
    let correct = 0;
    logits.forEach((l, i) => {
      const p = softmax(l);
      loss -= Math.log(Math.max(p[labels[i]], 1e-12));
      if (p.indexOf(Math.max(...p)) === labels[i]) correct++;
    });
    return { loss: loss / logits.length, accuracy: correct / logits.length };
  }
}

function adamPowers(optimizer: Optimizer): [number, number] {
  const adam = optimizer as unknown as Partial<AdamInternals>;
  // Before the first step tfjs has not created them yet: beta^0 would be wrong, so use the initial values.
  return [adam.accBeta1 ? adam.accBeta1.dataSync()[0] : 0.9, adam.accBeta2 ? adam.accBeta2.dataSync()[0] : 0.999];
}

/** Features -> hidden ReLU layers -> 3 logits; seeded initial weights. */
function buildNetwork(tf: Tensorflow, inputs: number, params: BlurTrainParams): LayersModel {
  const model = tf.sequential();
  params.hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        ...(i === 0 ? { inputShape: [inputs] } : {}),
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: params.seed + i }),
      }),
    );
  });
  model.add(
    tf.layers.dense({
      ...(params.hidden.length === 0 ? { inputShape: [inputs] } : {}),
      units: BLUR_CLASSES.length,
      kernelInitializer: tf.initializers.glorotUniform({ seed: params.seed + 100 }),
    }),
  );
  return model;
}

/** Weights that make each class count as much as the others, whatever their sizes. */
function balancedWeights(labels: number[]): number[] {
  const counts = BLUR_CLASSES.map((_, c) => labels.filter((l) => l === c).length);
  const present = counts.filter((c) => c > 0).length;
  return counts.map((c) => (c > 0 ? labels.length / (present * c) : 0));
}

function shuffled(n: number, seed: string): number[] {
  const rng = seededRandom(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function round(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}
