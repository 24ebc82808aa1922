/** Human-readable output of the `visionflow blur` commands. */
import { BLUR_CLASSES } from '../lib/blur/blur-classes';
import type { BlurModelSummary } from '../activities';
import type { PredictionRow } from '../lib/blur/prediction-report';
import type { PredictBlurResult } from '../workflows/predict-blur';
import type { ListedBlurModel } from './blur-client';

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

export function confusionTable(confusion: number[][]): string {
  const width = Math.max(9, ...confusion.flat().map((n) => String(n).length));
  const head = `${'true \\ predicted'.padEnd(17)}${BLUR_CLASSES.map((c) => c.padStart(width + 1)).join('')}`;
  const rows = confusion.map((row, i) => `${BLUR_CLASSES[i].padEnd(17)}${row.map((n) => String(n).padStart(width + 1)).join('')}`);
  return [head, ...rows].join('\n');
}

export function formatTrainedModel(m: BlurModelSummary): string {
  const perClass = BLUR_CLASSES.map((c) => `${c} ${pct(m.metrics.perClass[c].recall)}`).join(', ');
  return [
    `model ${m.version}${m.isDefault ? ' (default)' : ''}: ${m.images} images, trained ${m.epochs} epochs in ${(m.trainingMs / 1000).toFixed(1)} s on ${m.backend}`,
    `${m.metrics.evaluatedOn} split (${m.metrics.images} images): 3-class accuracy ${pct(m.metrics.accuracy)}, blurred-or-not accuracy ${pct(m.metrics.binaryAccuracy)} at ${m.metrics.threshold} %`,
    `recall: ${perClass}`,
    confusionTable(m.metrics.confusion),
  ].join('\n');
}

export function formatModelList(models: ListedBlurModel[]): string {
  if (models.length === 0) return 'No blur models yet: train one with `visionflow blur train --dataset DIR`.';
  const rows = models.map((m) => [
    `${m.isDefault ? '*' : ' '} ${m.version}`,
    m.createdAt.slice(0, 19).replace('T', ' '),
    String(m.images),
    pct(m.accuracy),
    pct(m.binaryAccuracy),
    String(m.epochs),
    `${(m.trainingMs / 1000).toFixed(1)} s`,
    m.backend,
    `hidden ${m.params.hidden.join('x') || '-'}, lr ${m.params.learningRate}, batch ${m.params.batchSize}, seed ${m.params.seed}`,
  ]);
  const head = ['  version', 'created (UTC)', 'images', '3-class', 'binary', 'epochs', 'time', 'backend', 'parameters'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n(* default)';
}

export function formatPredictionRow(r: PredictionRow): string {
  if ('error' in r) return `${r.key}: error: ${r.error}`;
  const probs = BLUR_CLASSES.map((c) => `${c} ${(r.probabilities[c] * 100).toFixed(1)} %`).join(', ');
  return `${r.key}: ${r.blurred ? 'BLURRED' : 'sharp'} (${r.class}), blur ${r.blurPercent.toFixed(1)} % [${probs}]${r.quarantined ? ` -> ${r.quarantined}` : ''}`;
}

export function formatPrediction(r: PredictBlurResult): string {
  const lines = (r.predictions ?? []).map(formatPredictionRow);
  lines.push(
    `${r.images} image(s) with model ${r.model} at threshold ${r.threshold} %: ${r.blurred} blurred (${r.byClass.defocused} defocused, ${r.byClass.motion} motion), ${r.sharp} sharp, ${r.failed} failed` +
      (r.quarantined ? `, ${r.quarantined} copied to quarantine` : ''),
  );
  if (r.report) lines.push(`report: ${r.report.json} and ${r.report.csv}`);
  return lines.join('\n');
}
