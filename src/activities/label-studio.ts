/**
 * Activities of downloadLabelStudioExport: plan (read the export, write export.json
 * and the plan), download batches of images with heartbeat checkpoints, write the
 * dataset and report. Plans and batch results live in storage under `_work/<run>/`.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { DatasetPlan, DatasetFormat, planFromExport, planFromYoloLabels } from '../lib/label-studio/dataset-plan';
import { downloadTasks, TaskResult } from '../lib/label-studio/download-images';
import { LabelStudioClient, LabelStudioError } from '../lib/label-studio/label-studio-client';
import type { LabelStudioSource } from '../lib/label-studio/download-options';
import { DatasetSummary, writeDataset } from '../lib/label-studio/write-dataset';
import { StorageOpener } from '../lib/storage/open-storage';
import { isPermanentStorageError } from '../lib/storage/storage-errors';
import { storageFailure } from './storage-failure';

export interface LabelStudioActivityDeps {
  openStorage: StorageOpener;
  labelStudio: { url?: string; token?: string };
}

export interface PlanInput {
  source: LabelStudioSource;
  destination: string;
  format: DatasetFormat;
  split?: { val: number; seed: number };
  workPrefix: string;
}

export interface PlanSummary {
  tasks: number;
  malformed: number;
  classes: string[];
  planKey: string;
  tokenKind: string;
}

export interface DownloadBatchInput {
  destination: string;
  planKey: string;
  from: number;
  to: number;
  partKey: string;
  concurrency: number;
  requestsPerSecond?: number;
}

export type BatchCounts = Record<TaskResult['status'], number>;

export interface FinishInput {
  destination: string;
  planKey: string;
  workPrefix: string;
  header: Record<string, unknown>;
}

function asFailure(err: unknown, storageUrl: string): unknown {
  if (err instanceof LabelStudioError && !err.retryable) return ApplicationFailure.nonRetryable(err.message, 'LabelStudioError');
  return storageFailure(err, storageUrl) ?? err;
}

/** Refused credentials on Label Studio stop the run; a 401/403 elsewhere fails one image. */
const isFatal = (err: unknown) =>
  (err instanceof LabelStudioError && err.fromLabelStudio && (err.status === 401 || err.status === 403)) ||
  (err instanceof LabelStudioError && err.status === undefined && !err.retryable) ||
  isPermanentStorageError(err);

function splitUrl(url: string): { folder: string; name: string } {
  const slash = url.lastIndexOf('/');
  return { folder: url.slice(0, slash), name: url.slice(slash + 1) };
}

