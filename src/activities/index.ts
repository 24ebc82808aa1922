/** All activities, built from injected dependencies (DESIGN.md rule 8). */
import { createBlurPredictionActivities } from './blur-prediction';
import { BlurActivityDeps, createBlurTrainingActivities } from './blur-training';
import { CaptureActivityDeps, createCaptureActivities } from './capture';
import { CvatActivityDeps, createCvatActivities } from './cvat';
import { createLabelStudioActivities, LabelStudioActivityDeps } from './label-studio';
import { createModelLeaseActivities, ModelLeaseActivityDeps } from './model-lease';
import { createTrainingActivities, TrainingActivityDeps } from './rekognition-training';
import { createVideoActivities, VideoActivityDeps } from './video';

export type ActivityDeps = BlurActivityDeps &
  CaptureActivityDeps &
  CvatActivityDeps &
  LabelStudioActivityDeps &
  ModelLeaseActivityDeps &
  TrainingActivityDeps &
  VideoActivityDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createBlurTrainingActivities(deps),
    ...createBlurPredictionActivities(deps),
    ...createCaptureActivities(deps),
    ...createCvatActivities(deps),
    ...createLabelStudioActivities(deps),
    ...createModelLeaseActivities(deps),
    ...createTrainingActivities(deps),
    ...createVideoActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { BlurPredictionPlan, PredictBatchInput } from './blur-prediction';
export type { BlurModelSummary, BlurTrainingPlanSummary, TrainEpochsResult } from './blur-training';
export type { CaptureTickInput } from './capture';
export type { CvatTaskRef, ReduceBatchInput, ReduceExportInput, WriteReportInput } from './cvat';
export type { BatchCounts, DownloadBatchInput, FinishInput, PlanInput, PlanSummary } from './label-studio';
export type { Manifests } from './rekognition-training';
export type { ProbedVideo } from './video';
