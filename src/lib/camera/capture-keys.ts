/**
 * Key layout of a camera's folder (pure):
 *   <cameraId>/<YYYYMMDDTHHMMSSZ>.jpg   kept images, named by their tick in UTC
 *   <cameraId>/manifest.jsonl           one JSON line per kept image
 *   <cameraId>/state.json               dedupe state shared by runs and schedules
 */
export function utcStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export function imageKey(cameraId: string, tickMs: number, extension: string): string {
  return `${cameraId}/${utcStamp(tickMs)}.${extension}`;
}

export function tickPrefix(cameraId: string, tickMs: number): string {
  return `${cameraId}/${utcStamp(tickMs)}.`;
}

export const manifestKey = (cameraId: string): string => `${cameraId}/manifest.jsonl`;
export const stateKey = (cameraId: string): string => `${cameraId}/state.json`;
