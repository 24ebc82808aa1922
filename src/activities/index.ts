/** All activities, built from injected dependencies (DESIGN.md rule 8). */
import { CaptureActivityDeps, createCaptureActivities } from './capture';
import { CvatActivityDeps, createCvatActivities } from './cvat';
import { createLabelStudioActivities, LabelStudioActivityDeps } from './label-studio';
import { createModelLeaseActivities, ModelLeaseActivityDeps } from './model-lease';
import { createTrainingActivities, TrainingActivityDeps } from './rekognition-training';
import { createVideoActivities, VideoActivityDeps } from './video';

export type ActivityDeps = CaptureActivityDeps &
  CvatActivityDeps &
  LabelStudioActivityDeps &
  ModelLeaseActivityDeps &
  TrainingActivityDeps &
  VideoActivityDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createCaptureActivities(deps),
    ...createCvatActivities(deps),
    ...createLabelStudioActivities(deps),
    ...createModelLeaseActivities(deps),
    ...createTrainingActivities(deps),
    ...createVideoActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { CaptureTickInput } from './capture';
export type { CvatTaskRef, ReduceBatchInput, ReduceExportInput, WriteReportInput } from './cvat';
export type { BatchCounts, DownloadBatchInput, FinishInput, PlanInput, PlanSummary } from './label-studio';
export type { Manifests } from './rekognition-training';
export type { ProbedVideo } from './video';
