import { ApplicationFailure, Context } from '@temporalio/activity';
import { CameraEntry } from '../lib/camera/camera-list';
import { captureStep, CaptureStepResult } from '../lib/camera/capture-step';
import { CaptureOptions } from '../lib/camera/capture-options';
import { DedupeState } from '../lib/camera/dedupe-state';
import { CatalogError, fetchCameraCatalog } from '../lib/camera/fetch-camera-catalog';
import { StorageOpener } from '../lib/storage/open-storage';
import { cachedPredictor } from '../lib/blur/blur-predictor';
import { BlurModelNotFound, BlurModelRegistry } from '../lib/blur/blur-registry';
import { BlurVerdict } from '../lib/camera/capture-step';
import { storageFailure } from './storage-failure';

export interface CaptureActivityDeps {
  openStorage: StorageOpener;
  /** The worker's VISIONFLOW_STORAGE, used when a capture names no destination. */
  defaultStorage: string;
  /** Blur model registry URL, for --reject-blurry. */
  blurModels: string;
}

export interface CaptureTickInput {
  options: CaptureOptions;
  tickMs: number;
  state: DedupeState | null;
}

export function createCaptureActivities(deps: CaptureActivityDeps) {
  /** Scores with the named model, or the registry's default one as of this tick. */
  const blurCheck = (model: string) => async (body: Buffer, threshold: number): Promise<BlurVerdict> => {
    const registry = new BlurModelRegistry(deps.openStorage(deps.blurModels));
    let version: string;
    try {
      version = await registry.resolve(model || undefined);
    } catch (err) {
      // No model to judge with: stop the capture with a clear reason rather than keep or drop blindly.
      if (err instanceof BlurModelNotFound) throw ApplicationFailure.nonRetryable(`--reject-blurry: ${err.message}`, 'BlurModelNotFound');
      throw err;
    }
    const scores = await (await cachedPredictor(registry, version)).predictImage(body, threshold);
    return { blurred: scores.blurred, blurPercent: scores.blurPercent, class: scores.class, model: version };
  };

  return {
    /** One tick: fetch, validate, dedupe, store. HTTP and image faults are outcomes, not failures. */
    async captureCameraTick(input: CaptureTickInput): Promise<CaptureStepResult> {
      const ctx = Context.current();
      const destination = input.options.destination || deps.defaultStorage;
      const storage = deps.openStorage(destination);
      const beat = setInterval(() => ctx.heartbeat(), 1000);
      try {
        const result = await captureStep(
          { options: input.options, tickMs: input.tickMs, state: input.state, mayHaveStored: ctx.info.attempt > 1 },
          { storage, signal: ctx.cancellationSignal, heartbeat: () => ctx.heartbeat(), blurCheck: blurCheck(input.options.blurModel) },
        );
        // A fetch aborted by cancellation is not a camera fault: report the cancellation.
        if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        return result;
      } catch (err) {
        throw storageFailure(err, destination) ?? err;
      } finally {
        clearInterval(beat);
      }
    },

    /** Reads a camera catalog URL (Grand Lyon format or our own list). */
    async loadCameraCatalog(url: string): Promise<{ cameras: CameraEntry[]; problems: string[] }> {
      const ctx = Context.current();
      try {
        return await fetchCameraCatalog(url, ctx.cancellationSignal);
      } catch (err) {
        if (err instanceof CatalogError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, 'BadCameraCatalog');
        throw err;
      }
    },
  };
}
