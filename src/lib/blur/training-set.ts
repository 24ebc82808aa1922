/** Builds the per-split feature matrices from a training plan and its feature rows. Pure. */
import { BLUR_CLASSES } from './blur-classes';
import { TrainingSet } from './blur-trainer';
import { FeatureRow, TrainingPlan } from './training-run';

export function trainingSetOf(plan: TrainingPlan, rows: FeatureRow[]): TrainingSet {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const set: TrainingSet = { train: { features: [], labels: [] }, validation: { features: [], labels: [] }, test: { features: [], labels: [] } };
  for (const item of plan.items) {
    const row = byKey.get(item.key);
    if (!row || !('features' in row)) continue;
    set[item.split].features.push(row.features);
    set[item.split].labels.push(BLUR_CLASSES.indexOf(item.class));
  }
  return set;
}
