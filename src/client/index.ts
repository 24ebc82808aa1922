/**
 * The programmatic API of visionflow (the CLI is a thin layer over it):
 *
 *   const vf = await Visionflow.connect();
 *   await vf.startCapture({ cameraId: 'CWL9018', url: 'https://…/CWL9018.JPG', everyMs: 20_000 });
 *   console.log(await vf.captureStatus('CWL9018'));
 *   await vf.stopCapture('CWL9018');
 */
import {
  Client,
  Connection,
  ScheduleDescription,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { Config, loadConfig, normalizeStorageUrl } from '../config';
import { CaptureInput, normalizeCaptureOptions } from '../lib/camera/capture-options';
import { connectClient } from '../temporal/connect';
import { IO_QUEUE } from '../task-queues';
import type { CaptureCameraInput } from '../workflows/capture-camera';
import type { CaptureCamerasInput, CaptureCamerasStatus } from '../workflows/capture-cameras';
import type { CaptureOnceResult } from '../workflows/capture-camera-once';
import {
  CaptureStatus,
  pauseSignal,
  resumeSignal,
  setIntervalSignal,
  statusQuery,
  stopSignal,
} from '../workflows/capture-signals';
import { captureScheduleId, captureWorkflowId, cvatReduceWorkflowId } from '../workflows/workflow-ids';
import type { ReduceCvatTaskInput } from '../lib/cvat/reduce-task-options';
import { normalizeReduceCvatTask } from '../lib/cvat/reduce-task-options';
import type { ReduceCvatTaskResult, ReduceProgress } from '../workflows/reduce-cvat-task';
import { DownloadLabelStudioInput, normalizeDownloadLabelStudio } from '../lib/label-studio/download-options';
import type { DownloadLabelStudioResult, LabelStudioProgress } from '../workflows/download-label-studio-export';
import type { DetectLogosInput, ExtractVideoFramesInput, VideoProgress } from '../workflows/detect-logos-in-video';
import { LeaseStatus, stopModelSignal } from '../workflows/lease-signals';
import { leaseWorkflowId } from '../lib/detection/model-arn';
import type { TrainCustomLabelsInput } from '../workflows/train-custom-labels-model';
import { BlurApi } from './blur-client';
import { SystemStatus, systemStatus } from './system-status';

export type { CaptureStatus } from '../workflows/capture-signals';
export type { CaptureInput } from '../lib/camera/capture-options';
export type { CameraEntry } from '../lib/camera/camera-list';
export type { SystemStatus } from './system-status';
export type { ReduceCvatTaskInput } from '../lib/cvat/reduce-task-options';
export type { ReduceCvatTaskResult, ReduceProgress } from '../workflows/reduce-cvat-task';
export type { DownloadLabelStudioInput, LabelStudioSource } from '../lib/label-studio/download-options';
export type { DownloadLabelStudioResult, LabelStudioProgress } from '../workflows/download-label-studio-export';
export type { DetectLogosInput, DetectLogosResult, ExtractVideoFramesInput, FramesResult, VideoProgress } from '../workflows/detect-logos-in-video';
export type { LeaseStatus } from '../workflows/lease-signals';
export type { TrainCustomLabelsInput, TrainCustomLabelsResult } from '../workflows/train-custom-labels-model';
export type { BlurApi, BlurTrainingRun, ListedBlurModel, StartedTraining } from './blur-client';
export { BlurInputError } from './blur-client';
export type { BlurModelMetadata } from '../lib/blur/blur-registry';
export type { BlurTrainParams } from '../lib/blur/train-params';
export type { BlurModelSummary } from '../activities';
export type { TrainBlurModelInput, BlurTrainingProgress } from '../workflows/train-blur-model';
export type { PredictBlurInput, PredictBlurResult, BlurPredictionProgress } from '../workflows/predict-blur';
export { loadConfig } from '../config';

export interface StartedRun {
  workflowId: string;
  runId: string;
}

export interface CaptureScheduleInput extends CaptureInput {
  /** Cron expressions, e.g. "* 6-21 * * *" for every minute from 06:00 to 21:59. */
  cron?: string[];
  /** Or a fixed interval in milliseconds. */
  everyMs?: number;
  timezone?: string;
  paused?: boolean;
}

export interface ScheduledCaptureStatus {
  scheduleId: string;
  paused: boolean;
  nextRuns: string[];
  recentRuns: { scheduledAt: string; workflowId: string; runId: string }[];
  /** Cron expressions come back from Temporal as calendar specs. */
  spec: { everyMs: number | null; calendars: unknown[]; timezone: string | null };
}

export class Visionflow {
  /** Blur models: training, registry, prediction. */
  readonly blur: BlurApi;

  private constructor(
    readonly config: Config,
    readonly connection: Connection,
    readonly client: Client,
  ) {
    this.blur = new BlurApi(config, client);
  }

  static async connect(config: Config = loadConfig()): Promise<Visionflow> {
    const connection = await connectClient(config);
    return new Visionflow(config, connection, new Client({ connection, namespace: config.temporal.namespace }));
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** Validates and fills a capture's options; the destination defaults to VISIONFLOW_STORAGE. */
  captureOptions(input: CaptureInput): CaptureInput {
    const destination = normalizeStorageUrl(input.destination || this.config.storage);
    normalizeCaptureOptions({ ...input, destination });
    return { ...input, destination };
  }

  /** With --reject-blurry, refuses to start unless the blur model exists (a capture would otherwise stop at its first image). */
  private async requireBlurModel(options: Partial<CaptureInput>): Promise<void> {
    if (!options.rejectBlurry) return;
    try {
      await this.blur.registry().resolve(options.blurModel || undefined);
    } catch (err) {
      throw new Error(`invalid capture options: --reject-blurry: ${(err as Error).message}`);
    }
  }

  /** Starts capturing one camera until stopped; the workflow id is `capture-<cameraId>`. */
  async startCapture(input: CaptureCameraInput): Promise<StartedRun> {
    const args = { ...input, ...this.captureOptions(input) };
    await this.requireBlurModel(args);
    const handle = await this.client.workflow.start('captureCamera', {
      taskQueue: IO_QUEUE,
      workflowId: captureWorkflowId(input.cameraId),
      args: [args],
    });
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  }

  /** Starts one capture per camera, from inline entries or a catalog URL. */
  async startCaptures(input: CaptureCamerasInput & { batchId?: string }): Promise<StartedRun> {
    const options = input.options ?? {};
    const destination = normalizeStorageUrl(options.destination || this.config.storage);
    await this.requireBlurModel(options);
    const workflowId = input.batchId ?? `capture-batch-${Date.now().toString(36)}`;
    const handle = await this.client.workflow.start('captureCameras', {
      taskQueue: IO_QUEUE,
      workflowId,
      args: [{ ...input, options: { ...options, destination } }],
    });
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  }

  private captureHandle(cameraId: string) {
    return this.client.workflow.getHandle(captureWorkflowId(cameraId));
  }

  /** Live status of a running capture, or of its last run when it has ended. */
  async captureStatus(cameraId: string): Promise<CaptureStatus> {
    const handle = this.captureHandle(cameraId);
    const description = await handle.describe();
    if (description.status.name === 'RUNNING') return handle.query(statusQuery);
    if (description.status.name === 'COMPLETED') return (await handle.result()) as CaptureStatus;
    return handle.query(statusQuery).catch(() => {
      throw new Error(`capture ${cameraId} ended with status ${description.status.name}`);
    });
  }

  async batchStatus(workflowId: string): Promise<CaptureCamerasStatus> {
    return this.client.workflow.getHandle(workflowId).query<CaptureCamerasStatus>('status');
  }

  async pauseCapture(cameraId: string): Promise<void> {
    await this.captureHandle(cameraId).signal(pauseSignal);
  }

  async resumeCapture(cameraId: string): Promise<void> {
    await this.captureHandle(cameraId).signal(resumeSignal);
  }

  async setCaptureInterval(cameraId: string, everyMs: number): Promise<void> {
    await this.captureHandle(cameraId).signal(setIntervalSignal, everyMs);
  }

  /** Asks the capture to finish its current tick and stop; resolves with its final status. */
  async stopCapture(cameraId: string): Promise<CaptureStatus> {
    const handle = this.captureHandle(cameraId);
    await handle.signal(stopSignal);
    return (await handle.result()) as CaptureStatus;
  }

  async stopBatch(workflowId: string): Promise<CaptureCamerasStatus> {
    const handle = this.client.workflow.getHandle(workflowId);
    await handle.signal(stopSignal);
    return (await handle.result()) as CaptureCamerasStatus;
  }

  /** Running captures, newest first. */
  async listCaptures(): Promise<{ cameraId: string; workflowId: string; startTime: string }[]> {
    const out: { cameraId: string; workflowId: string; startTime: string }[] = [];
    for await (const wf of this.client.workflow.list({ query: "WorkflowType = 'captureCamera' AND ExecutionStatus = 'Running'" })) {
      out.push({ cameraId: wf.workflowId.replace(/^capture-/, ''), workflowId: wf.workflowId, startTime: wf.startTime.toISOString() });
    }
    return out;
  }

  /**
   * A Temporal Schedule whose runs capture once each (captureCameraOnce) and share
   * dedupe state through storage. Overlapping runs are skipped.
   */
  async scheduleCapture(input: CaptureScheduleInput): Promise<{ scheduleId: string }> {
    const { cron, everyMs, timezone, paused, ...capture } = input;
    if ((!cron || cron.length === 0) && !everyMs) throw new Error('capture schedule: give --cron or --every');
    const options = this.captureOptions(capture);
    await this.requireBlurModel(options);
    const scheduleId = captureScheduleId(input.cameraId);
    await this.client.schedule.create({
      scheduleId,
      spec: {
        cronExpressions: cron,
        intervals: everyMs ? [{ every: everyMs }] : undefined,
        timezone,
      },
      action: {
        type: 'startWorkflow',
        workflowType: 'captureCameraOnce',
        workflowId: `capture-once-${input.cameraId}`,
        taskQueue: IO_QUEUE,
        args: [options],
      },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' },
      state: { paused: paused ?? false, note: `visionflow capture of ${input.cameraId}` },
    });
    return { scheduleId };
  }

  async captureScheduleStatus(cameraId: string): Promise<ScheduledCaptureStatus> {
    const handle = this.client.schedule.getHandle(captureScheduleId(cameraId));
    const d: ScheduleDescription = await handle.describe();
    return {
      scheduleId: d.scheduleId,
      paused: d.state.paused,
      nextRuns: d.info.nextActionTimes.map((t) => t.toISOString()),
      recentRuns: d.info.recentActions.map((a) => ({
        scheduledAt: a.scheduledAt.toISOString(),
        workflowId: a.action.workflow.workflowId,
        runId: a.action.workflow.firstExecutionRunId,
      })),
      spec: {
        everyMs: d.spec.intervals?.[0] ? Number(d.spec.intervals[0].every) : null,
        calendars: d.spec.calendars ?? [],
        timezone: d.spec.timezone ?? null,
      },
    };
  }

  /** Result of the most recent scheduled run. */
  async lastScheduledCapture(cameraId: string): Promise<CaptureOnceResult | null> {
    const status = await this.captureScheduleStatus(cameraId);
    const last = status.recentRuns.at(-1);
    if (!last) return null;
    return (await this.client.workflow.getHandle(last.workflowId, last.runId).result()) as CaptureOnceResult;
  }

  async triggerCaptureSchedule(cameraId: string): Promise<void> {
    await this.client.schedule.getHandle(captureScheduleId(cameraId)).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
  }

  async pauseCaptureSchedule(cameraId: string, paused: boolean): Promise<void> {
    const handle = this.client.schedule.getHandle(captureScheduleId(cameraId));
    if (paused) await handle.pause('paused by visionflow');
    else await handle.unpause('resumed by visionflow');
  }

  async deleteCaptureSchedule(cameraId: string): Promise<void> {
    await this.client.schedule.getHandle(captureScheduleId(cameraId)).delete();
  }

  async hasCaptureSchedule(cameraId: string): Promise<boolean> {
    try {
      await this.client.schedule.getHandle(captureScheduleId(cameraId)).describe();
      return true;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return false;
      throw err;
    }
  }

  async hasCapture(cameraId: string): Promise<boolean> {
    try {
      await this.captureHandle(cameraId).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** Starts reducing a CVAT task; the workflow id is `cvat-reduce-<taskName>`. */
  async startCvatReduction(input: Omit<ReduceCvatTaskInput, 'destination'> & { destination?: string }): Promise<StartedRun> {
    const args: ReduceCvatTaskInput = { ...input, destination: normalizeStorageUrl(input.destination || this.config.storage) };
    normalizeReduceCvatTask(args);
    const handle = await this.client.workflow.start('reduceCvatTask', {
      taskQueue: IO_QUEUE,
      workflowId: cvatReduceWorkflowId(input.taskName),
      args: [args],
    });
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  }

  cvatReductionProgress(taskName: string): Promise<ReduceProgress> {
    return this.client.workflow.getHandle(cvatReduceWorkflowId(taskName)).query<ReduceProgress>('progress');
  }

  async cvatReductionResult(taskName: string): Promise<ReduceCvatTaskResult> {
    return (await this.client.workflow.getHandle(cvatReduceWorkflowId(taskName)).result()) as ReduceCvatTaskResult;
  }

  /**
   * Starts downloading a Label Studio export into a dataset folder. The workflow id is
   * `labelstudio-project-<id>` for a live project, else `labelstudio-<time>`.
   */
  async startLabelStudioDownload(
    input: Omit<DownloadLabelStudioInput, 'destination'> & { destination?: string },
    workflowId?: string,
  ): Promise<StartedRun> {
    const args: DownloadLabelStudioInput = { ...input, destination: normalizeStorageUrl(input.destination || this.config.storage) };
    normalizeDownloadLabelStudio(args);
    const id = workflowId ?? (input.source.type === 'project' ? `labelstudio-project-${input.source.projectId}` : `labelstudio-${Date.now().toString(36)}`);
    const handle = await this.client.workflow.start('downloadLabelStudioExport', { taskQueue: IO_QUEUE, workflowId: id, args: [args] });
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  }

  labelStudioProgress(workflowId: string): Promise<LabelStudioProgress> {
    return this.client.workflow.getHandle(workflowId).query<LabelStudioProgress>('progress');
  }

  async labelStudioResult(workflowId: string): Promise<DownloadLabelStudioResult> {
    return (await this.client.workflow.getHandle(workflowId).result()) as DownloadLabelStudioResult;
  }

  /** Starts extracting frames (and, with a detector, detecting logos) from a video. */
  async startVideoRun(type: 'extractVideoFrames' | 'detectLogosInVideo', input: ExtractVideoFramesInput | DetectLogosInput, workflowId?: string): Promise<StartedRun> {
    const name = input.video.split('?')[0].split('/').pop()?.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._-]+/g, '_') || 'video';
    const id = workflowId ?? `${type === 'detectLogosInVideo' ? 'video-detect' : 'video-frames'}-${name}-${Date.now().toString(36)}`;
    const handle = await this.client.workflow.start(type, { taskQueue: IO_QUEUE, workflowId: id, args: [input] });
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  }

  videoProgress(workflowId: string): Promise<VideoProgress> {
    return this.client.workflow.getHandle(workflowId).query<VideoProgress>('progress');
  }

  async workflowResult<R>(workflowId: string): Promise<R> {
    return (await this.client.workflow.getHandle(workflowId).result()) as R;
  }

  /** Model leases visionflow holds: each model, its status, holders, running time and cost so far. */
  async modelLeases(): Promise<LeaseStatus[]> {
    const out: LeaseStatus[] = [];
    for await (const wf of this.client.workflow.list({ query: "WorkflowType = 'rekognitionModelLease' AND ExecutionStatus = 'Running'" })) {
      out.push(await this.client.workflow.getHandle(wf.workflowId).query<LeaseStatus>('lease'));
    }
    return out;
  }

  /** Asks a model's lease to stop it now (force: even a model the lease did not start). */
  async stopModelLease(arn: string, force: boolean): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(leaseWorkflowId(arn)).signal(stopModelSignal, { force });
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  async startTraining(input: TrainCustomLabelsInput): Promise<StartedRun> {
    const handle = await this.client.workflow.start('trainCustomLabelsModel', {
      taskQueue: IO_QUEUE,
      workflowId: `train-${input.projectName}-${Date.now().toString(36)}`,
      args: [input],
    });
    return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
  }

  systemStatus(): Promise<SystemStatus> {
    return systemStatus(this.config, this.connection);
  }
}
