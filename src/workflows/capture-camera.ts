/**
 * captureCamera: one camera, until stopped. Ticks sit on a grid of multiples of the
 * interval (UTC), so timers never drift and file names are regular; a late tick takes
 * the latest slot instead of bursting to catch up.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CaptureCounters, countOutcome, emptyCounters } from '../lib/camera/capture-counters';
import { CaptureInput, CaptureOptions, MIN_INTERVAL_MS, normalizeCaptureOptions } from '../lib/camera/capture-options';
import type { DedupeState } from '../lib/camera/dedupe-state';
import { parseDuration } from '../lib/duration';
import { IO_QUEUE } from '../task-queues';
import {
  CaptureStatus,
  pauseSignal,
  resumeSignal,
  setIntervalSignal,
  statusQuery,
  stopSignal,
} from './capture-signals';

/** Compact state carried across continue-as-new. */
export interface CaptureCarry {
  counters: CaptureCounters;
  dedupe: DedupeState | null;
  paused: boolean;
  everyMs: number;
  lastTickMs: number | null;
  lastTick: CaptureStatus['lastTick'];
  startedAt: string;
  run: number;
}

export interface CaptureCameraInput extends CaptureInput {
  /** Continue-as-new after this many ticks even if the server does not suggest it. */
  continueAsNewAfter?: number;
  /** Internal: state handed over by continue-as-new. */
  carry?: CaptureCarry;
}

export function captureActivities(options: CaptureOptions) {
  // A tick may spend its fetch timeout on each attempt plus backoff; storage and
  // decoding get a minute on top. Heartbeats notice a dead worker within seconds.
  const perAttempt = options.fetchTimeoutMs + 30_000;
  return proxyActivities<Activities>({
    taskQueue: IO_QUEUE,
    startToCloseTimeout: perAttempt * (options.retries + 1) + 60_000,
    heartbeatTimeout: 10_000,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5 },
  });
}

/** Validated options, or a non-retryable failure that names each bad field. */
export function validCaptureOptions(input: CaptureInput): CaptureOptions {
  try {
    return normalizeCaptureOptions(input);
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidCaptureOptions');
  }
}

export async function captureCamera(input: CaptureCameraInput): Promise<CaptureStatus> {
  const options = validCaptureOptions(input);
  const carry: CaptureCarry = input.carry ?? {
    counters: emptyCounters(),
    dedupe: null,
    paused: false,
    everyMs: options.everyMs,
    lastTickMs: null,
    lastTick: null,
    startedAt: new Date().toISOString(),
    run: 1,
  };
  const { captureCameraTick } = captureActivities(options);

  let stopRequested = false;
  let intervalChanged = false;
  let completed = false;
  let nextTickMs: number | null = null;

  const status = (): CaptureStatus => ({
    cameraId: options.cameraId,
    url: options.url,
    destination: options.destination,
    state: completed ? 'completed' : stopRequested ? 'stopped' : carry.paused ? 'paused' : 'running',
    everyMs: carry.everyMs,
    hash: options.hash,
    maxDistance: options.maxDistance,
    window: options.window,
    counters: carry.counters,
    lastKept: carry.dedupe?.lastKept ?? null,
    lastTick: carry.lastTick,
    nextTickAt: nextTickMs === null || carry.paused || stopRequested ? null : new Date(nextTickMs).toISOString(),
    startedAt: carry.startedAt,
    run: carry.run,
  });

  setHandler(pauseSignal, () => void (carry.paused = true));
  setHandler(resumeSignal, () => void (carry.paused = false));
  setHandler(stopSignal, () => void (stopRequested = true));
  setHandler(setIntervalSignal, (value) => {
    let ms: number;
    try {
      ms = typeof value === 'number' ? value : parseDuration(value, 'setInterval');
    } catch (err) {
      log.warn('ignored setInterval', { value, error: (err as Error).message });
      return;
    }
    if (!Number.isInteger(ms) || ms < MIN_INTERVAL_MS) {
      log.warn('ignored setInterval below the minimum', { value, minimumMs: MIN_INTERVAL_MS });
      return;
    }
    carry.everyMs = ms;
    intervalChanged = true;
  });
  setHandler(statusQuery, status);

  const limitReached = () => options.maxImages > 0 && carry.counters.kept >= options.maxImages;
  let ticksThisRun = 0;

  while (!stopRequested && !limitReached()) {
    if (carry.paused) {
      await condition(() => !carry.paused || stopRequested);
      continue;
    }
    nextTickMs = nextSlot(Date.now(), carry.everyMs, carry.lastTickMs);
    intervalChanged = false;
    const wait = nextTickMs - Date.now();
    if (wait > 0) {
      const interrupted = await condition(() => stopRequested || carry.paused || intervalChanged, wait);
      if (interrupted) continue;
    }
    const tickMs = Math.max(nextTickMs, latestSlot(Date.now(), carry.everyMs, carry.lastTickMs));
    carry.lastTickMs = tickMs;
    try {
      const result = await captureCameraTick({ options, tickMs, state: carry.dedupe });
      carry.dedupe = result.state;
      carry.counters = countOutcome(carry.counters, result.tick);
      carry.lastTick = { tick: new Date(tickMs).toISOString(), fetchedAt: result.fetchedAt, result: result.tick };
    } catch (err) {
      // Storage down or a worker lost repeatedly: count it and keep capturing.
      if (!(err instanceof ActivityFailure)) throw err;
      const detail = err.cause?.message ?? err.message;
      const storageDown = err.cause instanceof ApplicationFailure && err.cause.type === 'StorageUnavailable';
      const tick = { outcome: 'rejected' as const, reason: storageDown ? 'storage_error' : 'tick_failed', detail };
      carry.counters = countOutcome(carry.counters, tick);
      carry.lastTick = { tick: new Date(tickMs).toISOString(), fetchedAt: new Date().toISOString(), result: tick };
      log.warn('capture tick failed', { cameraId: options.cameraId, detail });
    }
    ticksThisRun++;

    const due = (input.continueAsNewAfter ?? 0) > 0 && ticksThisRun >= (input.continueAsNewAfter ?? 0);
    if ((due || workflowInfo().continueAsNewSuggested) && !stopRequested && !limitReached()) {
      await condition(allHandlersFinished);
      const { carry: _previous, ...rest } = input;
      await continueAsNew<typeof captureCamera>({ ...rest, carry: { ...carry, run: carry.run + 1 } });
    }
  }
  completed = !stopRequested;
  nextTickMs = null;
  await condition(allHandlersFinished);
  return status();
}

/**
 * The first tick of a capture runs at once; later ticks take the next multiple of the
 * interval. Never within the same UTC second as the last tick, so names stay unique.
 */
export function nextSlot(now: number, everyMs: number, lastTickMs: number | null): number {
  if (lastTickMs === null) return now;
  const earliest = Math.floor(lastTickMs / 1000) * 1000 + 1000;
  const slot = Math.floor(lastTickMs / everyMs) * everyMs + everyMs;
  return Math.max(slot, earliest);
}

function latestSlot(now: number, everyMs: number, lastTickMs: number | null): number {
  const slot = Math.floor(now / everyMs) * everyMs;
  if (lastTickMs === null) return slot;
  return Math.max(slot, Math.floor(lastTickMs / 1000) * 1000 + 1000);
}
