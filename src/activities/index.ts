/** All activities, built from injected dependencies (DESIGN.md rule 8). */
import { CaptureActivityDeps, createCaptureActivities } from './capture';
import { CvatActivityDeps, createCvatActivities } from './cvat';

export type ActivityDeps = CaptureActivityDeps & CvatActivityDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createCaptureActivities(deps),
    ...createCvatActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { CaptureTickInput } from './capture';
export type { CvatTaskRef, ReduceBatchInput, ReduceExportInput, WriteReportInput } from './cvat';
