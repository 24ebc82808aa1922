/**
 * trainBlurModel: read and split a blur dataset by scene, extract features in
 * parallel batches (CPU queue), train in blocks of epochs on the training queue
 * (one training at a time per worker; a checkpoint per epoch, so a crashed worker's
 * successor resumes at the last saved epoch), then publish the model to the
 * registry. Cancelling removes the run's scratch; nothing half-trained is listed.
 */
import { ApplicationFailure, CancellationScope, defineQuery, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BlurModelSummary, BlurTrainingPlanSummary } from '../activities';
import { cpu, io, training } from './blur-activities';
import type { EpochResult } from '../lib/blur/blur-trainer';
import { BlurTrainParams, resolveTrainParams, stagedEpochs, versionFromTime } from '../lib/blur/train-params';

export interface TrainBlurModelInput {
  /** Storage URL of the dataset: sharp/, defocused_blurred/, motion_blurred/. */
  dataset: string;
  /** Registry URL; the worker's VISIONFLOW_BLUR_MODELS when omitted. */
  registry?: string;
  /** Version name; the start time (YYYYMMDD-HHMMSS, UTC) when omitted. */
  version?: string;
  params?: Partial<BlurTrainParams>;
  /** Make it the default model once published. */
  setDefault?: boolean;
}

export interface BlurTrainingProgress {
  state: 'reading dataset' | 'extracting features' | 'training' | 'publishing' | 'completed' | 'cancelled' | 'failed';
  version: string;
  images: number;
  featuresDone: number;
  featuresFailed: number;
  epoch: number;
  epochs: number;
  history: EpochResult[];
  plan?: BlurTrainingPlanSummary;
  model?: BlurModelSummary;
  error?: string;
}

export const blurTrainingProgressQuery = defineQuery<BlurTrainingProgress>('progress');

const FEATURE_BATCH = 24;
const FEATURE_BATCHES_IN_FLIGHT = 4;

export async function trainBlurModel(input: TrainBlurModelInput): Promise<BlurModelSummary> {
  let params: BlurTrainParams;
  try {
    if (!input || typeof input.dataset !== 'string' || input.dataset.trim() === '') throw new Error('dataset: a storage URL of the dataset folder is required');
    params = resolveTrainParams(input.params);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidBlurTraining');
  }
  const version = input.version ?? versionFromTime(workflowInfo().startTime);
  const ref = { registry: input.registry, version };
  const progress: BlurTrainingProgress = { state: 'reading dataset', version, images: 0, featuresDone: 0, featuresFailed: 0, epoch: 0, epochs: params.epochs, history: [] };
  setHandler(blurTrainingProgressQuery, () => progress);

  try {
    const plan = await io.planBlurTraining({ ...ref, dataset: input.dataset, seed: params.seed, validation: params.validation, test: params.test });
    progress.plan = plan;
    progress.images = plan.images;

    progress.state = 'extracting features';
    const starts: number[] = [];
    for (let from = 0; from < plan.images; from += FEATURE_BATCH) starts.push(from);
    const lanes = Array.from({ length: Math.min(FEATURE_BATCHES_IN_FLIGHT, starts.length) }, async () => {
      for (let from = starts.shift(); from !== undefined; from = starts.shift()) {
        const done = await cpu.extractBlurFeatures({ ...ref, from, to: Math.min(plan.images, from + FEATURE_BATCH) });
        progress.featuresDone += done.done;
        progress.featuresFailed += done.failed;
      }
    });
    await Promise.all(lanes);

    progress.state = 'training';
    // The activity says for sure: validation images that fail to decode do not count.
    progress.epochs = stagedEpochs(params.epochs, Object.values(plan.counts.validation).reduce((a, b) => a + b, 0));
    const block = Math.max(1, Math.ceil(progress.epochs / 20));
    let trainingMs = 0;
    const resumedAtEpoch: number[] = [];
    while (progress.epoch < progress.epochs) {
      const result = await training.trainBlurEpochs({ ...ref, params, untilEpoch: Math.min(progress.epochs, progress.epoch + block) });
      trainingMs += result.ms;
      if (result.resumedAtEpoch !== undefined) resumedAtEpoch.push(result.resumedAtEpoch);
      progress.epochs = result.totalEpochs;
      progress.epoch = result.epoch;
      progress.history.push(...result.history.filter((h) => !progress.history.some((p) => p.epoch === h.epoch)));
    }

    progress.state = 'publishing';
    const createdAt = new Date(workflowInfo().startTime).toISOString();
    const model = await training.publishBlurModel({ ...ref, params, dataset: input.dataset, setDefault: !!input.setDefault, createdAt, trainingMs, resumedAtEpoch });
    progress.model = model;
    await io.cleanBlurRun(ref);
    progress.state = 'completed';
    return model;
  } catch (err) {
    progress.state = isCancellation(err) ? 'cancelled' : 'failed';
    progress.error = (err as Error).message;
    // Scratch goes in every outcome; the registry never saw an unpublished version.
    await CancellationScope.nonCancellable(() => io.cleanBlurRun(ref));
    throw err;
  }
}
