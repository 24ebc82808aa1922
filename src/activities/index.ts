/** All activities, built from injected dependencies (DESIGN.md rule 8). */
import { CaptureActivityDeps, createCaptureActivities } from './capture';
import { CvatActivityDeps, createCvatActivities } from './cvat';
import { createLabelStudioActivities, LabelStudioActivityDeps } from './label-studio';

export type ActivityDeps = CaptureActivityDeps & CvatActivityDeps & LabelStudioActivityDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createCaptureActivities(deps),
    ...createCvatActivities(deps),
    ...createLabelStudioActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { CaptureTickInput } from './capture';
export type { CvatTaskRef, ReduceBatchInput, ReduceExportInput, WriteReportInput } from './cvat';
export type { BatchCounts, DownloadBatchInput, FinishInput, PlanInput, PlanSummary } from './label-studio';
