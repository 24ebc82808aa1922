/**
 * Activities of trainBlurModel: plan (read and split the dataset), extract features
 * in batches (CPU queue), train blocks of epochs with a checkpoint per epoch
 * (training queue), publish the model to the registry, clean the run's scratch.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { analysisImage } from '../lib/blur/analysis-image';
import { BLUR_CLASSES, BlurClass, CLASS_FOLDERS } from '../lib/blur/blur-classes';
import { readBlurDataset } from '../lib/blur/blur-dataset';
import { blurFeatures } from '../lib/blur/blur-features';
import { trainedModelFields } from '../lib/blur/trained-model-fields';
import { BlurModelMetadata, BlurModelRegistry, checkVersionName } from '../lib/blur/blur-registry';
import { EpochResult, TrainingSet } from '../lib/blur/blur-trainer';
import { splitOf, splitScenes, SplitName } from '../lib/blur/scene-split';
import { StagedBlurTrainer, StagedCheckpoint } from '../lib/blur/staged-training';
import { loadTensorflow } from '../lib/blur/tf-runtime';
import { BlurTrainParams, resolveTrainParams } from '../lib/blur/train-params';
import { checkpointKey, FeatureRow, featuresKey, planKey, runPrefix, TrainingPlan } from '../lib/blur/training-run';
import { trainingSetOf } from '../lib/blur/training-set';
import { StorageOpener } from '../lib/storage/open-storage';
import { storageFailure } from './storage-failure';

export interface BlurActivityDeps {
  openStorage: StorageOpener;
  /** Storage URL of the default blur model registry. */
  blurModels: string;
}

export interface BlurRunRef {
  /** Registry URL; the default registry when omitted. */
  registry?: string;
  version: string;
}

export interface PlanBlurTrainingInput extends BlurRunRef {
  dataset: string;
  seed: number;
  validation: number;
  test: number;
}

export interface BlurTrainingPlanSummary {
  images: number;
  counts: Record<SplitName, Record<BlurClass, number>>;
  scenes: Record<SplitName, number>;
  mismatches: { key: string; problem: string }[];
  unnamed: number;
  ignored: number;
}

export interface FeatureBatchInput extends BlurRunRef {
  from: number;
  to: number;
}

export interface TrainEpochsInput extends BlurRunRef {
  params: BlurTrainParams;
  untilEpoch: number;
}

export interface TrainEpochsResult {
  epoch: number;
  /** Epochs of the whole training: both stages, or the first alone without validation images. */
  totalEpochs: number;
  history: EpochResult[];
  /** Set when this block started from a checkpoint another attempt left (a crash). */
  resumedAtEpoch?: number;
  ms: number;
}

export interface PublishBlurInput extends BlurRunRef {
  params: BlurTrainParams;
  dataset: string;
  setDefault: boolean;
  createdAt: string;
  trainingMs: number;
  resumedAtEpoch: number[];
}

export type BlurModelSummary = Pick<BlurModelMetadata, 'version' | 'createdAt' | 'backend' | 'metrics' | 'params' | 'temperature'> & {
  images: number;
  trainingMs: number;
  /** Epochs trained over both stages. */
  epochs: number;
  isDefault: boolean;
};

const invalid = (message: string) => ApplicationFailure.nonRetryable(message, 'InvalidBlurDataset');

