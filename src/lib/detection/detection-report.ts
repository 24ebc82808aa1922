/**
 * Per-label summary of detections over time (pure): appearance intervals (frames at
 * most one step apart belong to one interval), total screen time, max and mean
 * confidence. An interval covers its frames plus one step: a frame stands for the time
 * until the next one.
 */
import { Detection } from './detection';

export interface FrameDetections {
  tS: number;
  key: string;
  detections: Detection[];
}

export interface LabelSummary {
  label: string;
  frames: number;
  intervals: { startS: number; endS: number }[];
  screenTimeS: number;
  maxConfidence: number;
  meanConfidence: number;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

export function summarizeLabels(frames: FrameDetections[], stepS: number): LabelSummary[] {
  const byLabel = new Map<string, { times: number[]; confidences: number[] }>();
  for (const frame of [...frames].sort((a, b) => a.tS - b.tS)) {
    const best = new Map<string, number>();
    for (const d of frame.detections) best.set(d.Name, Math.max(best.get(d.Name) ?? 0, d.Confidence));
    for (const [label, confidence] of best) {
      const entry = byLabel.get(label) ?? { times: [], confidences: [] };
      entry.times.push(frame.tS);
      entry.confidences.push(confidence);
      byLabel.set(label, entry);
    }
  }
  const tolerance = stepS * 1e-6;
  return [...byLabel.entries()]
    .map(([label, { times, confidences }]) => {
      const intervals: { startS: number; endS: number }[] = [];
      for (const t of times) {
        const last = intervals.at(-1);
        // Adjacent frames are one step apart; a gap of at most one missing step is bridged.
        if (last && t - (last.endS - stepS) <= 2 * stepS + tolerance) last.endS = t + stepS;
        else intervals.push({ startS: t, endS: t + stepS });
      }
      return {
        label,
        frames: times.length,
        intervals: intervals.map((i) => ({ startS: round(i.startS), endS: round(i.endS) })),
        screenTimeS: round(intervals.reduce((sum, i) => sum + (i.endS - i.startS), 0)),
        maxConfidence: Math.max(...confidences),
        meanConfidence: round(confidences.reduce((a, b) => a + b, 0) / confidences.length),
      };
    })
    .sort((a, b) => a.label.localeCompare(b.label));
}
