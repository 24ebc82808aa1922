/**
 * The parts of a model's metadata that come from the trained network itself (classes,
 * features, normaliser, calibration, backend, metrics), the same wherever it is published.
 */
import { BLUR_CLASSES } from './blur-classes';
import { ANALYSIS_SIZE, FEATURE_NAMES } from './blur-features';
import { BlurModelMetadata } from './blur-registry';
import { TrainedBlurModel } from './blur-trainer';

export type TrainedModelFields = Pick<BlurModelMetadata, 'classes' | 'featureNames' | 'analysisSize' | 'normalizer' | 'temperature' | 'backend' | 'metrics'>;

export function trainedModelFields(trained: TrainedBlurModel, backend: string): TrainedModelFields {
  return {
    classes: [...BLUR_CLASSES],
    featureNames: [...FEATURE_NAMES],
    analysisSize: ANALYSIS_SIZE,
    normalizer: trained.normalizer,
    temperature: trained.temperature,
    backend,
    metrics: { ...trained.evaluation, evaluatedOn: trained.evaluatedOn },
  };
}
