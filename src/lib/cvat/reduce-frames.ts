/**
 * Reduces a list of frames into storage with bounded concurrency, so downloads,
 * encodes and uploads overlap. Idempotent: a frame whose object already carries the
 * same source checksum and reduction settings is skipped without encoding or upload.
 */
import { createHash } from 'node:crypto';
import { inLanes } from '../concurrency/bounded-lanes';
import { ReduceOptions } from '../image/reduce-image-format';
import { NotAnImageError, reduceImage } from '../image/reduce-image';
import { Storage } from '../storage/storage';

export interface FrameJob {
  frame: number;
  name: string;
  key: string;
  /** Deleted in CVAT: reported, never uploaded. */
  deleted?: boolean;
}

export type FrameStatus = 'uploaded' | 'skipped' | 'deleted' | 'failed';

export interface FrameResult {
  frame: number;
  name: string;
  key: string;
  status: FrameStatus;
  bytesBefore: number;
  bytesAfter: number;
  keptOriginal?: boolean;
  width?: number;
  height?: number;
  reason?: string;
}

export interface ReduceFramesDeps {
  storage: Storage;
  read(job: FrameJob, signal?: AbortSignal): Promise<Buffer>;
  options: ReduceOptions;
  concurrency: number;
  signal?: AbortSignal;
  /** Errors that stop the whole batch (bad credentials, storage down) instead of failing one frame. */
  isFatal(err: unknown): boolean;
  onResult?(result: FrameResult): void;
}

const CONTENT_TYPES: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/** Settings that change the output bytes; a rerun with other settings re-uploads. */
export function reductionSignature(o: ReduceOptions): string {
  return `q${o.quality}-side${o.maxSide ?? 0}-${o.format ?? 'jpeg'}-${o.mozjpeg ? 'mozjpeg' : 'libjpeg'}${o.optimizeCoding === false ? '-fast' : ''}-${o.keepMetadata ? 'meta' : 'strip'}`;
}

export async function reduceFrames(jobs: FrameJob[], deps: ReduceFramesDeps): Promise<FrameResult[]> {
  return inLanes(
    jobs,
    deps.concurrency,
    async (job) => {
      const result = await reduceOne(job, deps);
      deps.onResult?.(result);
      return result;
    },
    deps.signal,
  );
}

async function reduceOne(job: FrameJob, deps: ReduceFramesDeps): Promise<FrameResult> {
  const base = { frame: job.frame, name: job.name, key: job.key };
  if (job.deleted) return { ...base, status: 'deleted', bytesBefore: 0, bytesAfter: 0, reason: 'deleted in CVAT' };
  let body: Buffer;
  try {
    body = await deps.read(job, deps.signal);
  } catch (err) {
    if (deps.isFatal(err) || deps.signal?.aborted) throw err;
    return { ...base, status: 'failed', bytesBefore: 0, bytesAfter: 0, reason: `download failed: ${(err as Error).message}` };
  }
  const sha256 = createHash('sha256').update(body).digest('hex');
  const signature = reductionSignature(deps.options);
  const existing = await deps.storage.head(job.key);
  if (existing && existing.metadata['source-sha256'] === sha256 && existing.metadata['reduction'] === signature) {
    return { ...base, status: 'skipped', bytesBefore: body.length, bytesAfter: existing.size, reason: 'already uploaded from the same source' };
  }
  let reduced;
  try {
    reduced = await reduceImage(body, deps.options);
  } catch (err) {
    if (err instanceof NotAnImageError) return { ...base, status: 'failed', bytesBefore: body.length, bytesAfter: 0, reason: err.message };
    throw err;
  }
  await deps.storage.put(job.key, reduced.body, {
    contentType: CONTENT_TYPES[reduced.format] ?? 'application/octet-stream',
    metadata: {
      'source-sha256': sha256,
      'source-bytes': String(body.length),
      reduction: signature,
      'source-frame': String(job.frame),
    },
  });
  return {
    ...base,
    status: 'uploaded',
    bytesBefore: body.length,
    bytesAfter: reduced.body.length,
    keptOriginal: reduced.keptOriginal,
    width: reduced.width,
    height: reduced.height,
  };
}

export interface ReductionCounts {
  frames: number;
  uploaded: number;
  skipped: number;
  deleted: number;
  failed: number;
  bytesBefore: number;
  bytesAfter: number;
}

export function countResults(results: FrameResult[]): ReductionCounts {
  const counts: ReductionCounts = { frames: 0, uploaded: 0, skipped: 0, deleted: 0, failed: 0, bytesBefore: 0, bytesAfter: 0 };
  for (const r of results) {
    counts.frames++;
    counts[r.status]++;
    counts.bytesBefore += r.bytesBefore;
    counts.bytesAfter += r.bytesAfter;
  }
  return counts;
}
