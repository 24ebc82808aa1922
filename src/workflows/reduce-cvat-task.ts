/**
 * reduceCvatTask: find a CVAT task by name, pull its frames in batches (or its
 * dataset export), re-encode them smaller on the CPU queue and write them under the
 * destination; always write `_report.json`, even when cancelled or failed.
 */
import {
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, CvatTaskRef } from '../activities';
import { reportKey } from '../lib/cvat/destination-layout';
import type { ReductionCounts } from '../lib/cvat/reduce-frames';
import { normalizeReduceCvatTask, ReduceCvatTaskInput, ReduceCvatTaskOptions } from '../lib/cvat/reduce-task-options';
import { parseTaskName } from '../lib/cvat/task-name';
import { CPU_QUEUE, IO_QUEUE } from '../task-queues';

export interface ReduceProgress extends ReductionCounts {
  state: 'finding task' | 'reducing' | 'writing report' | 'completed' | 'failed' | 'cancelled';
  /** Frames to handle in all; `frames` counts those done. */
  total: number;
  bytesSaved: number;
  taskId: number | null;
}

export interface ReduceCvatTaskResult extends ReduceProgress {
  report: string;
  destination: string;
}

export const progressQuery = defineQuery<ReduceProgress>('progress');

const { resolveCvatTask, writeCvatReport } = proxyActivities<Activities>({
  taskQueue: IO_QUEUE,
  startToCloseTimeout: '10m',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 8 },
});

const { reduceCvatFrames } = proxyActivities<Activities>({
  taskQueue: CPU_QUEUE,
  startToCloseTimeout: '2h',
  // Batches heartbeat every 2 s and after each frame: a lost worker is noticed in 20 s.
  heartbeatTimeout: '20s',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 10 },
});

const { reduceCvatExport } = proxyActivities<Activities>({
  taskQueue: CPU_QUEUE,
  startToCloseTimeout: '24h',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '5s', maximumInterval: '5m', maximumAttempts: 5 },
});

export async function reduceCvatTask(input: ReduceCvatTaskInput): Promise<ReduceCvatTaskResult> {
  let o: ReduceCvatTaskOptions;
  try {
    o = normalizeReduceCvatTask(input);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidReduceOptions');
  }
  const startedAt = new Date().toISOString();
  const progress: ReduceProgress = {
    state: 'finding task',
    total: 0,
    taskId: null,
    frames: 0,
    uploaded: 0,
    skipped: 0,
    deleted: 0,
    failed: 0,
    bytesBefore: 0,
    bytesAfter: 0,
    bytesSaved: 0,
  };
  setHandler(progressQuery, () => progress);
  const add = (c: ReductionCounts) => {
    for (const k of ['frames', 'uploaded', 'skipped', 'deleted', 'failed', 'bytesBefore', 'bytesAfter'] as const) progress[k] += c[k];
    progress.bytesSaved = progress.bytesBefore - progress.bytesAfter;
  };

  const task: CvatTaskRef = await resolveCvatTask({ taskName: o.taskName });
  progress.taskId = task.taskId;
  progress.total = task.frames;
  progress.state = 'reducing';
  const vars = { task: parseTaskName(task.taskName), taskId: task.taskId };
  const report = reportKey(o.layout, vars);
  const partsPrefix = `${report.replace(/_report\.json$/, '')}_report.parts/${workflowInfo().runId}/`;
  const reduce = { quality: o.quality, maxSide: o.maxSide, format: o.format, mozjpeg: o.mozjpeg, optimizeCoding: o.optimizeCoding, keepMetadata: o.keepMetadata };
  const common = { task, destination: o.destination, layout: o.layout, reduce };

  let failure: unknown;
  try {
    if (o.via === 'export') {
      add(await reduceCvatExport({ ...common, exportFormat: o.exportFormat, partKey: `${partsPrefix}export.json` }));
    } else {
      const starts: number[] = [];
      for (let from = 0; from < task.frames; from += o.batchSize) starts.push(from);
      let next = 0;
      const lane = async () => {
        while (next < starts.length) {
          const from = starts[next++];
          const to = Math.min(task.frames, from + o.batchSize);
          add(await reduceCvatFrames({ ...common, from, to, partKey: `${partsPrefix}batch-${String(from).padStart(8, '0')}.json` }));
        }
      };
      await Promise.all(Array.from({ length: Math.min(o.parallelBatches, starts.length) }, lane));
    }
    progress.state = 'completed';
  } catch (err) {
    failure = err;
    progress.state = isCancellation(err) ? 'cancelled' : 'failed';
  }

  // The report is written in every outcome, even after a cancellation.
  const finalState = progress.state;
  progress.state = 'writing report';
  await CancellationScope.nonCancellable(() =>
    writeCvatReport({
      destination: o.destination,
      reportKey: report,
      partsPrefix,
      report: {
        task: { id: task.taskId, name: task.taskName, frames: task.frames, deletedFrames: task.deletedFrames, serverVersion: task.serverVersion },
        status: finalState,
        error: failure ? String((failure as Error).message ?? failure) : undefined,
        settings: { ...reduce, via: o.via, layout: o.layout, exportFormat: o.via === 'export' ? o.exportFormat : undefined },
        destination: o.destination,
        workflowId: workflowInfo().workflowId,
        startedAt,
        finishedAt: new Date().toISOString(),
      },
    }),
  );
  progress.state = finalState;
  if (failure) throw failure;
  return { ...progress, report, destination: o.destination };
}
