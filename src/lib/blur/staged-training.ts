/**
 * Blur model training in two stages. First a network trains on the training split
 * alone: the validation split gives the live figures, picks its best epoch and fits the
 * temperature that calibrates the blur percentage. Then a fresh network trains for as
 * many epochs on training + validation, and that one is published with the first
 * stage's temperature. With a few dozen scenes, the validation scenes are worth more
 * as training data than as a stopping rule: on the bench's synthetic set the final fit
 * (with L2 0.003) gained 2 points 3-class and 1.3 binary on 40 splits it was not chosen
 * on. Without a validation split there is nothing to add, and the first stage is the
 * model.
 */
import { BlurTrainer, EpochResult, TrainedBlurModel, TrainingCheckpoint, TrainingSet } from './blur-trainer';
import { TfRuntime } from './tf-runtime';
import { BlurTrainParams, stagedEpochs } from './train-params';

/** What the first stage leaves for the second. */
export interface Selection {
  temperature: number;
  bestEpoch: number;
  history: EpochResult[];
  /** The first stage's figures on its held-out data: what is reported when there is no test split. */
  evaluation: TrainedBlurModel['evaluation'];
}

/** Everything needed to carry on after a crash; JSON-serialisable. */
export interface StagedCheckpoint {
  /** Epochs done, over both stages. */
  epoch: number;
  /** Set once the first stage is over. */
  selection?: Selection;
  /** The running stage's trainer. */
  trainer: TrainingCheckpoint;
}

export class StagedBlurTrainer {
  private constructor(
    private readonly rt: TfRuntime,
    private readonly set: TrainingSet,
    private readonly params: BlurTrainParams,
    private trainer: BlurTrainer,
    private selection: Selection | undefined,
  ) {}

  static async create(rt: TfRuntime, set: TrainingSet, params: BlurTrainParams, saved?: StagedCheckpoint): Promise<StagedBlurTrainer> {
    const selection = saved?.selection;
    const trainer = await BlurTrainer.create(rt, selection ? withValidationInTraining(set) : set, params, saved?.trainer);
    return new StagedBlurTrainer(rt, set, params, trainer, selection);
  }

  /** Epochs of both stages; the first stage's only when there is no validation split. */
  get totalEpochs(): number {
    return stagedEpochs(this.params.epochs, this.set.validation.labels.length);
  }

  /** Epochs done, counted over both stages. */
  get epoch(): number {
    return (this.selection ? this.params.epochs : 0) + this.trainer.epoch;
  }

  async runEpoch(): Promise<EpochResult> {
    if (this.epoch >= this.totalEpochs) throw new Error(`training is over: all ${this.totalEpochs} epochs are done`);
    if (!this.selection && this.trainer.epoch >= this.params.epochs) await this.startFinalFit();
    const result = await this.trainer.runEpoch();
    return this.selection ? this.finalEpoch(result) : result;
  }

  async checkpoint(): Promise<StagedCheckpoint> {
    return { epoch: this.epoch, ...(this.selection ? { selection: this.selection } : {}), trainer: await this.trainer.checkpoint() };
  }

  /** The published model: the final fit with the first stage's temperature, measured on test. */
  async finish(): Promise<TrainedBlurModel> {
    if (this.epoch < this.totalEpochs) throw new Error(`training is not over: ${this.epoch} of ${this.totalEpochs} epochs done`);
    if (!this.selection) return this.trainer.finish();
    const final = await this.trainer.finish(this.selection.temperature);
    const heldOut = this.set.test.labels.length > 0 ? { evaluation: final.evaluation, evaluatedOn: 'test' as const } : { evaluation: this.selection.evaluation, evaluatedOn: 'validation' as const };
    return {
      ...final,
      ...heldOut,
      temperature: this.selection.temperature,
      bestEpoch: this.selection.bestEpoch,
      history: [...this.selection.history, ...final.history.map((h) => this.finalEpoch(h))],
    };
  }

  dispose(): void {
    this.trainer.dispose();
  }

  private async startFinalFit(): Promise<void> {
    const first = await this.trainer.finish();
    this.selection = { temperature: first.temperature, bestEpoch: first.bestEpoch, history: first.history, evaluation: first.evaluation };
    this.trainer.dispose();
    this.trainer = await BlurTrainer.create(this.rt, withValidationInTraining(this.set), this.params);
  }

  private finalEpoch(result: EpochResult): EpochResult {
    return { ...result, epoch: this.params.epochs + result.epoch, refit: true };
  }
}

function withValidationInTraining(set: TrainingSet): TrainingSet {
  return {
    train: { features: [...set.train.features, ...set.validation.features], labels: [...set.train.labels, ...set.validation.labels] },
    validation: { features: [], labels: [] },
    test: set.test,
  };
}
