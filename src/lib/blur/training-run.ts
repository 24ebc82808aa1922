/**
 * The scratch files of one training run under the registry's `_runs/<version>/`:
 * the plan (dataset items and their split), feature batches, and the checkpoint.
 * They outlive worker crashes and are removed once the model is published or the run
 * is cancelled.
 */
import { BlurClass } from './blur-classes';
import { BlurDatasetListing } from './blur-dataset';
import { RUNS_PREFIX } from './blur-registry';
import { SceneSplit, SplitName } from './scene-split';

export interface PlannedItem {
  key: string;
  class: BlurClass;
  scene: string;
  split: SplitName;
}

export interface TrainingPlan {
  dataset: string;
  items: PlannedItem[];
  split: SceneSplit;
  mismatches: BlurDatasetListing['mismatches'];
  unnamed: BlurDatasetListing['unnamed'];
  ignored: number;
}

export type FeatureRow = { key: string; sha256: string; features: number[] } | { key: string; error: string };

export const runPrefix = (version: string) => `${RUNS_PREFIX}${version}/`;
export const planKey = (version: string) => `${runPrefix(version)}plan.json`;
export const featuresKey = (version: string, from: number) => `${runPrefix(version)}features/${String(from).padStart(7, '0')}.json`;
export const checkpointKey = (version: string) => `${runPrefix(version)}checkpoint.json`;
