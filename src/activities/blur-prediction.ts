/**
 * Activities of predictBlur: resolve the model and the images (one object, a folder
 * or a prefix), score batches on the CPU queue (each batch's rows are stored as a
 * part, so a retried run skips finished batches), then write the JSON and CSV report.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { DATASET_IMAGE } from '../lib/blur/blur-dataset';
import { cachedPredictor } from '../lib/blur/blur-predictor';
import { BlurModelNotFound, BlurModelRegistry, RUNS_PREFIX } from '../lib/blur/blur-registry';
import { BlurScores } from '../lib/blur/blur-scores';
import { countPredictions, PredictionCounts, predictionCsv, PredictionRow } from '../lib/blur/prediction-report';
import { StorageOpener } from '../lib/storage/open-storage';
import { Storage } from '../lib/storage/storage';
import { BlurActivityDeps } from './blur-training';
import { storageFailure } from './storage-failure';

export interface PlanBlurPredictionInput {
  source: string;
  registry?: string;
  model?: string;
  /** Storage URL of a folder whose contents are skipped (a quarantine inside the source). */
  exclude?: string;
  /** Names the run's scratch folder for batch results. */
  runId: string;
}

export interface BlurPredictionPlan {
  /** Folder URL the keys are relative to. */
  folder: string;
  keys: string[];
  version: string;
  single: boolean;
  /** Storage URL where batch results wait for the report. */
  parts: string;
}

export interface PredictBatchInput {
  folder: string;
  keys: string[];
  registry?: string;
  version: string;
  threshold: number;
  quarantine?: string;
  /** Where the batch's rows are kept until the report is written. */
  parts: string;
  index: number;
  /** Return the rows too (small runs: the caller shows them). */
  returnRows: boolean;
}

export interface WriteBlurReportInput {
  parts: string;
  /** Report URL; without one the batch results are only cleaned up. */
  report?: string;
  header?: Record<string, unknown>;
}

const REPORT_NAME = /(^|\/)_blur-report[^/]*$/;

