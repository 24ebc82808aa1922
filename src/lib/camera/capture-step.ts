/**
 * One capture tick for one camera: fetch, validate, hash, compare with recent kept
 * images, store what is new. Idempotent per tick: the image key comes from the tick
 * time, and a retry that finds the tick's image already stored completes the
 * manifest and state instead of fetching again.
 */
import { createHash } from 'node:crypto';
import { nearestDistance } from '../hash/hamming';
import { fetchImage } from '../http/fetch-image';
import { redactUrl } from '../http/redact-url';
import { CONTENT_TYPES, EXTENSIONS, ImageFormat } from '../image/image-format';
import { inspectImage } from '../image/inspect-image';
import { Storage } from '../storage/storage';
import { imageKey, stateKey, tickPrefix, utcStamp } from './capture-keys';
import { TickOutcome } from './capture-counters';
import { CaptureOptions } from './capture-options';
import { adoptDedupeState, DedupeState, RecentImage } from './dedupe-state';
import { appendManifestLine, ManifestLine } from './manifest';

export interface CaptureStepInput {
  options: CaptureOptions;
  tickMs: number;
  /** Null: read the state saved in storage (first tick of a run, scheduled runs). */
  state: DedupeState | null;
  /** True when an earlier attempt of this tick may have stored its image. */
  mayHaveStored: boolean;
}

export interface CaptureStepResult {
  tick: TickOutcome;
  state: DedupeState;
  fetchedAt: string;
}

/** The blur model's verdict on an image (capture's --reject-blurry). */
export interface BlurVerdict {
  blurred: boolean;
  blurPercent: number;
  class: string;
  model: string;
}

export interface CaptureStepDeps {
  storage: Storage;
  /** Scores an image with the blur model; required when options.rejectBlurry > 0. */
  blurCheck?: (body: Buffer, threshold: number) => Promise<BlurVerdict>;
  signal?: AbortSignal;
  heartbeat?: () => void;
  now?: () => number;
}

export async function captureStep(input: CaptureStepInput, deps: CaptureStepDeps): Promise<CaptureStepResult> {
  const { options, tickMs } = input;
  const { storage } = deps;
  const now = deps.now ?? Date.now;
  const state = input.state
    ? adoptDedupeState(input.state, options.hash, options.window)
    : adoptDedupeState(await loadDedupeState(storage, options.cameraId), options.hash, options.window);

  if (input.mayHaveStored) {
    const resumed = await resumeStoredTick(input, state, deps);
    if (resumed) return resumed;
  }

  const fetched = await fetchImage(options.url, {
    timeoutMs: options.fetchTimeoutMs,
    maxBytes: options.maxBytes,
    retries: options.retries,
    validators: state.validators,
    signal: deps.signal,
    onProgress: deps.heartbeat,
  });
  const fetchedAt = new Date(now()).toISOString();
  if (fetched.kind === 'not_modified') {
    return {
      tick: { outcome: 'duplicate', reason: 'not_modified', distance: 0, hash: null },
      state: { ...state, validators: fetched.validators },
      fetchedAt,
    };
  }
  if (fetched.kind === 'failed') {
    return { tick: { outcome: 'rejected', reason: fetched.reason, detail: fetched.detail }, state, fetchedAt };
  }

  const sha256 = createHash('sha256').update(fetched.body).digest('hex');
  // Validators are only remembered for bodies we accepted or recognised, so an error
  // page served with a 200 never becomes the reference for If-None-Match.
  if (sha256 === state.lastSha256 || state.recent.some((r) => r.sha256 === sha256)) {
    return {
      tick: { outcome: 'duplicate', reason: 'identical_bytes', distance: 0, hash: null },
      state: { ...state, validators: fetched.validators, lastSha256: sha256 },
      fetchedAt,
    };
  }

  const image = await inspectImage(fetched.body, options.hash, {
    minWidth: options.minWidth,
    minHeight: options.minHeight,
    minBytes: options.minBytes,
    darkBelow: options.rejectDarkBelow > 0 ? options.rejectDarkBelow : undefined,
  });
  if (!image.ok) {
    return { tick: { outcome: 'rejected', reason: image.reason, detail: image.detail }, state, fetchedAt };
  }

  const distance = nearestDistance(image.hash, state.recent.map((r) => r.hash));
  const seen: DedupeState = { ...state, validators: fetched.validators, lastSha256: sha256 };
  if (distance <= options.maxDistance) {
    return { tick: { outcome: 'duplicate', reason: 'similar', distance, hash: image.hash }, state: seen, fetchedAt };
  }
  // Blur is scored last: only images that would otherwise be kept pay for it.
  if (options.rejectBlurry > 0) {
    if (!deps.blurCheck) throw new Error('rejectBlurry is set but this worker has no blur model access');
    const verdict = await deps.blurCheck(fetched.body, options.rejectBlurry);
    if (verdict.blurred) {
      const detail = `blur ${verdict.blurPercent.toFixed(1)} % >= ${options.rejectBlurry} % (${verdict.class}, model ${verdict.model})`;
      return { tick: { outcome: 'rejected', reason: 'blurry', detail }, state, fetchedAt };
    }
  }

  // Two runs of one camera in the same second (a manual schedule trigger next to a
  // scheduled run) must not overwrite each other: take the next free second.
  let storedTickMs = tickMs;
  while (await storage.exists(imageKey(options.cameraId, storedTickMs, EXTENSIONS[image.format]))) storedTickMs += 1000;
  const key = imageKey(options.cameraId, storedTickMs, EXTENSIONS[image.format]);
  await storage.put(key, fetched.body, {
    contentType: CONTENT_TYPES[image.format],
    metadata: { sha256, hash: image.hash, tick: utcStamp(storedTickMs) },
  });
  const line: ManifestLine = {
    tick: new Date(storedTickMs).toISOString(),
    fetchedAt,
    key,
    bytes: fetched.body.length,
    sha256,
    hash: image.hash,
    hashKind: options.hash,
    distance: Number.isFinite(distance) ? distance : null,
    width: image.width,
    height: image.height,
    format: image.format,
    contentType: fetched.contentType ?? null,
    url: redactUrl(options.url),
    lastModified: fetched.validators.lastModified ?? null,
    etag: fetched.validators.etag ?? null,
  };
  return finishKept(storage, options, seen, line, storedTickMs);
}

