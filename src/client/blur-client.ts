/**
 * The blur model part of the programmatic API (`vf.blur`): start and follow
 * trainings, read and manage the registry, run predictions. The CLI and the web
 * page both go through it.
 *
 *   const run = await vf.blur.startTraining({ dataset: 's3://bucket/Dataset', params: { epochs: 80 } });
 *   const model = await vf.blur.trainingResult(run.workflowId);
 *   const result = await vf.blur.predict({ source: 'file:///photos' });
 */
import { randomUUID } from 'node:crypto';
import { Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Config, normalizeStorageUrl } from '../config';
import type { BlurModelSummary } from '../activities';
import { BlurModelMetadata, BlurModelNotFound, BlurModelRegistry, checkVersionName, InvalidModelVersion } from '../lib/blur/blur-registry';
import { resolveTrainParams, versionFromTime } from '../lib/blur/train-params';
import { createStorageOpener } from '../lib/storage/open-storage';
import { IO_QUEUE } from '../task-queues';
import type { PredictBlurInput, PredictBlurResult, BlurPredictionProgress } from '../workflows/predict-blur';
import type { BlurTrainingProgress, TrainBlurModelInput } from '../workflows/train-blur-model';
import { blurTrainWorkflowId } from '../workflows/workflow-ids';

export interface StartedTraining {
  workflowId: string;
  runId: string;
  version: string;
}

export interface BlurTrainingRun {
  workflowId: string;
  version: string;
  status: string;
  startTime: string;
}

export interface ListedBlurModel {
  version: string;
  createdAt: string;
  isDefault: boolean;
  images: number;
  accuracy: number;
  binaryAccuracy: number;
  epochs: number;
  trainingMs: number;
  backend: string;
  params: BlurModelMetadata['params'];
  confusion: number[][];
}

/** Bad input to the API (exit code 2 in the CLI, 400 on the web page). */
export class BlurInputError extends Error {}

export class BlurApi {
  private readonly openStorage;

  constructor(
    private readonly config: Config,
    private readonly client: Client,
  ) {
    this.openStorage = createStorageOpener(config.s3);
  }

  registry(url?: string): BlurModelRegistry {
    return new BlurModelRegistry(this.openStorage(url ? normalizeStorageUrl(url) : this.config.blurModels));
  }