export function createLabelStudioActivities(deps: LabelStudioActivityDeps) {
  const plans = new Map<string, Promise<DatasetPlan>>();
  const client = (rps?: number) => new LabelStudioClient(deps.labelStudio, { requestsPerSecond: rps });

  const loadPlan = (destination: string, planKey: string): Promise<DatasetPlan> => {
    const id = `${destination}|${planKey}`;
    let plan = plans.get(id);
    if (!plan) {
      plan = deps
        .openStorage(destination)
        .get(planKey)
        .then((body) => {
          if (!body) throw new Error(`plan ${planKey} is missing under ${destination}`);
          return JSON.parse(body.toString('utf8')) as DatasetPlan;
        });
      plan.catch(() => plans.delete(id));
      plans.set(id, plan);
      if (plans.size > 16) plans.delete(plans.keys().next().value!);
    }
    return plan;
  };

  return {
    async planLabelStudioExport(input: PlanInput): Promise<PlanSummary> {
      const { cancellationSignal: signal } = Context.current();
      const storage = deps.openStorage(input.destination);
      const options = { format: input.format, labelStudioUrl: deps.labelStudio.url, split: input.split };
      const api = client();
      let plan: DatasetPlan;
      try {
        const source = input.source;
        if (source.type === 'project') {
          if (!deps.labelStudio.url || !deps.labelStudio.token) {
            throw ApplicationFailure.nonRetryable('LABEL_STUDIO_URL and LABEL_STUDIO_TOKEN must be set on the worker to read a live project', 'LabelStudioNotConfigured');
          }
          const [project, tasks] = await Promise.all([api.project(source.projectId, signal), api.exportTasks(source.projectId, !!source.onlyAnnotated, signal)]);
          await storage.put('export.json', JSON.stringify(tasks, null, 2), { contentType: 'application/json' });
          plan = planFromExport(tasks, { ...options, labelConfig: project.label_config, onlyAnnotated: source.onlyAnnotated });
        } else if (source.type === 'exportFile') {
          const { folder, name } = splitUrl(source.file);
          const raw = await deps.openStorage(folder).get(name);
          if (!raw) throw ApplicationFailure.nonRetryable(`export file ${source.file} does not exist`, 'MissingExportFile');
          let doc: unknown;
          try {
            doc = JSON.parse(raw.toString('utf8'));
          } catch (err) {
            throw ApplicationFailure.nonRetryable(`export file ${source.file} is not JSON: ${(err as Error).message}`, 'BadExportFile');
          }
          await storage.put('export.json', raw, { contentType: 'application/json' });
          try {
            plan = planFromExport(doc, options);
          } catch (err) {
            throw ApplicationFailure.nonRetryable(`export file ${source.file}: ${(err as Error).message}`, 'BadExportFile');
          }
        } else {
          const labels = deps.openStorage(source.labels);
          const listed = (await labels.list('')).filter((o) => o.key.endsWith('.txt') && !o.key.includes('/'));
          if (listed.length === 0) throw ApplicationFailure.nonRetryable(`no .txt label files in ${source.labels}`, 'NoLabelFiles');
          const files = await Promise.all(listed.map(async (o) => ({ name: o.key, text: (await labels.get(o.key))?.toString('utf8') ?? '' })));
          plan = planFromYoloLabels(files, source.uploadsUrl, options);
        }
      } catch (err) {
        throw asFailure(err, input.destination);
      }
      const planKey = `${input.workPrefix}plan.json`;
      await storage.put(planKey, JSON.stringify(plan), { contentType: 'application/json' });
      return {
        tasks: plan.tasks.length,
        malformed: plan.tasks.filter((t) => t.malformed).length,
        classes: plan.classes,
        planKey,
        tokenKind: api.tokenKind,
      };
    },

    async downloadLabelStudioImages(input: DownloadBatchInput): Promise<BatchCounts> {
      const ctx = Context.current();
      const storage = deps.openStorage(input.destination);
      const plan = await loadPlan(input.destination, input.planKey);
      const tasks = plan.tasks.slice(input.from, input.to);
      const previous = (ctx.info.heartbeatDetails as { done?: TaskResult[] } | undefined)?.done ?? [];
      const done = new Map(previous.map((r) => [r.taskId, r]));
      const beat = setInterval(() => ctx.heartbeat({ done: [...done.values()] }), 2000);
      try {
        await downloadTasks(
          tasks.filter((t) => !done.has(t.taskId)),
          {
            client: client(input.requestsPerSecond),
            storage,
            concurrency: input.concurrency,
            signal: ctx.cancellationSignal,
            readCloud: async (uri) => {
              const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
              return m ? deps.openStorage(`s3://${m[1]}`).get(m[2]) : undefined;
            },
            isFatal,
            onResult: (r) => {
              done.set(r.taskId, r);
              ctx.heartbeat({ done: [...done.values()] });
            },
          },
        );
        const results = tasks.map((t) => done.get(t.taskId)!);
        await storage.put(input.partKey, JSON.stringify(results), { contentType: 'application/json' });
        const counts: BatchCounts = { downloaded: 0, skipped: 0, failed: 0, malformed: 0 };
        for (const r of results) counts[r.status]++;
        return counts;
      } catch (err) {
        throw asFailure(err, input.destination);
      } finally {
        clearInterval(beat);
      }
    },

    async finishLabelStudioDataset(input: FinishInput): Promise<DatasetSummary> {
      const storage = deps.openStorage(input.destination);
      const plan = await loadPlan(input.destination, input.planKey);
      const parts = (await storage.list(input.workPrefix)).filter((p) => p.key !== input.planKey);
      const results: TaskResult[] = [];
      for (const part of parts) {
        const body = await storage.get(part.key);
        if (body) results.push(...(JSON.parse(body.toString('utf8')) as TaskResult[]));
      }
      const summary = await writeDataset(storage, plan, results, input.header);
      await storage.deleteFolder(input.workPrefix);
      plans.delete(`${input.destination}|${input.planKey}`);
      return summary;
    },
  };
}
