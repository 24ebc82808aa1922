/**
 * Model lifecycle calls on Rekognition Custom Labels: status, start, stop, and waiting
 * for a status. Throttling is retried with backoff here; everything else is the
 * caller's to decide.
 */
import {
  DescribeProjectsCommand,
  DescribeProjectVersionsCommand,
  RekognitionClient,
  StartProjectVersionCommand,
  StopProjectVersionCommand,
} from '@aws-sdk/client-rekognition';
import { abortableWait } from '../concurrency/abortable-wait';
import { parseModelArn } from './model-arn';

export type ModelStatus = string; // RUNNING, STOPPED, STARTING, STOPPING, FAILED, TRAINING_* …

export interface ModelState {
  status: ModelStatus;
  message?: string;
  inferenceUnits?: number;
}

const THROTTLED = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'LimitExceededException']);

export function isThrottled(err: unknown): boolean {
  return err instanceof Error && THROTTLED.has(err.name);
}

/** Retries throttled calls with exponential backoff and jitter (up to ~1 min). */
export async function withBackoff<T>(call: () => Promise<T>, signal?: AbortSignal, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!isThrottled(err) || attempt >= attempts) throw err;
      await abortableWait(Math.min(60_000, 250 * 2 ** attempt * (0.5 + Math.random())), signal);
    }
  }
}

export class RekognitionModels {
  private readonly projectArns = new Map<string, string>();

  constructor(readonly client: RekognitionClient) {}

  private async projectArn(project: string, signal?: AbortSignal): Promise<string> {
    const known = this.projectArns.get(project);
    if (known) return known;
    const res = await withBackoff(() => this.client.send(new DescribeProjectsCommand({ ProjectNames: [project] }), { abortSignal: signal }), signal);
    const arn = res.ProjectDescriptions?.[0]?.ProjectArn;
    if (!arn) throw Object.assign(new Error(`Rekognition project '${project}' does not exist`), { name: 'ResourceNotFoundException' });
    this.projectArns.set(project, arn);
    return arn;
  }

  async state(versionArn: string, signal?: AbortSignal): Promise<ModelState> {
    const { project, version } = parseModelArn(versionArn);
    const projectArn = await this.projectArn(project, signal);
    const res = await withBackoff(
      () => this.client.send(new DescribeProjectVersionsCommand({ ProjectArn: projectArn, VersionNames: [version] }), { abortSignal: signal }),
      signal,
    );
    const d = res.ProjectVersionDescriptions?.find((v) => v.ProjectVersionArn === versionArn) ?? res.ProjectVersionDescriptions?.[0];
    if (!d?.Status) throw Object.assign(new Error(`model version ${versionArn} does not exist`), { name: 'ResourceNotFoundException' });
    return { status: d.Status, message: d.StatusMessage, inferenceUnits: d.MinInferenceUnits };
  }

  async start(versionArn: string, inferenceUnits: number, signal?: AbortSignal): Promise<void> {
    await withBackoff(
      () => this.client.send(new StartProjectVersionCommand({ ProjectVersionArn: versionArn, MinInferenceUnits: inferenceUnits }), { abortSignal: signal }),
      signal,
    );
  }

  async stop(versionArn: string, signal?: AbortSignal): Promise<void> {
    await withBackoff(() => this.client.send(new StopProjectVersionCommand({ ProjectVersionArn: versionArn }), { abortSignal: signal }), signal);
  }

  /** Polls until the model reaches `target`; a FAILED model (or another end state) throws with its message. */
  async waitFor(versionArn: string, target: 'RUNNING' | 'STOPPED', options: { signal?: AbortSignal; pollMs?: number; onPoll?: (s: ModelState) => void } = {}): Promise<ModelState> {
    const passing = target === 'RUNNING' ? ['STARTING'] : ['STOPPING', 'RUNNING'];
    for (;;) {
      const state = await this.state(versionArn, options.signal);
      options.onPoll?.(state);
      if (state.status === target) return state;
      if (!passing.includes(state.status)) {
        throw Object.assign(new Error(`model ${versionArn} is ${state.status}${state.message ? `: ${state.message}` : ''} while waiting for ${target}`), {
          name: 'ModelStateError',
        });
      }
      await abortableWait(options.pollMs ?? 5000, options.signal);
    }
  }
}
