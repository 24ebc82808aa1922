/**
 * Activities of reduceCvatTask: find the task, reduce batches of frames (or a whole
 * export) into storage with heartbeat checkpoints, write the report. Each batch writes
 * its per-frame results as a part beside the report, so workflow history only
 * carries counts.
 */
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { CvatDataMeta } from '../lib/cvat/cvat-api';
import { CvatClient, CvatSettings } from '../lib/cvat/cvat-client';
import { CvatError } from '../lib/cvat/cvat-errors';
import { frameKeys } from '../lib/cvat/destination-layout';
import { countResults, FrameJob, FrameResult, reduceFrames, ReductionCounts } from '../lib/cvat/reduce-frames';
import { parseTaskName } from '../lib/cvat/task-name';
import { ReduceOptions } from '../lib/image/reduce-image-format';
import { StorageOpener } from '../lib/storage/open-storage';
import { isPermanentStorageError } from '../lib/storage/storage-errors';
import { storageFailure } from './storage-failure';
import { SafeZip, UnsafeZipError } from '../lib/zip/safe-zip';

export interface CvatActivityDeps {
  openStorage: StorageOpener;
  cvat?: CvatSettings;
  /** Frames in flight per batch activity: downloads, encodes and uploads overlap. */
  framesInFlight?: number;
}

export interface CvatTaskRef {
  taskId: number;
  taskName: string;
  frames: number;
  deletedFrames: number;
  serverVersion: string;
}

export interface ReduceBatchInput {
  task: CvatTaskRef;
  destination: string;
  layout: string;
  reduce: ReduceOptions;
  from: number;
  to: number;
  /** Key of this batch's per-frame results, under the destination. */
  partKey: string;
}

export interface ReduceExportInput extends Omit<ReduceBatchInput, 'from' | 'to'> {
  exportFormat: string;
}

export interface WriteReportInput {
  destination: string;
  reportKey: string;
  partsPrefix: string;
  report: Record<string, unknown>;
}

/** Non-retryable failures for bad input; everything else is left to Temporal's retries. */
function asFailure(err: unknown, storageUrl: string): unknown {
  if (err instanceof CvatError && !err.retryable) return ApplicationFailure.nonRetryable(err.message, err.name);
  if (err instanceof UnsafeZipError) return ApplicationFailure.nonRetryable(err.message, 'UnsafeZip');
  return storageFailure(err, storageUrl) ?? err;
}

const isFatal = (err: unknown) =>
  (err instanceof CvatError && (err.status === 401 || err.status === 403)) || isPermanentStorageError(err);