  /** Starts trainBlurModel; the version defaults to the start time (UTC, YYYYMMDD-HHMMSS). */
  async startTraining(input: TrainBlurModelInput): Promise<StartedTraining> {
    let args: TrainBlurModelInput;
    try {
      const version = checkVersionName(input.version ?? versionFromTime(new Date()));
      resolveTrainParams(input.params);
      args = { ...input, dataset: normalizeStorageUrl(input.dataset), registry: input.registry ? normalizeStorageUrl(input.registry) : undefined, version };
    } catch (err) {
      throw new BlurInputError((err as Error).message);
    }
    if (await this.registry(args.registry).show(args.version!)) throw new BlurInputError(`blur model version '${args.version}' already exists`);
    try {
      const handle = await this.client.workflow.start('trainBlurModel', { taskQueue: IO_QUEUE, workflowId: blurTrainWorkflowId(args.version!), args: [args] });
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, version: args.version! };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new BlurInputError(`a training of version '${args.version}' is already running`);
      throw err;
    }
  }

  trainingProgress(workflowId: string): Promise<BlurTrainingProgress> {
    return this.client.workflow.getHandle(workflowId).query<BlurTrainingProgress>('progress');
  }

  async trainingResult(workflowId: string): Promise<BlurModelSummary> {
    return (await this.client.workflow.getHandle(workflowId).result()) as BlurModelSummary;
  }

  async cancelTraining(workflowId: string): Promise<void> {
    await this.client.workflow.getHandle(workflowId).cancel();
  }

  /** Recent trainBlurModel runs, newest first (running ones included). */
  async trainingRuns(limit = 20): Promise<BlurTrainingRun[]> {
    const runs: BlurTrainingRun[] = [];
    for await (const wf of this.client.workflow.list({ query: "WorkflowType = 'trainBlurModel'" })) {
      runs.push({ workflowId: wf.workflowId, version: wf.workflowId.replace(/^blur-train-/, ''), status: wf.status.name, startTime: wf.startTime.toISOString() });
      if (runs.length >= limit) break;
    }
    return runs.sort((a, b) => (a.startTime < b.startTime ? 1 : -1));
  }

  async models(registry?: string): Promise<ListedBlurModel[]> {
    const reg = this.registry(registry);
    const [all, def] = await Promise.all([reg.list(), reg.defaultVersion()]);
    return all.map((m) => ({
      version: m.version,
      createdAt: m.createdAt,
      isDefault: m.version === def,
      images: m.dataset.images,
      accuracy: m.metrics.accuracy,
      binaryAccuracy: m.metrics.binaryAccuracy,
      epochs: m.training.epochs,
      trainingMs: m.training.ms,
      backend: m.backend,
      params: m.params,
      confusion: m.metrics.confusion,
    }));
  }

  async model(version: string, registry?: string): Promise<BlurModelMetadata & { isDefault: boolean }> {
    const reg = this.registry(registry);
    try {
      checkVersionName(version);
    } catch (err) {
      throw new BlurInputError((err as Error).message);
    }
    const found = await reg.show(version);
    if (!found) throw new BlurInputError(`no blur model version '${version}' in ${reg.storage.url}`);
    return { ...found, isDefault: (await reg.defaultVersion()) === version };
  }

  setDefaultModel(version: string, registry?: string): Promise<void> {
    return this.asInputError(() => this.registry(registry).setDefault(version));
  }

  deleteModel(version: string, registry?: string): Promise<void> {
    return this.asInputError(() => this.registry(registry).delete(version));
  }

  async startPrediction(input: PredictBlurInput, workflowId = `blur-predict-${Date.now().toString(36)}-${randomUUID().slice(0, 4)}`): Promise<{ workflowId: string; runId: string }> {
    let args: PredictBlurInput;
    try {
      args = {
        ...input,
        source: normalizeStorageUrl(input.source),
        registry: input.registry ? normalizeStorageUrl(input.registry) : undefined,
        quarantine: input.quarantine ? normalizeStorageUrl(input.quarantine) : undefined,
        report: input.report ? normalizeStorageUrl(input.report) : undefined,
      };
      if (args.threshold !== undefined && !(args.threshold >= 0 && args.threshold <= 100)) throw new Error(`threshold must be a percentage from 0 to 100, got ${args.threshold}`);
      if (args.model) checkVersionName(args.model);
    } catch (err) {
      throw new BlurInputError((err as Error).message);
    }
    const handle = await this.client.workflow.start('predictBlur', { taskQueue: IO_QUEUE, workflowId, args: [args] });
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  }

  predictionProgress(workflowId: string): Promise<BlurPredictionProgress> {
    return this.client.workflow.getHandle(workflowId).query<BlurPredictionProgress>('progress');
  }

  async predictionResult(workflowId: string): Promise<PredictBlurResult> {
    return (await this.client.workflow.getHandle(workflowId).result()) as PredictBlurResult;
  }

  /** Starts predictBlur and waits for its result. */
  async predict(input: PredictBlurInput): Promise<PredictBlurResult> {
    return this.predictionResult((await this.startPrediction(input)).workflowId);
  }

  /** Stores uploaded image bytes under `<VISIONFLOW_STORAGE>/blur-uploads/` and returns their URL (for predict). */
  async storeUpload(bytes: Buffer, fileName: string): Promise<string> {
    const storage = this.openStorage(this.config.storage);
    const safe = fileName.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(-80) || 'image';
    const key = `blur-uploads/${new Date().toISOString().slice(0, 10)}/${randomUUID()}-${safe}`;
    await storage.put(key, bytes);
    return `${storage.url}/${key}`;
  }

  private async asInputError(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      throw err instanceof BlurModelNotFound || err instanceof InvalidModelVersion ? new BlurInputError(err.message) : err;
    }
  }
}
