/** Signals and queries of a camera capture, shared by the workflow and the client. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CaptureCounters, TickOutcome } from '../lib/camera/capture-counters';

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const stopSignal = defineSignal('stop');
/** New interval: milliseconds, or a duration such as "30s". */
export const setIntervalSignal = defineSignal<[number | string]>('setInterval');

export type CaptureState = 'running' | 'paused' | 'stopped' | 'completed';

export interface CaptureStatus {
  cameraId: string;
  url: string;
  destination: string;
  state: CaptureState;
  everyMs: number;
  hash: string;
  maxDistance: number;
  window: number;
  counters: CaptureCounters;
  lastKept: { key: string; tick: string; hash: string } | null;
  lastTick: { tick: string; fetchedAt: string; result: TickOutcome } | null;
  nextTickAt: string | null;
  startedAt: string;
  /** Runs of this capture chained by continue-as-new (1 for the first). */
  run: number;
}

export const statusQuery = defineQuery<CaptureStatus>('status');