async function finishKept(
  storage: Storage,
  options: CaptureOptions,
  state: DedupeState,
  line: ManifestLine,
  tickMs: number,
): Promise<CaptureStepResult> {
  await appendManifestLine(storage, options.cameraId, line);
  // A retried tick may find its image already in the saved window: never count it twice.
  const known = state.recent.some((r) => r.sha256 === line.sha256);
  const recent: RecentImage[] = known ? state.recent : [...state.recent, { hash: line.hash, sha256: line.sha256 }].slice(-options.window);
  const next: DedupeState = {
    ...state,
    recent,
    lastKept: { key: line.key, tick: new Date(tickMs).toISOString(), hash: line.hash },
  };
  await saveDedupeState(storage, options.cameraId, next);
  return {
    tick: { outcome: 'kept', key: line.key, hash: line.hash, sha256: line.sha256, bytes: line.bytes, distance: line.distance },
    state: next,
    fetchedAt: line.fetchedAt,
  };
}

/** An earlier attempt stored this tick's image and then died: finish its bookkeeping. */
async function resumeStoredTick(
  input: CaptureStepInput,
  state: DedupeState,
  deps: CaptureStepDeps,
): Promise<CaptureStepResult | undefined> {
  const { options, tickMs } = input;
  const [stored] = await deps.storage.list(tickPrefix(options.cameraId, tickMs));
  if (!stored) return undefined;
  const body = await deps.storage.get(stored.key);
  if (!body) return undefined;
  const image = await inspectImage(body, options.hash, { minWidth: 1, minHeight: 1, minBytes: 0 });
  if (!image.ok) return undefined;
  const sha256 = createHash('sha256').update(body).digest('hex');
  const manifestState = { ...state, lastSha256: sha256 };
  const line: ManifestLine = {
    tick: new Date(tickMs).toISOString(),
    fetchedAt: new Date((deps.now ?? Date.now)()).toISOString(),
    key: stored.key,
    bytes: body.length,
    sha256,
    hash: image.hash,
    hashKind: options.hash,
    distance: null,
    width: image.width,
    height: image.height,
    format: image.format as ImageFormat,
    contentType: CONTENT_TYPES[image.format],
    url: redactUrl(options.url),
    lastModified: null,
    etag: null,
  };
  return finishKept(deps.storage, options, manifestState, line, tickMs);
}

export async function loadDedupeState(storage: Storage, cameraId: string): Promise<DedupeState | null> {
  const raw = await storage.get(stateKey(cameraId));
  if (!raw) return null;
  try {
    return JSON.parse(raw.toString('utf8')) as DedupeState;
  } catch {
    return null; // a damaged state file only costs one extra kept image
  }
}

async function saveDedupeState(storage: Storage, cameraId: string, state: DedupeState): Promise<void> {
  await storage.put(stateKey(cameraId), JSON.stringify(state, null, 2), { contentType: 'application/json' });
}