export function createBlurPredictionActivities(deps: BlurActivityDeps) {
  const registryOf = (url?: string) => new BlurModelRegistry(deps.openStorage(url ?? deps.blurModels));

  return {
    async planBlurPrediction(input: PlanBlurPredictionInput): Promise<BlurPredictionPlan> {
      let version: string;
      const registry = registryOf(input.registry);
      const parts = `${registry.storage.url}/${RUNS_PREFIX}predict-${input.runId}`;
      try {
        version = await registry.resolve(input.model);
      } catch (err) {
        if (err instanceof BlurModelNotFound) throw ApplicationFailure.nonRetryable(err.message, 'BlurModelNotFound');
        throw err;
      }
      try {
        const single = await singleObject(deps.openStorage, input.source);
        if (single) return { folder: single.folder, keys: [single.name], version, single: true, parts };
        const storage = deps.openStorage(input.source);
        const excluded = input.exclude && input.exclude.startsWith(`${storage.url}/`) ? `${input.exclude.slice(storage.url.length + 1)}/` : undefined;
        const keys = (await storage.list(''))
          .map((o) => o.key)
          .filter((k) => DATASET_IMAGE.test(k) && !REPORT_NAME.test(k) && !k.split('/').some((s) => s.startsWith('.') || s.startsWith('_')))
          .filter((k) => !excluded || !k.startsWith(excluded));
        if (keys.length === 0) throw ApplicationFailure.nonRetryable(`no images (.jpg, .png, .webp, .tif, .avif) at ${input.source}`, 'NoImages');
        return { folder: storage.url, keys, version, single: false, parts };
      } catch (err) {
        throw storageFailure(err, input.source) ?? err;
      }
    },

    async predictBlurBatch(input: PredictBatchInput): Promise<PredictionCounts & { rows?: PredictionRow[] }> {
      const partStorage = deps.openStorage(input.parts);
      const partKey = `${String(input.index).padStart(7, '0')}.json`;
      const done = await partStorage.get(partKey);
      let rows: PredictionRow[];
      if (done) {
        rows = JSON.parse(done.toString('utf8')) as PredictionRow[];
      } else {
        const ctx = Context.current();
        const predictor = await cachedPredictor(registryOf(input.registry), input.version);
        const folder = deps.openStorage(input.folder);
        const quarantine = input.quarantine ? deps.openStorage(input.quarantine) : undefined;
        rows = [];
        for (const key of input.keys) {
          if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
          rows.push(await predictOne(folder, key, quarantine, async (body) => predictor.predictImage(body, input.threshold)));
          ctx.heartbeat({ done: rows.length });
        }
        await partStorage.put(partKey, JSON.stringify(rows), { contentType: 'application/json' });
      }
      return { ...countPredictions(rows), ...(input.returnRows ? { rows } : {}) };
    },

    async writeBlurReport(input: WriteBlurReportInput): Promise<{ json: string; csv: string } | undefined> {
      if (!input.report) {
        await deleteScratch(deps.openStorage, input.parts);
        return undefined;
      }
      const parts = deps.openStorage(input.parts);
      const partKeys = (await parts.list('')).map((o) => o.key).filter((k) => k.endsWith('.json'));
      const rows = (await Promise.all(partKeys.map(async (k) => JSON.parse((await parts.get(k))!.toString('utf8')) as PredictionRow[]))).flat();
      const slash = input.report.lastIndexOf('/');
      const reportStorage = deps.openStorage(input.report.slice(0, slash));
      const name = input.report.slice(slash + 1);
      const csvName = name.replace(/\.json$/i, '') + '.csv';
      await reportStorage.put(csvName, predictionCsv(rows), { contentType: 'text/csv' });
      await reportStorage.put(name, `${JSON.stringify({ ...input.header, counts: countPredictions(rows), predictions: rows }, null, 2)}\n`, { contentType: 'application/json' });
      await deleteScratch(deps.openStorage, input.parts);
      return { json: input.report, csv: `${input.report.slice(0, slash)}/${csvName}` };
    },
  };
}

async function predictOne(folder: Storage, key: string, quarantine: Storage | undefined, predict: (body: Buffer) => Promise<BlurScores>): Promise<PredictionRow> {
  const body = await folder.get(key);
  if (!body) return { key, error: 'missing: the file disappeared after it was listed' };
  let scores;
  try {
    scores = await predict(body);
  } catch (err) {
    return { key, error: `not a usable image: ${(err as Error).message}` };
  }
  if (!scores.blurred || !quarantine) return { key, ...scores };
  // Copy, never move: the source stays as it was; a retry finds the copy and skips it.
  const existing = await quarantine.head(key);
  if (!existing || existing.size !== body.length) await quarantine.put(key, body);
  return { key, ...scores, quarantined: `${quarantine.url}/${key}` };
}

/** The object a URL names, when it names one object rather than a folder or prefix. */
async function singleObject(open: StorageOpener, url: string): Promise<{ folder: string; name: string } | undefined> {
  const trimmed = url.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  const name = decodeURIComponent(trimmed.slice(slash + 1));
  if (!DATASET_IMAGE.test(name)) return undefined;
  const parent = trimmed.slice(0, slash);
  // s3://name.jpg names a bucket, not an object; file:///name.jpg has no parent folder.
  if (/^(s3|file):\/\/?$/.test(parent)) return undefined;
  const storage = open(parent);
  return (await storage.head(name)) ? { folder: storage.url, name } : undefined;
}

/** The batch-results folder at `url`, with whatever a killed worker left half-written in it. */
async function deleteScratch(openStorage: StorageOpener, url: string): Promise<void> {
  const slash = url.lastIndexOf('/');
  await openStorage(url.slice(0, slash)).deleteFolder(`${url.slice(slash + 1)}/`);
}