export function createCvatActivities(deps: CvatActivityDeps) {
  let client: CvatClient | undefined;
  const metaCache = new Map<number, Promise<CvatDataMeta>>();

  const cvat = (): CvatClient => {
    if (!deps.cvat) throw ApplicationFailure.nonRetryable('CVAT_HOST is not set on the worker (with CVAT_ACCESS_TOKEN or CVAT_USERNAME/CVAT_PASSWORD)', 'CvatNotConfigured');
    client ??= new CvatClient(deps.cvat);
    return client;
  };

  /** data/meta once per task per worker process: every batch needs the frame names. */
  const meta = (taskId: number, signal: AbortSignal): Promise<CvatDataMeta> => {
    let cached = metaCache.get(taskId);
    if (!cached) {
      cached = cvat().dataMeta(taskId, signal);
      cached.catch(() => metaCache.delete(taskId));
      metaCache.set(taskId, cached);
      if (metaCache.size > 32) metaCache.delete(metaCache.keys().next().value!);
    }
    return cached;
  };

  const plans = new Map<string, FrameJob[]>();

  /** Every frame's job (name, key, deleted), computed once per task and layout per process. */
  async function plan(input: Omit<ReduceBatchInput, 'from' | 'to' | 'partKey'>, signal: AbortSignal): Promise<FrameJob[]> {
    const format = input.reduce.format ?? 'jpeg';
    const id = JSON.stringify([input.task.taskId, input.task.taskName, input.layout, format]);
    const known = plans.get(id);
    if (known) return known;
    const m = await meta(input.task.taskId, signal);
    const names = m.frames.map((f) => f.name);
    const keys = frameKeys(input.layout, { task: parseTaskName(input.task.taskName), taskId: input.task.taskId }, names, format);
    const deleted = new Set(m.deleted_frames ?? []);
    const jobs = names.map((name, frame) => ({ frame, name, key: keys[frame], deleted: deleted.has(frame) }));
    plans.set(id, jobs);
    if (plans.size > 32) plans.delete(plans.keys().next().value!);
    return jobs;
  }

  /** Runs jobs, heartbeating completed results so a retry resumes after them. */
  async function runJobs(jobs: FrameJob[], input: Pick<ReduceBatchInput, 'destination' | 'reduce' | 'partKey'>, read: (job: FrameJob, signal?: AbortSignal) => Promise<Buffer>): Promise<ReductionCounts> {
    const ctx = Context.current();
    const storage = deps.openStorage(input.destination);
    const previous = (ctx.info.heartbeatDetails as { done?: FrameResult[] } | undefined)?.done ?? [];
    const done = new Map(previous.map((r) => [r.frame, r]));
    const todo = jobs.filter((j) => !done.has(j.frame));
    const beat = setInterval(() => ctx.heartbeat({ done: [...done.values()] }), 2000);
    try {
      await reduceFrames(todo, {
        storage,
        read,
        options: input.reduce,
        concurrency: deps.framesInFlight ?? 4,
        signal: ctx.cancellationSignal,
        isFatal,
        onResult: (r) => {
          done.set(r.frame, r);
          ctx.heartbeat({ done: [...done.values()] });
        },
      });
      const results = jobs.map((j) => done.get(j.frame)!);
      await storage.put(input.partKey, JSON.stringify(results), { contentType: 'application/json' });
      return countResults(results);
    } catch (err) {
      throw asFailure(err, input.destination);
    } finally {
      clearInterval(beat);
    }
  }

  return {
    async resolveCvatTask(input: { taskName: string }): Promise<CvatTaskRef> {
      const { cancellationSignal: signal } = Context.current();
      try {
        const api = cvat();
        const [about, task] = await Promise.all([api.about(signal), api.taskByName(input.taskName, signal)]);
        const m = await meta(task.id, signal);
        return {
          taskId: task.id,
          taskName: task.name,
          frames: m.frames.length,
          deletedFrames: (m.deleted_frames ?? []).length,
          serverVersion: about.version,
        };
      } catch (err) {
        throw asFailure(err, 'storage');
      }
    },

    async reduceCvatFrames(input: ReduceBatchInput): Promise<ReductionCounts> {
      const { cancellationSignal } = Context.current();
      let jobs: FrameJob[];
      try {
        jobs = (await plan(input, cancellationSignal)).slice(input.from, input.to);
      } catch (err) {
        throw asFailure(err, input.destination);
      }
      return runJobs(jobs, input, (job, signal) => cvat().frame(input.task.taskId, job.frame, signal));
    },

    async reduceCvatExport(input: ReduceExportInput): Promise<ReductionCounts> {
      const ctx = Context.current();
      const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'visionflow-cvat-export-'));
      let zip: SafeZip | undefined;
      // Exporting and downloading can take minutes: keep heartbeating until frames start.
      const beat = setInterval(() => ctx.heartbeat({ phase: 'export' }), 5000);
      try {
        const jobs = await plan(input, ctx.cancellationSignal);
        const zipPath = path.join(tmp, 'export.zip');
        await cvat().exportDataset(input.task.taskId, zipPath, {
          format: input.exportFormat,
          signal: ctx.cancellationSignal,
          onPoll: (status) => ctx.heartbeat({ export: status }),
        });
        zip = await SafeZip.open(zipPath);
        clearInterval(beat);
        const entries = new Set(zip.entries.map((e) => e.name));
        const opened = zip;
        return await runJobs(jobs, input, async (job) => {
          const entry = [`images/${job.name}`, job.name].find((n) => entries.has(n));
          if (!entry) throw new Error(`frame '${job.name}' is not in the export`);
          return opened.read(entry);
        });
      } catch (err) {
        throw asFailure(err, input.destination);
      } finally {
        clearInterval(beat);
        zip?.close();
        await fs.rm(tmp, { recursive: true, force: true });
      }
    },

    /** Merges the batch parts into `_report.json` and removes them. Runs in every outcome. */
    async writeCvatReport(input: WriteReportInput): Promise<void> {
      const storage = deps.openStorage(input.destination);
      const parts = await storage.list(input.partsPrefix);
      const frames: FrameResult[] = [];
      for (const part of parts) {
        const body = await storage.get(part.key);
        if (body) frames.push(...(JSON.parse(body.toString('utf8')) as FrameResult[]));
      }
      frames.sort((a, b) => a.frame - b.frame);
      const counts = countResults(frames);
      const report = {
        ...input.report,
        summary: { ...counts, bytesSaved: counts.bytesBefore - counts.bytesAfter },
        frames,
        skipped: frames.filter((f) => f.status === 'skipped').map((f) => ({ frame: f.frame, name: f.name, reason: f.reason })),
        failed: frames.filter((f) => f.status === 'failed').map((f) => ({ frame: f.frame, name: f.name, reason: f.reason })),
      };
      await storage.put(input.reportKey, JSON.stringify(report, null, 2), { contentType: 'application/json' });
      await storage.deleteFolder(input.partsPrefix);
    },
  };
}
