/**
 * Activities the model lease workflow and detection runs use: model status, start,
 * stop, wait (heartbeating every poll), and signal-with-start of the lease workflow.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { leaseWorkflowId } from '../lib/detection/model-arn';
import { createRekognitionClient, RekognitionSettings } from '../lib/detection/rekognition-client';
import { ModelState, RekognitionModels } from '../lib/detection/rekognition-models';
import { IO_QUEUE } from '../task-queues';

export interface ModelLeaseActivityDeps {
  rekognition: RekognitionSettings;
  /** Poll interval while a model starts or stops (default 5 s; tests use less). */
  modelPollMs?: number;
}

export interface LeaseSettings {
  /** A holder that neither renews nor releases within this time loses its lease. */
  leaseMs: number;
  inferenceUnits: number;
  idleTimeoutMs: number;
  maxLifetimeMs: number;
  pricePerUnitHour: number;
}

export interface AcquireInput extends LeaseSettings {
  arn: string;
  holder: string;
}

const PERMANENT = new Set(['ResourceNotFoundException', 'InvalidParameterException', 'AccessDeniedException', 'ModelStateError', 'ValidationException']);

function asFailure(err: unknown): unknown {
  if (err instanceof Error && PERMANENT.has(err.name)) return ApplicationFailure.nonRetryable(err.message, err.name);
  if (err instanceof Error && /is not a Rekognition Custom Labels model version ARN/.test(err.message)) return ApplicationFailure.nonRetryable(err.message, 'InvalidModelArn');
  return err;
}

export function createModelLeaseActivities(deps: ModelLeaseActivityDeps) {
  let models: RekognitionModels | undefined;
  const rekognition = () => (models ??= new RekognitionModels(createRekognitionClient(deps.rekognition)));

  return {
    async modelState(arn: string): Promise<ModelState> {
      try {
        return await rekognition().state(arn, Context.current().cancellationSignal);
      } catch (err) {
        throw asFailure(err);
      }
    },

    async startModel(input: { arn: string; inferenceUnits: number }): Promise<void> {
      try {
        await rekognition().start(input.arn, input.inferenceUnits, Context.current().cancellationSignal);
      } catch (err) {
        // Already starting or running (a retry after a lost answer): the wait that follows tells.
        if (err instanceof Error && err.name === 'ResourceInUseException') return;
        throw asFailure(err);
      }
    },

    async stopModel(arn: string): Promise<void> {
      try {
        await rekognition().stop(arn, Context.current().cancellationSignal);
      } catch (err) {
        if (err instanceof Error && err.name === 'ResourceInUseException') return; // already stopping
        throw asFailure(err);
      }
    },

    async waitModel(input: { arn: string; target: 'RUNNING' | 'STOPPED' }): Promise<ModelState> {
      const ctx = Context.current();
      try {
        return await rekognition().waitFor(input.arn, input.target, {
          signal: ctx.cancellationSignal,
          pollMs: deps.modelPollMs,
          onPoll: (s) => ctx.heartbeat(s.status),
        });
      } catch (err) {
        throw asFailure(err);
      }
    },

    /** Joins (or starts) the lease workflow of this model with an acquire signal. */
    async acquireModelLease(input: AcquireInput): Promise<string> {
      const { arn, holder, ...settings } = input;
      const workflowId = leaseWorkflowId(arn);
      await Context.current().client.workflow.signalWithStart('rekognitionModelLease', {
        workflowId,
        taskQueue: IO_QUEUE,
        args: [{ arn, ...settings }],
        signal: 'acquire',
        signalArgs: [{ holder, leaseMs: settings.leaseMs, inferenceUnits: settings.inferenceUnits }],
      });
      return workflowId;
    },
  };
}
