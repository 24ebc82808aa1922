/** All activities, built from injected dependencies (DESIGN.md rule 8). */
import { CaptureActivityDeps, createCaptureActivities } from './capture';

export type ActivityDeps = CaptureActivityDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createCaptureActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { CaptureTickInput } from './capture';
