/** Human-readable renderings for the CLI. */
import { formatDuration } from '../lib/duration';
import { redactUrl } from '../lib/http/redact-url';
import type { CaptureOnceResult } from '../workflows/capture-camera-once';
import type { CaptureStatus } from '../workflows/capture-signals';
import type { ScheduledCaptureStatus } from './index';
import type { SystemStatus } from './system-status';

export function formatSystemStatus(status: SystemStatus): string {
  const lines = status.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(22)} ${c.detail}`);
  lines.push(status.ok ? 'visionflow is ready.' : 'visionflow is not ready.');
  return lines.join('\n');
}

export function formatCaptureStatus(s: CaptureStatus): string {
  const c = s.counters;
  const rejected = Object.entries(c.rejectedBy).map(([reason, n]) => `${reason} ${n}`).join(', ');
  const lines = [
    `camera      ${s.cameraId}  (${s.state})`,
    `source      ${redactUrl(s.url)}`,
    `destination ${s.destination || '(worker default storage)'}`,
    `every       ${formatDuration(s.everyMs)}, ${s.hash} max distance ${s.maxDistance}, window ${s.window}`,
    `fetched     ${c.fetched}   kept ${c.kept}   duplicate ${c.duplicate} (${c.duplicateBy.similar} similar, ${c.duplicateBy.identical_bytes} identical, ${c.duplicateBy.not_modified} not modified)`,
    `rejected    ${c.rejected}${rejected ? ` (${rejected})` : ''}`,
    `last kept   ${s.lastKept ? `${s.lastKept.key} at ${s.lastKept.tick}, hash ${s.lastKept.hash}` : '-'}`,
  ];
  if (s.nextTickAt) lines.push(`next tick   ${s.nextTickAt}`);
  return lines.join('\n');
}

export function formatSchedule(s: ScheduledCaptureStatus, last: CaptureOnceResult | null): string {
  const lines = [
    `schedule    ${s.scheduleId}${s.paused ? ' (paused)' : ''}`,
    `next runs   ${s.nextRuns.slice(0, 3).join(', ') || '-'}`,
    `recent runs ${s.recentRuns.length}`,
  ];
  if (last) {
    const r = last.tick;
    lines.push(`last run    ${last.tickAt}: ${r.outcome}${r.outcome === 'kept' ? ` ${r.key}` : ` (${r.reason})`}`);
  }
  return lines.join('\n');
}
