/**
 * downloadLabelStudioExport: read a Label Studio export (live project, export file or
 * YOLO label folder), download every image in batches with checkpoints, then write the
 * dataset (YOLO, COCO or JSON) and `_report.json`.
 */
import { ApplicationFailure, defineQuery, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities, BatchCounts } from '../activities';
import { DownloadLabelStudioInput, DownloadLabelStudioOptions, normalizeDownloadLabelStudio } from '../lib/label-studio/download-options';
import type { DatasetSummary } from '../lib/label-studio/write-dataset';
import { IO_QUEUE } from '../task-queues';

export interface LabelStudioProgress extends BatchCounts {
  state: 'reading export' | 'downloading' | 'writing dataset' | 'completed';
  total: number;
  done: number;
}

export interface DownloadLabelStudioResult extends DatasetSummary {
  destination: string;
  format: string;
  classes: string[];
  report: string;
}

export const labelStudioProgressQuery = defineQuery<LabelStudioProgress>('progress');

const { planLabelStudioExport, finishLabelStudioDataset } = proxyActivities<Activities>({
  taskQueue: IO_QUEUE,
  startToCloseTimeout: '30m',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 8 },
});

const { downloadLabelStudioImages } = proxyActivities<Activities>({
  taskQueue: IO_QUEUE,
  startToCloseTimeout: '2h',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 10 },
});

export async function downloadLabelStudioExport(input: DownloadLabelStudioInput): Promise<DownloadLabelStudioResult> {
  let o: DownloadLabelStudioOptions;
  try {
    o = normalizeDownloadLabelStudio(input);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidLabelStudioOptions');
  }
  const progress: LabelStudioProgress = { state: 'reading export', total: 0, done: 0, downloaded: 0, skipped: 0, failed: 0, malformed: 0 };
  setHandler(labelStudioProgressQuery, () => progress);
  const startedAt = new Date().toISOString();
  const workPrefix = `_work/${workflowInfo().runId}/`;

  const plan = await planLabelStudioExport({ source: o.source, destination: o.destination, format: o.format, split: o.split, workPrefix });
  progress.total = plan.tasks;
  progress.state = 'downloading';

  const starts: number[] = [];
  for (let from = 0; from < plan.tasks; from += o.batchSize) starts.push(from);
  for (const from of starts) {
    const counts = await downloadLabelStudioImages({
      destination: o.destination,
      planKey: plan.planKey,
      from,
      to: Math.min(plan.tasks, from + o.batchSize),
      partKey: `${workPrefix}batch-${String(from).padStart(8, '0')}.json`,
      concurrency: o.concurrency,
      requestsPerSecond: o.requestsPerSecond,
    });
    for (const k of ['downloaded', 'skipped', 'failed', 'malformed'] as const) progress[k] += counts[k];
    progress.done += counts.downloaded + counts.skipped + counts.failed + counts.malformed;
  }

  progress.state = 'writing dataset';
  const summary = await finishLabelStudioDataset({
    destination: o.destination,
    planKey: plan.planKey,
    workPrefix,
    header: {
      source: o.source,
      destination: o.destination,
      tokenKind: plan.tokenKind,
      split: o.split ?? null,
      workflowId: workflowInfo().workflowId,
      startedAt,
      finishedAt: new Date().toISOString(),
    },
  });
  progress.state = 'completed';
  return { ...summary, destination: o.destination, format: o.format, classes: plan.classes, report: '_report.json' };
}
