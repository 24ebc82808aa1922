/** Workflow and schedule ids users see in the CLI and the Temporal UI (pure). */
export const captureWorkflowId = (cameraId: string): string => `capture-${cameraId}`;
export const captureScheduleId = (cameraId: string): string => `capture-schedule-${cameraId}`;
export const cvatReduceWorkflowId = (taskName: string): string => `cvat-reduce-${taskName}`;
export const blurTrainWorkflowId = (version: string): string => `blur-train-${version}`;
