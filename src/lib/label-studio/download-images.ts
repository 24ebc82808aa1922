/**
 * Downloads the images of planned tasks into storage with bounded concurrency. A task
 * whose image is already stored is skipped: writes are atomic (temp file + rename,
 * one PutObject), so a stored image is a complete one. Every task ends with a result;
 * only storage faults and refused credentials stop the batch.
 */
import { inLanes } from '../concurrency/bounded-lanes';
import { CONTENT_TYPES, detectImageFormat, EXTENSIONS, jpegHasEnd, previewText } from '../image/image-format';
import { Storage } from '../storage/storage';
import { stemOf } from './dataset-names';
import { PlannedTask } from './dataset-plan';
import { LabelStudioClient, LabelStudioError } from './label-studio-client';
import sharp from 'sharp';

export type TaskStatus = 'downloaded' | 'skipped' | 'failed' | 'malformed';

export interface TaskResult {
  taskId: number;
  status: TaskStatus;
  imageKey?: string;
  bytes?: number;
  width?: number;
  height?: number;
  reason?: string;
}

export interface DownloadDeps {
  client: LabelStudioClient;
  storage: Storage;
  concurrency: number;
  signal?: AbortSignal;
  /** Reads s3:// objects directly when the worker has credentials for them. */
  readCloud?: (uri: string, signal?: AbortSignal) => Promise<Buffer | undefined>;
  isFatal(err: unknown): boolean;
  onResult?(result: TaskResult): void;
}

export function downloadTasks(tasks: PlannedTask[], deps: DownloadDeps): Promise<TaskResult[]> {
  return inLanes(
    tasks,
    deps.concurrency,
    async (task) => {
      const result = await downloadOne(task, deps);
      deps.onResult?.(result);
      return result;
    },
    deps.signal,
  );
}

/** Keys the image may have been stored under (a YOLO label folder does not tell the extension). */
function candidateKeys(task: PlannedTask): string[] {
  if (!task.alternatives) return [task.imageKey!];
  const stem = stemOf(task.imageKey!);
  return ['jpg', 'png', 'webp', 'gif'].map((ext) => `${stem}.${ext}`);
}

async function downloadOne(task: PlannedTask, deps: DownloadDeps): Promise<TaskResult> {
  if (task.malformed || !task.ref || !task.imageKey) return { taskId: task.taskId, status: 'malformed', reason: task.malformed };
  for (const key of candidateKeys(task)) {
    const existing = await deps.storage.head(key);
    if (existing && existing.size > 0) {
      return { taskId: task.taskId, status: 'skipped', imageKey: key, bytes: existing.size, ...(await storedSize(deps.storage, key, task)) };
    }
  }
  let body: Buffer;
  try {
    body = await fetchImage(task, deps);
  } catch (err) {
    if (deps.isFatal(err) || deps.signal?.aborted) throw err;
    return { taskId: task.taskId, status: 'failed', reason: (err as Error).message };
  }
  const format = detectImageFormat(body);
  if (!format) return { taskId: task.taskId, status: 'failed', reason: `not an image: '${previewText(body)}'` };
  if (format === 'jpeg' && !jpegHasEnd(body)) return { taskId: task.taskId, status: 'failed', reason: `truncated JPEG (${body.length} bytes)` };
  let width: number | undefined;
  let height: number | undefined;
  try {
    const meta = await sharp(body).metadata();
    width = meta.autoOrient?.width ?? meta.width;
    height = meta.autoOrient?.height ?? meta.height;
  } catch (err) {
    return { taskId: task.taskId, status: 'failed', reason: `undecodable ${format}: ${(err as Error).message}` };
  }
  // Label folders do not say the extension: name the file after what arrived.
  const key = task.alternatives ? `${stemOf(task.imageKey)}.${EXTENSIONS[format]}` : task.imageKey;
  await deps.storage.put(key, body, { contentType: CONTENT_TYPES[format] });
  return { taskId: task.taskId, status: 'downloaded', imageKey: key, bytes: body.length, width, height };
}

async function fetchImage(task: PlannedTask, deps: DownloadDeps): Promise<Buffer> {
  const ref = task.ref!;
  if (ref.kind === 'cloud') {
    if (ref.scheme === 's3' && deps.readCloud) {
      const direct = await deps.readCloud(ref.uri, deps.signal).catch(() => undefined);
      if (direct) return direct;
    }
    if (task.taskId <= 0) throw new Error(`${ref.uri}: no task id to resolve it through Label Studio`);
    return (await deps.client.download(deps.client.resolveUrl(task.taskId, ref.uri), deps.signal)).body;
  }
  if (ref.kind === 'invalid') throw new Error(ref.reason);
  if (!task.alternatives) return (await deps.client.download(ref.url, deps.signal)).body;
  // A guessed extension: Label Studio answers a missing upload with 500 (not 404), so any
  // HTTP error moves on to the next extension, with one retry each instead of four.
  const urls = [ref.url, ...task.alternatives];
  let first: unknown;
  for (const url of urls) {
    try {
      return (await deps.client.download(url, deps.signal, 1)).body;
    } catch (err) {
      if (!(err instanceof LabelStudioError) || err.status === undefined || deps.isFatal(err)) throw err;
      first ??= err;
    }
  }
  throw new Error(`no image for any of ${urls.map((u) => u.slice(u.lastIndexOf('/') + 1)).join(', ')}: ${(first as Error).message}`);
}

/** Width and height of an image stored by an earlier run, for COCO; cheap header read. */
async function storedSize(storage: Storage, key: string, task: PlannedTask): Promise<{ width?: number; height?: number }> {
  if (task.width && task.height) return { width: task.width, height: task.height };
  const body = await storage.get(key);
  if (!body) return {};
  const meta = await sharp(body).metadata().catch(() => undefined);
  return { width: meta?.autoOrient?.width ?? meta?.width, height: meta?.autoOrient?.height ?? meta?.height };
}
