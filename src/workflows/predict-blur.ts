/**
 * predictBlur: score one image, a folder or a storage prefix with a blur model (the
 * default one unless named), in parallel batches on the CPU queue, write a JSON and
 * CSV report, and optionally copy blurred images to a quarantine folder.
 */
import { ApplicationFailure, defineQuery, setHandler, workflowInfo } from '@temporalio/workflow';
import { cpu, io } from './blur-activities';
import { DEFAULT_BLUR_THRESHOLD } from '../lib/blur/blur-scores';
import type { PredictionCounts, PredictionRow } from '../lib/blur/prediction-report';

export interface PredictBlurInput {
  /** Storage URL of an image, a folder or a prefix. */
  source: string;
  /** Model version; the registry's default when omitted. */
  model?: string;
  registry?: string;
  /** Blur percentage at or above which an image counts as blurred (0-100). */
  threshold?: number;
  /** URL of the JSON report (a .csv is written beside it). Default: `<folder>/_blur-report.json`; none for one image. */
  report?: string;
  /** Folder URL blurred images are copied to, under their relative keys. */
  quarantine?: string;
  batchSize?: number;
  /** Batches in flight at once. */
  concurrency?: number;
}

export interface PredictBlurResult extends PredictionCounts {
  source: string;
  model: string;
  threshold: number;
  report?: { json: string; csv: string };
  /** Every row when the run has at most ROWS_IN_RESULT images; otherwise read the report. */
  predictions?: PredictionRow[];
}

export interface BlurPredictionProgress {
  state: 'listing' | 'predicting' | 'writing report' | 'completed';
  images: number;
  done: number;
  blurred: number;
  failed: number;
}

export const blurPredictionProgressQuery = defineQuery<BlurPredictionProgress>('progress');
export const ROWS_IN_RESULT = 100;

export async function predictBlur(input: PredictBlurInput): Promise<PredictBlurResult> {
  const threshold = input?.threshold ?? DEFAULT_BLUR_THRESHOLD;
  const batchSize = input?.batchSize ?? 16;
  const concurrency = input?.concurrency ?? 4;
  const problems: string[] = [];
  if (!input || typeof input.source !== 'string' || input.source.trim() === '') problems.push('source: a storage URL of an image, folder or prefix is required');
  if (!(threshold >= 0 && threshold <= 100)) problems.push(`threshold must be a percentage from 0 to 100, got ${threshold}`);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) problems.push(`batchSize must be an integer from 1 to 1000, got ${batchSize}`);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) problems.push(`concurrency must be an integer from 1 to 64, got ${concurrency}`);
  if (problems.length) throw ApplicationFailure.nonRetryable(`invalid predictBlur input: ${problems.join('; ')}`, 'InvalidBlurPrediction');

  const progress: BlurPredictionProgress = { state: 'listing', images: 0, done: 0, blurred: 0, failed: 0 };
  setHandler(blurPredictionProgressQuery, () => progress);
  const plan = await io.planBlurPrediction({ source: input.source, registry: input.registry, model: input.model, exclude: input.quarantine, runId: workflowInfo().runId });
  progress.images = plan.keys.length;
  progress.state = 'predicting';
  const parts = plan.parts;
  const returnRows = plan.keys.length <= ROWS_IN_RESULT;
  const batches: string[][] = [];
  for (let i = 0; i < plan.keys.length; i += batchSize) batches.push(plan.keys.slice(i, i + batchSize));
  const results: { index: number; counts: PredictionCounts; rows?: PredictionRow[] }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, batches.length) }, async () => {
      while (next < batches.length) {
        const index = next++;
        const { rows, ...counts } = await cpu.predictBlurBatch({
          folder: plan.folder,
          keys: batches[index],
          registry: input.registry,
          version: plan.version,
          threshold,
          quarantine: input.quarantine,
          parts,
          index,
          returnRows,
        });
        results.push({ index, counts, rows });
        progress.done += counts.images;
        progress.blurred += counts.blurred;
        progress.failed += counts.failed;
      }
    }),
  );

  progress.state = 'writing report';
  const reportUrl = input.report ?? (plan.single ? undefined : `${plan.folder}/_blur-report.json`);
  const report = await io.writeBlurReport({
    parts,
    report: reportUrl,
    header: { source: input.source, model: plan.version, threshold, workflowId: workflowInfo().workflowId, quarantine: input.quarantine ?? null, createdAt: new Date().toISOString() },
  });
  progress.state = 'completed';
  const total = sumCounts(results.map((r) => r.counts));
  const predictions = returnRows ? results.sort((a, b) => a.index - b.index).flatMap((r) => r.rows ?? []) : undefined;
  return { source: input.source, model: plan.version, threshold, ...total, ...(report ? { report } : {}), ...(predictions ? { predictions } : {}) };
}

function sumCounts(all: PredictionCounts[]): PredictionCounts {
  const total: PredictionCounts = { images: 0, blurred: 0, sharp: 0, failed: 0, quarantined: 0, byClass: { sharp: 0, defocused: 0, motion: 0 } };
  for (const c of all) {
    total.images += c.images;
    total.blurred += c.blurred;
    total.sharp += c.sharp;
    total.failed += c.failed;
    total.quarantined += c.quarantined;
    for (const k of Object.keys(total.byClass) as (keyof PredictionCounts['byClass'])[]) total.byClass[k] += c.byClass[k];
  }
  return total;
}
