/**
 * captureCameras: one captureCamera child per camera of a list or catalog. Children
 * keep their own ids (`capture-<cameraId>`) so each can be watched and controlled
 * alone; stopping the batch stops them all.
 */
import {
  ApplicationFailure,
  ChildWorkflowHandle,
  ParentClosePolicy,
  condition,
  defineQuery,
  proxyActivities,
  setHandler,
  startChild,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import type { CameraEntry } from '../lib/camera/camera-list';
import { CaptureInput, normalizeCaptureOptions } from '../lib/camera/capture-options';
import { IO_QUEUE } from '../task-queues';
import { captureCamera } from './capture-camera';
import { CaptureStatus, stopSignal } from './capture-signals';
import { captureWorkflowId } from './workflow-ids';

export interface CaptureCamerasInput {
  /** Cameras given inline (the CLI reads a local JSON file into this). */
  cameras?: CameraEntry[];
  /** Or a catalog URL (Grand Lyon format or our own list), read by an activity. */
  catalogUrl?: string;
  /** Options shared by every camera. */
  options?: Omit<CaptureInput, 'cameraId' | 'url'>;
  continueAsNewAfter?: number;
}

export type CameraRunState = 'running' | 'completed' | 'stopped' | 'failed' | 'already-running' | 'invalid';

export interface CaptureCamerasStatus {
  cameras: { id: string; workflowId: string; state: CameraRunState; detail?: string; kept?: number }[];
  problems: string[];
}

export const camerasStatusQuery = defineQuery<CaptureCamerasStatus>('status');

const { loadCameraCatalog } = proxyActivities<Activities>({
  taskQueue: IO_QUEUE,
  startToCloseTimeout: '5m',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 10 },
});

export async function captureCameras(input: CaptureCamerasInput): Promise<CaptureCamerasStatus> {
  let cameras: CameraEntry[] = input.cameras ?? [];
  const problems: string[] = [];
  if (input.catalogUrl) {
    const catalog = await loadCameraCatalog(input.catalogUrl);
    cameras = [...cameras, ...catalog.cameras];
    problems.push(...catalog.problems);
  }
  if (cameras.length === 0) {
    throw ApplicationFailure.nonRetryable(`no usable cameras in the list${problems.length ? `: ${problems.join('; ')}` : ''}`, 'NoCameras');
  }

  const status: CaptureCamerasStatus = { cameras: [], problems };
  const handles = new Map<string, ChildWorkflowHandle<typeof captureCamera>>();
  let stopRequested = false;
  setHandler(camerasStatusQuery, () => status);
  setHandler(stopSignal, () => {
    stopRequested = true;
  });

  for (const camera of cameras) {
    const workflowId = captureWorkflowId(camera.id);
    const entry: CaptureCamerasStatus['cameras'][number] = { id: camera.id, workflowId, state: 'running' };
    status.cameras.push(entry);
    const childInput = { ...input.options, cameraId: camera.id, url: camera.url, continueAsNewAfter: input.continueAsNewAfter };
    try {
      normalizeCaptureOptions(childInput);
    } catch (err) {
      entry.state = 'invalid';
      entry.detail = (err as Error).message;
      continue;
    }
    try {
      const handle = await startChild(captureCamera, {
        workflowId,
        args: [childInput],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      });
      handles.set(camera.id, handle);
      handle.result().then(
        (final: CaptureStatus) => {
          entry.state = final.state === 'stopped' ? 'stopped' : 'completed';
          entry.kept = final.counters.kept;
        },
        (err: Error) => {
          entry.state = 'failed';
          entry.detail = err.message;
        },
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      entry.state = 'already-running';
      entry.detail = `a capture with id ${workflowId} is already running`;
    }
  }

  const allDone = () => status.cameras.every((c) => c.state !== 'running');
  await condition(() => stopRequested || allDone());
  if (stopRequested) {
    await Promise.all([...handles.values()].map((h) => h.signal(stopSignal).catch(() => undefined)));
    await condition(allDone);
  }
  return status;
}
