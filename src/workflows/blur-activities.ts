/**
 * Activity stubs of the blur workflows. Long activities are cancelled with
 * WAIT_CANCELLATION_COMPLETED, so a workflow's cleanup runs after their last write.
 */
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CPU_QUEUE, IO_QUEUE, TRAINING_QUEUE } from '../task-queues';

const retry = { initialInterval: '2s', maximumInterval: '1m' } as const;

export const io = proxyActivities<Activities>({ taskQueue: IO_QUEUE, startToCloseTimeout: '10m', retry: { ...retry, maximumAttempts: 8 } });

export const cpu = proxyActivities<Activities>({
  taskQueue: CPU_QUEUE,
  startToCloseTimeout: '30m',
  heartbeatTimeout: '30s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { ...retry, maximumAttempts: 8 },
});

export const training = proxyActivities<Activities>({
  taskQueue: TRAINING_QUEUE,
  startToCloseTimeout: '2h',
  heartbeatTimeout: '30s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { ...retry, maximumAttempts: 5 },
});
