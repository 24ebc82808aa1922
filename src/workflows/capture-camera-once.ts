/**
 * captureCameraOnce: one tick, for Temporal Schedules. Dedupe state comes from and
 * goes back to `<destination>/<cameraId>/state.json`, so every scheduled run compares
 * with what earlier runs kept.
 */
import type { CaptureStepResult } from '../lib/camera/capture-step';
import type { CaptureInput } from '../lib/camera/capture-options';
import { captureActivities, validCaptureOptions } from './capture-camera';

export interface CaptureOnceResult extends Pick<CaptureStepResult, 'tick' | 'fetchedAt'> {
  cameraId: string;
  tickAt: string;
}

export async function captureCameraOnce(input: CaptureInput): Promise<CaptureOnceResult> {
  const options = validCaptureOptions(input);
  const tickMs = Math.floor(Date.now() / 1000) * 1000;
  const { captureCameraTick } = captureActivities(options);
  const result = await captureCameraTick({ options, tickMs, state: null });
  return { cameraId: options.cameraId, tickAt: new Date(tickMs).toISOString(), tick: result.tick, fetchedAt: result.fetchedAt };
}