export function createBlurTrainingActivities(deps: BlurActivityDeps) {
  const registryOf = (ref: BlurRunRef) => new BlurModelRegistry(deps.openStorage(ref.registry ?? deps.blurModels));
  const readJson = async <T>(ref: BlurRunRef, key: string): Promise<T | undefined> => {
    const raw = await registryOf(ref).storage.get(key);
    return raw ? (JSON.parse(raw.toString('utf8')) as T) : undefined;
  };
  const loadPlan = async (ref: BlurRunRef): Promise<TrainingPlan> => {
    const plan = await readJson<TrainingPlan>(ref, planKey(ref.version));
    if (!plan) throw ApplicationFailure.nonRetryable(`training run ${ref.version} has no plan; start the training again`, 'BlurRunMissing');
    return plan;
  };
  const loadRows = async (ref: BlurRunRef): Promise<FeatureRow[]> => {
    const storage = registryOf(ref).storage;
    const parts = (await storage.list(`${runPrefix(ref.version)}features/`)).map((o) => o.key);
    const rows = await Promise.all(parts.map(async (k) => JSON.parse((await storage.get(k))!.toString('utf8')) as FeatureRow[]));
    return rows.flat();
  };

  // Plan and features do not change during one workflow run: read them once per process,
  // not per block. Keyed by the run, as a later run may reuse a cancelled version's name.
  const sets = new Map<string, Promise<TrainingSet>>();
  const trainingSet = (ref: BlurRunRef, runId: string): Promise<TrainingSet> => {
    const key = `${ref.registry ?? deps.blurModels}#${ref.version}#${runId}`;
    let set = sets.get(key);
    if (!set) {
      set = (async () => trainingSetOf(await loadPlan(ref), await loadRows(ref)))();
      sets.set(key, set);
      set.catch(() => sets.delete(key));
      if (sets.size > 4) sets.delete(sets.keys().next().value!);
    }
    return set;
  };

  return {
    async planBlurTraining(input: PlanBlurTrainingInput): Promise<BlurTrainingPlanSummary> {
      checkVersionName(input.version);
      const registry = registryOf(input);
      try {
        if (await registry.show(input.version)) {
          throw ApplicationFailure.nonRetryable(`blur model version '${input.version}' already exists in ${registry.storage.url}`, 'BlurModelExists');
        }
        let plan = await readJson<TrainingPlan>(input, planKey(input.version));
        if (!plan) {
          const listing = await readBlurDataset(deps.openStorage(input.dataset), '');
          const missing = BLUR_CLASSES.filter((c) => !listing.items.some((i) => i.class === c));
          if (missing.length > 0) {
            throw invalid(
              `dataset ${input.dataset} has no images for ${missing.map((c) => `${c} (folder ${CLASS_FOLDERS[c].join(' or ')})`).join(', ')}; ` +
                `expected sharp/, defocused_blurred/ and motion_blurred/ with files named id_device_type.ext`,
            );
          }
          const split = splitScenes(listing.items.map((i) => i.scene), input, input.seed);
          const sides = splitOf(split);
          plan = {
            dataset: input.dataset,
            items: listing.items.map((i) => ({ key: i.key, class: i.class, scene: i.scene, split: sides.get(i.scene)! })),
            split,
            mismatches: listing.mismatches,
            unnamed: listing.unnamed,
            ignored: listing.ignored.length,
          };
          await registry.storage.put(planKey(input.version), JSON.stringify(plan), { contentType: 'application/json' });
        }
        return summarize(plan);
      } catch (err) {
        throw storageFailure(err, input.dataset) ?? err;
      }
    },

    async extractBlurFeatures(input: FeatureBatchInput): Promise<{ done: number; failed: number }> {
      const storage = registryOf(input).storage;
      const key = featuresKey(input.version, input.from);
      const existing = await storage.get(key);
      const count = (rows: FeatureRow[]) => ({ done: rows.length, failed: rows.filter((r) => 'error' in r).length });
      if (existing) return count(JSON.parse(existing.toString('utf8')) as FeatureRow[]);
      const plan = await loadPlan(input);
      const dataset = deps.openStorage(plan.dataset);
      const ctx = Context.current();
      const rows: FeatureRow[] = [];
      for (const item of plan.items.slice(input.from, input.to)) {
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        const body = await dataset.get(item.key);
        if (!body) {
          rows.push({ key: item.key, error: 'missing: the file disappeared after the dataset was read' });
          continue;
        }
        try {
          const features = Array.from(blurFeatures(await analysisImage(body)));
          rows.push({ key: item.key, sha256: createHash('sha256').update(body).digest('hex'), features });
        } catch (err) {
          rows.push({ key: item.key, error: `not a usable image: ${(err as Error).message}` });
        }
        ctx.heartbeat({ done: rows.length });
      }
      await storage.put(key, JSON.stringify(rows), { contentType: 'application/json' });
      return count(rows);
    },

    async trainBlurEpochs(input: TrainEpochsInput): Promise<TrainEpochsResult> {
      const started = Date.now();
      const ctx = Context.current();
      const storage = registryOf(input).storage;
      const params = resolveTrainParams(input.params);
      const set = await trainingSet(input, ctx.info.workflowExecution?.runId ?? ctx.info.activityId);
      if (set.train.labels.length === 0) throw invalid('no usable training images: every image of the training split failed to decode');
      const checkpoint = await readJson<StagedCheckpoint>(input, checkpointKey(input.version));
      const rt = await loadTensorflow();
      const trainer = await StagedBlurTrainer.create(rt, set, params, checkpoint);
      const startEpoch = trainer.epoch;
      const heartbeatEpoch = (ctx.info.heartbeatDetails as { epoch?: number } | undefined)?.epoch;
      const history: EpochResult[] = [];
      try {
        while (trainer.epoch < Math.min(input.untilEpoch, trainer.totalEpochs)) {
          if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
          const result = await trainer.runEpoch();
          history.push(result);
          await storage.put(checkpointKey(input.version), JSON.stringify(await trainer.checkpoint()), { contentType: 'application/json' });
          ctx.heartbeat(result);
          // Let the heartbeat and a cancellation request through between epochs.
          await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        trainer.dispose();
      }
      const resumed = ctx.info.attempt > 1 || heartbeatEpoch !== undefined ? { resumedAtEpoch: startEpoch } : {};
      return { epoch: trainer.epoch, totalEpochs: trainer.totalEpochs, history, ...resumed, ms: Date.now() - started };
    },

    async publishBlurModel(input: PublishBlurInput): Promise<BlurModelSummary> {
      const registry = registryOf(input);
      let metadata = await registry.show(input.version);
      if (!metadata) {
        const plan = await loadPlan(input);
        const rows = await loadRows(input);
        const set = trainingSetOf(plan, rows);
        const checkpoint = await readJson<StagedCheckpoint>(input, checkpointKey(input.version));
        if (!checkpoint) throw ApplicationFailure.nonRetryable(`training run ${input.version} has no checkpoint to publish`, 'BlurRunMissing');
        const rt = await loadTensorflow();
        const trainer = await StagedBlurTrainer.create(rt, set, resolveTrainParams(input.params), checkpoint);
        try {
          const trained = await trainer.finish();
          metadata = await registry.publish(trained.files, {
            ...trainedModelFields(trained, rt.backend),
            version: input.version,
            createdAt: input.createdAt,
            params: input.params,
            dataset: {
              url: input.dataset,
              fingerprint: fingerprint(plan, rows),
              images: set.train.labels.length + set.validation.labels.length + set.test.labels.length,
              counts: summarize(plan).counts,
              mismatches: plan.mismatches.length,
              split: plan.split,
            },
            training: { ms: input.trainingMs, epochs: trainer.epoch, bestEpoch: trained.bestEpoch, resumedAtEpoch: input.resumedAtEpoch, history: trained.history },
          });
        } finally {
          trainer.dispose();
        }
      }
      if (input.setDefault) await registry.setDefault(input.version);
      return {
        version: metadata.version,
        createdAt: metadata.createdAt,
        backend: metadata.backend,
        metrics: metadata.metrics,
        params: metadata.params,
        temperature: metadata.temperature,
        images: metadata.dataset.images,
        trainingMs: metadata.training.ms,
        epochs: metadata.training.epochs,
        isDefault: (await registry.defaultVersion()) === metadata.version,
      };
    },

    async cleanBlurRun(input: BlurRunRef): Promise<number> {
      return registryOf(input).storage.deleteFolder(runPrefix(input.version));
    },
  };
}

function summarize(plan: TrainingPlan): BlurTrainingPlanSummary {
  const zero = () => Object.fromEntries(BLUR_CLASSES.map((c) => [c, 0])) as Record<BlurClass, number>;
  const counts: Record<SplitName, Record<BlurClass, number>> = { train: zero(), validation: zero(), test: zero() };
  for (const item of plan.items) counts[item.split][item.class]++;
  return {
    images: plan.items.length,
    counts,
    scenes: { train: plan.split.scenes.train.length, validation: plan.split.scenes.validation.length, test: plan.split.scenes.test.length },
    mismatches: plan.mismatches.slice(0, 50),
    unnamed: plan.unnamed.length,
    ignored: plan.ignored,
  };
}

/** sha256 over every image's key, class and content checksum, in key order. */
function fingerprint(plan: TrainingPlan, rows: FeatureRow[]): string {
  const sha = new Map(rows.map((r) => [r.key, 'sha256' in r ? r.sha256 : 'unreadable']));
  const lines = [...plan.items].sort((a, b) => (a.key < b.key ? -1 : 1)).map((i) => `${i.key}\t${i.class}\t${sha.get(i.key) ?? 'missing'}`);
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
