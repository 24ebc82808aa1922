/**
 * rekognitionModelLease: one per model version ARN (id `model-lease-<arn>`). Runs join
 * it with signal-with-start; it starts the model unless it is already running, grants
 * every holder once RUNNING, and stops the model when the last holder releases (after
 * an idle timeout), when leases expire unrenewed, or at the maximum lifetime. It never
 * stops a model it did not start unless told to with `force`.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { LeaseSettings } from '../activities/model-lease';
import { IO_QUEUE } from '../task-queues';
import {
  acquireSignal,
  LeaseGrant,
  leaseGrantedSignal,
  leaseRevokedSignal,
  LeaseStatus,
  leaseStatusQuery,
  releaseSignal,
  renewSignal,
  stopModelSignal,
} from './lease-signals';

export interface ModelLeaseInput extends Omit<LeaseSettings, 'leaseMs' | 'inferenceUnits'> {
  arn: string;
  /** Internal: carried across continue-as-new. */
  carry?: { holders: [string, number][]; startedByLease: boolean; runningSince: number; runningMsBefore: number; inferenceUnits: number };
}

const { modelState, startModel, stopModel } = proxyActivities<Activities>({
  taskQueue: IO_QUEUE,
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 10 },
});

// Starting a Custom Labels model takes minutes; the wait heartbeats every poll.
const { waitModel } = proxyActivities<Activities>({
  taskQueue: IO_QUEUE,
  startToCloseTimeout: '1h',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 10 },
});

export async function rekognitionModelLease(input: ModelLeaseInput): Promise<LeaseStatus> {
  const holders = new Map<string, number>(input.carry?.holders ?? []); // holder -> expires at (ms)
  const ungranted: string[] = [];
  let inferenceUnits = input.carry?.inferenceUnits ?? 1;
  let stopRequested: { force: boolean } | undefined;
  const status: LeaseStatus = {
    arn: input.arn,
    state: input.carry ? 'running' : 'starting',
    modelStatus: input.carry ? 'RUNNING' : 'UNKNOWN',
    startedByLease: input.carry?.startedByLease ?? false,
    holders: [],
    runningSince: input.carry ? new Date(input.carry.runningSince).toISOString() : null,
    runningMs: 0,
    inferenceUnits,
    estimatedCostUsd: 0,
  };
  let runningSince = input.carry?.runningSince ?? 0;
  const before = input.carry?.runningMsBefore ?? 0;
  const refresh = () => {
    if (status.state === 'running' && runningSince) status.runningMs = before + (Date.now() - runningSince);
    status.holders = [...holders].map(([holder, at]) => ({ holder, expiresAt: new Date(at).toISOString() }));
    status.inferenceUnits = inferenceUnits;
    status.estimatedCostUsd = Math.round((status.runningMs / 3_600_000) * inferenceUnits * input.pricePerUnitHour * 100) / 100;
    return status;
  };

  setHandler(acquireSignal, (req) => {
    holders.set(req.holder, Date.now() + req.leaseMs);
    inferenceUnits = Math.max(inferenceUnits, req.inferenceUnits);
    ungranted.push(req.holder);
  });
  setHandler(renewSignal, ({ holder, leaseMs }) => {
    // A holder whose lease lapsed (its worker was down a while) is taken back while the model runs.
    holders.set(holder, Date.now() + leaseMs);
  });
  setHandler(releaseSignal, ({ holder }) => {
    holders.delete(holder);
    const i = ungranted.indexOf(holder);
    if (i >= 0) ungranted.splice(i, 1);
  });
  setHandler(stopModelSignal, ({ force }) => {
    stopRequested = { force: !!force };
  });
  setHandler(leaseStatusQuery, refresh);

  const grant = async (grantValue: LeaseGrant) => {
    while (ungranted.length > 0) {
      const holder = ungranted.shift()!;
      // A holder that ended meanwhile cannot be signalled; its lease just expires.
      await getExternalWorkflowHandle(holder).signal(leaseGrantedSignal, grantValue).catch(() => holders.delete(holder));
    }
  };

  // 1. The model must be RUNNING: start it unless someone already has.
  if (!input.carry) {
    try {
      const before = await modelState(input.arn);
      status.modelStatus = before.status;
      if (before.status === 'STOPPING') await waitModel({ arn: input.arn, target: 'STOPPED' });
      if (before.status !== 'RUNNING' && before.status !== 'STARTING') {
        await startModel({ arn: input.arn, inferenceUnits });
        status.startedByLease = true;
      }
      if (before.status !== 'RUNNING') await waitModel({ arn: input.arn, target: 'RUNNING' });
    } catch (err) {
      const message = err instanceof ActivityFailure ? (err.cause?.message ?? err.message) : String(err);
      status.state = 'failed';
      status.error = message;
      log.error('model did not start', { arn: input.arn, error: message });
      await grant({ ok: false, error: `model ${input.arn} did not start: ${message}` });
      if (status.startedByLease) await stopQuietly(input.arn);
      await condition(allHandlersFinished);
      return refresh();
    }
    runningSince = Date.now();
    status.runningSince = new Date(runningSince).toISOString();
    status.state = 'running';
    status.modelStatus = 'RUNNING';
  }
  const lifetimeEnds = runningSince + input.maxLifetimeMs;

  // 2. Serve holders until none is left for idleTimeout, the lifetime ends or a stop is asked.
  for (;;) {
    await grant({ ok: true, startedByLease: status.startedByLease });
    const now = Date.now();
    for (const [holder, expiresAt] of holders) {
      if (expiresAt <= now) {
        log.warn('lease expired without release', { holder });
        holders.delete(holder);
      }
    }
    if (stopRequested || now >= lifetimeEnds) break;
    if (workflowInfo().continueAsNewSuggested && ungranted.length === 0) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof rekognitionModelLease>({
        ...input,
        carry: { holders: [...holders], startedByLease: status.startedByLease, runningSince, runningMsBefore: before, inferenceUnits },
      });
    }
    if (holders.size === 0) {
      const busyAgain = await condition(() => holders.size > 0 || !!stopRequested, Math.min(input.idleTimeoutMs, lifetimeEnds - now));
      if (!busyAgain) break;
      continue;
    }
    const nextExpiry = Math.min(...holders.values());
    await condition(() => ungranted.length > 0 || holders.size === 0 || !!stopRequested, Math.max(1, Math.min(nextExpiry, lifetimeEnds) - now));
  }

  // 3. Stop what this lease started (or anything, when forced), then account for it.
  for (const holder of holders.keys()) {
    await getExternalWorkflowHandle(holder).signal(leaseRevokedSignal, { reason: stopRequested ? 'stop requested' : 'maximum lifetime reached' }).catch(() => undefined);
  }
  const stoppedAt = Date.now();
  if (status.startedByLease || stopRequested?.force) {
    status.state = 'stopping';
    await stopModel(input.arn);
    await waitModel({ arn: input.arn, target: 'STOPPED' });
    status.modelStatus = 'STOPPED';
    status.state = 'stopped';
  } else {
    status.state = 'stopped';
    status.modelStatus = 'RUNNING (left running: not started by this lease)';
  }
  status.runningMs = before + (stoppedAt - runningSince);
  runningSince = 0;
  await condition(allHandlersFinished);
  return refresh();
}

async function stopQuietly(arn: string): Promise<void> {
  try {
    await stopModel(arn);
  } catch {
    // the model may never have left STARTING; nothing more to do
  }
}
