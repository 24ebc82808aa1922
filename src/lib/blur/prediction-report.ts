/**
 * The report of a blur prediction run: one row per image, as JSON (with the run's
 * model, threshold and counts) and as CSV for spreadsheets. Pure.
 */
import { BLUR_CLASSES, BlurClass } from './blur-classes';
import { BlurScores } from './blur-scores';

export type PredictionRow = ({ key: string } & BlurScores & { quarantined?: string }) | { key: string; error: string };

export interface PredictionCounts {
  images: number;
  blurred: number;
  sharp: number;
  failed: number;
  byClass: Record<BlurClass, number>;
  quarantined: number;
}

export function countPredictions(rows: PredictionRow[]): PredictionCounts {
  const byClass = Object.fromEntries(BLUR_CLASSES.map((c) => [c, 0])) as Record<BlurClass, number>;
  const counts: PredictionCounts = { images: rows.length, blurred: 0, sharp: 0, failed: 0, byClass, quarantined: 0 };
  for (const r of rows) {
    if ('error' in r) {
      counts.failed++;
      continue;
    }
    byClass[r.class]++;
    if (r.blurred) counts.blurred++;
    else counts.sharp++;
    if (r.quarantined) counts.quarantined++;
  }
  return counts;
}

export function predictionCsv(rows: PredictionRow[]): string {
  const header = ['key', 'class', 'blur_percent', 'blurred', ...BLUR_CLASSES.map((c) => `p_${c}`), 'quarantined', 'error'];
  const lines = rows.map((r) =>
    'error' in r
      ? [r.key, '', '', '', ...BLUR_CLASSES.map(() => ''), '', r.error]
      : [r.key, r.class, String(r.blurPercent), String(r.blurred), ...BLUR_CLASSES.map((c) => String(r.probabilities[c])), r.quarantined ?? '', ''],
  );
  return [header, ...lines].map((cells) => cells.map(csvCell).join(',')).join('\n') + '\n';
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
