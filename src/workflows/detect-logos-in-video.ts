/**
 * detectLogosInVideo: frames every N seconds into storage (segments on the CPU queue,
 * so several workers share one video), then logo detection: with a Rekognition Custom
 * Labels model held through its lease workflow (released whatever happens: success,
 * failure or cancellation), or locally by feature matching on the CPU queue; then the
 * report. extractVideoFrames is the first half alone.
 */
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, ProbedVideo } from '../activities';
import type { LabelSummary } from '../lib/detection/detection-report';
import { leaseWorkflowId, parseModelArn } from '../lib/detection/model-arn';
import { parseDuration } from '../lib/duration';
import { frameTimes } from '../lib/video/frame-times';
import { splitSegments } from '../lib/video/frame-segments';
import { CPU_QUEUE, IO_QUEUE } from '../task-queues';
import { LeaseGrant, leaseGrantedSignal, leaseRevokedSignal, releaseSignal, renewSignal } from './lease-signals';

export interface ExtractVideoFramesInput {
  /** s3://…, file://… or https://… */
  video: string;
  /** Seconds between frames (fractional allowed) or a duration like "500ms"; default 1. */
  every?: number | string;
  /** JPEG quality 1-100, default 95. */
  quality?: number;
  /** Storage URL: frames go to `<framesTo>/<video name>/t000012.500.jpg`. */
  framesTo: string;
  /** Seconds of video per extraction activity, default 60. */
  segmentS?: number;
  /**
   * Keyframes only, at most one per `every` cell, named by their true time: many times
   * faster, for when exact times do not matter (a first look, seeding a dataset).
   */
  keyframes?: boolean;
}

export interface RekognitionDetectorOptions {
  type: 'rekognition';
  modelArn: string;
  inferenceUnits?: number;
  /** A run that neither renews nor releases within this loses its hold; default 10 min. */
  leaseMs?: number;
  /** The model stops this long after the last run released it; default 5 min. */
  idleTimeoutMs?: number;
  /** The model stops after this long in any case; default 8 h. */
  maxLifetimeMs?: number;
  /** USD per inference-unit hour for the cost estimate; default 4. */
  pricePerUnitHour?: number;
}

export interface LocalDetectorOptions {
  type: 'local';
  /** Storage URL of a folder of reference logo images; the label is the file name without extension. */
  logos: string;
}

export interface DetectLogosInput extends ExtractVideoFramesInput {
  detector: RekognitionDetectorOptions | LocalDetectorOptions;
  /** Default 40, as the original notebook. */
  minConfidence?: number;
  /** A storage URL: a `.json` file, or a folder that gets `<video name>.json`. */
  reportTo: string;
  /** DetectCustomLabels calls in flight per segment, default 4. */
  concurrency?: number;
  /** Also store frames with boxes drawn under `<framesTo>/<video name>/annotated/`. */
  annotate?: boolean;
}

export interface FramesResult {
  video: ProbedVideo;
  everyS: number;
  frames: number;
  framesTo: string;
}

export interface DetectLogosResult extends FramesResult {
  report: string;
  labels: LabelSummary[];
  estimatedCostUsd: number | null;
}

export interface VideoProgress {
  state: 'probing' | 'extracting' | 'waiting for model' | 'detecting' | 'writing report' | 'completed';
  segments: number;
  extracted: number;
  detected: number;
}

export const videoProgressQuery = defineQuery<VideoProgress>('progress');

const { probeVideoInput, acquireModelLease, modelLeaseStatus, writeDetectionReport } = proxyActivities<Activities>({
  taskQueue: IO_QUEUE,
  startToCloseTimeout: '10m',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 8 },
});

// Both heartbeat at least every 2 s (ffmpeg progress, each frame): a lost worker is noticed in 20 s.
const { extractVideoSegment } = proxyActivities<Activities>({
  taskQueue: CPU_QUEUE,
  startToCloseTimeout: '2h',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 8 },
});

const detection = {
  startToCloseTimeout: '1h',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '2s', maximumInterval: '2m', maximumAttempts: 12 },
} as const;
// Rekognition calls are I/O; the local detector's feature matching is CPU work.
const { detectSegmentFrames } = proxyActivities<Activities>({ taskQueue: IO_QUEUE, ...detection });
const { detectSegmentFrames: detectSegmentFramesLocally } = proxyActivities<Activities>({ taskQueue: CPU_QUEUE, ...detection });

function everySeconds(every: number | string | undefined): number {
  const s = typeof every === 'string' ? parseDuration(every, 'every') / 1000 : (every ?? 1);
  if (!(s >= 0.001 && s <= 86_400)) throw new Error(`every must be from 1 ms to 1 day, got ${String(every)}`);
  return s;
}

function validate(input: ExtractVideoFramesInput): { everyS: number; quality: number } {
  const problems: string[] = [];
  if (!/^(s3:\/\/|file:\/\/\/|https?:\/\/)/.test(input.video ?? '')) problems.push(`video '${input.video}' must be an s3://, file:/// or http(s):// URL`);
  if (!/^(s3:\/\/|file:\/\/\/)/.test(input.framesTo ?? '')) problems.push(`framesTo '${input.framesTo}' must be an s3:// or file:/// storage URL`);
  let everyS = 1;
  try {
    everyS = everySeconds(input.every);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const quality = input.quality ?? 95;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) problems.push(`quality must be an integer from 1 to 100, got ${quality}`);
  if (problems.length) throw ApplicationFailure.nonRetryable(`invalid video options: ${problems.join('; ')}`, 'InvalidVideoOptions');
  return { everyS, quality };
}

/** Probes, then extracts all segments (up to 4 at once; the CPU queue bounds real parallelism). */
async function extractAll(input: ExtractVideoFramesInput, everyS: number, quality: number, progress: VideoProgress) {
  const video = await probeVideoInput(input.video);
  const segments = splitSegments(video.durationS, everyS, input.segmentS ?? 60);
  progress.state = 'extracting';
  progress.segments = segments.length;
  const extracted: number[][] = new Array(segments.length);
  let next = 0;
  const lane = async () => {
    while (next < segments.length) {
      const segment = segments[next++];
      const r = await extractVideoSegment({
        video: input.video,
        videoName: video.name,
        durationS: video.durationS,
        fps: video.fps,
        startTimeS: video.startTimeS,
        formatName: video.formatName,
        startS: segment.startS,
        endS: segment.endS,
        everyS,
        quality,
        framesTo: input.framesTo,
        keyframes: input.keyframes,
      });
      extracted[segment.index] = r.times;
      progress.extracted += r.times.length;
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, segments.length) }, lane));
  return { video, extracted };
}

export async function extractVideoFrames(input: ExtractVideoFramesInput): Promise<FramesResult> {
  const { everyS, quality } = validate(input);
  const progress: VideoProgress = { state: 'probing', segments: 0, extracted: 0, detected: 0 };
  setHandler(videoProgressQuery, () => progress);
  const { video, extracted } = await extractAll(input, everyS, quality, progress);
  progress.state = 'completed';
  return { video, everyS, frames: extracted.flat().length, framesTo: input.framesTo };
}

export async function detectLogosInVideo(input: DetectLogosInput): Promise<DetectLogosResult> {
  const { everyS, quality } = validate(input);
  const d = input.detector;
  if (d?.type === 'rekognition') {
    try {
      parseModelArn(d.modelArn);
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidVideoOptions');
    }
  } else if (d?.type === 'local') {
    if (!/^(s3:\/\/|file:\/\/\/)/.test(d.logos ?? '')) throw ApplicationFailure.nonRetryable(`detector.logos '${d.logos}' must be an s3:// or file:/// folder URL`, 'InvalidVideoOptions');
  } else {
    throw ApplicationFailure.nonRetryable(`detector.type must be 'rekognition' or 'local', got '${String((d as { type?: string })?.type)}'`, 'InvalidVideoOptions');
  }
  if (!/^(s3:\/\/|file:\/\/\/)/.test(input.reportTo ?? '')) throw ApplicationFailure.nonRetryable(`reportTo '${input.reportTo}' must be an s3:// or file:/// URL`, 'InvalidVideoOptions');
  const minConfidence = input.minConfidence ?? 40;
  const progress: VideoProgress = { state: 'probing', segments: 0, extracted: 0, detected: 0 };
  setHandler(videoProgressQuery, () => progress);
  const started = Date.now();

  const { video, extracted } = await extractAll(input, everyS, quality, progress);
  const extractedAt = Date.now();
  const report = input.reportTo.endsWith('.json')
    ? { folder: input.reportTo.slice(0, input.reportTo.lastIndexOf('/')), key: input.reportTo.slice(input.reportTo.lastIndexOf('/') + 1) }
    : { folder: input.reportTo.replace(/\/+$/, ''), key: `${video.name}.json` };
  const partsPrefix = `_parts/${workflowInfo().runId}/`;

  const segments = extracted.map((times, index) => ({ index, times })).filter((s) => s.times.length > 0);
  /** Detects every segment, two at a time; `check` runs before each (a revoked lease stops the run). */
  const detectAll = async (spec: DetectSegmentSpec, check: () => void = () => undefined) => {
    progress.state = 'detecting';
    let next = 0;
    const run = spec.type === 'local' ? detectSegmentFramesLocally : detectSegmentFrames;
    const lane = async () => {
      while (next < segments.length) {
        check();
        const segment = segments[next++];
        const r = await run({
          framesTo: input.framesTo,
          videoName: video.name,
          times: segment.times,
          detector: spec,
          minConfidence,
          concurrency: input.concurrency ?? 4,
          reportFolder: report.folder,
          partKey: `${partsPrefix}segment-${String(segment.index).padStart(6, '0')}.json`,
        });
        progress.detected += r.frames;
      }
    };
    await Promise.all(Array.from({ length: Math.min(2, segments.length) }, lane));
  };

  let grant: LeaseGrant | undefined;
  if (d.type === 'local') {
    await detectAll({ type: 'local', logos: d.logos });
  } else {
    grant = await withModelLease(d, (g) => void (grant = g), (check) => detectAll({ type: 'rekognition', modelArn: d.modelArn }, check), progress);
  }
  const detectedAt = Date.now();

  progress.state = 'writing report';
  const leaseState = d.type === 'rekognition' ? await modelLeaseStatus(d.modelArn) : null;
  const summary = await writeDetectionReport({
    reportFolder: report.folder,
    reportKey: report.key,
    partsPrefix,
    everyS,
    annotate: input.annotate ? { framesTo: input.framesTo, videoName: video.name } : undefined,
    header: {
      video: { url: input.video, ...video },
      every: everyS,
      minConfidence,
      framesTo: `${input.framesTo.replace(/\/+$/, '')}/${video.name}/`,
      model:
        d.type === 'rekognition'
          ? { type: 'rekognition', arn: d.modelArn, inferenceUnits: d.inferenceUnits ?? 1, startedByLease: grant?.startedByLease ?? null }
          : { type: 'local', logos: d.logos, method: 'ORB features + RANSAC homography (opencv-js)' },
      timings: { extractS: (extractedAt - started) / 1000, detectS: (detectedAt - extractedAt) / 1000, totalS: (detectedAt - started) / 1000 },
      estimatedCost: leaseState
        ? { usd: leaseState.estimatedCostUsd, modelRunningS: leaseState.runningMs / 1000, note: 'model running time so far × inference units × price; the model may still serve other runs' }
        : null,
      expectedFrames: frameTimes(video.durationS, everyS).length,
    },
  });
  progress.state = 'completed';
  return {
    video,
    everyS,
    frames: summary.frames,
    framesTo: input.framesTo,
    report: `${report.folder}/${report.key}`,
    labels: summary.labels,
    estimatedCostUsd: leaseState?.estimatedCostUsd ?? null,
  };
}

type DetectSegmentSpec = { type: 'rekognition'; modelArn: string } | { type: 'local'; logos: string };

/**
 * Holds the model through its lease workflow while `work` runs: acquire (signal-with-
 * start), wait for the grant, renew every third of the lease, and release in every
 * outcome, cancellation included.
 */
async function withModelLease(
  d: RekognitionDetectorOptions,
  onGrant: (g: LeaseGrant) => void,
  work: (check: () => void) => Promise<void>,
  progress: VideoProgress,
): Promise<LeaseGrant> {
  const holder = workflowInfo().workflowId;
  const leaseMs = d.leaseMs ?? 10 * 60_000;
  let grant: LeaseGrant | undefined;
  let revoked: string | undefined;
  setHandler(leaseGrantedSignal, (g) => {
    grant = g;
    onGrant(g);
  });
  setHandler(leaseRevokedSignal, ({ reason }) => void (revoked = reason));
  const lease = getExternalWorkflowHandle(leaseWorkflowId(d.modelArn));
  let working = true;
  progress.state = 'waiting for model';
  try {
    await acquireModelLease({
      arn: d.modelArn,
      holder,
      leaseMs,
      inferenceUnits: d.inferenceUnits ?? 1,
      idleTimeoutMs: d.idleTimeoutMs ?? 5 * 60_000,
      maxLifetimeMs: d.maxLifetimeMs ?? 8 * 3_600_000,
      pricePerUnitHour: d.pricePerUnitHour ?? 4,
    });
    if (!(await condition(() => grant !== undefined, '2h'))) throw ApplicationFailure.nonRetryable(`model ${d.modelArn} was not ready within 2 h`, 'ModelNotReady');
    if (!grant!.ok) throw ApplicationFailure.nonRetryable(grant!.error ?? `model ${d.modelArn} did not start`, 'ModelNotReady');
    // Renewal ends with the work, or with a cancellation; either way it must not reject unobserved.
    const renewing = (async () => {
      while (working) {
        await condition(() => !working, Math.max(1000, Math.floor(leaseMs / 3)));
        if (working) await lease.signal(renewSignal, { holder, leaseMs });
      }
    })().catch(() => undefined);
    try {
      await work(() => {
        if (revoked) throw ApplicationFailure.nonRetryable(`the model's lease was revoked: ${revoked}`, 'LeaseRevoked');
      });
    } finally {
      working = false;
      await renewing;
    }
    return grant!;
  } finally {
    working = false;
    await CancellationScope.nonCancellable(() => lease.signal(releaseSignal, { holder }).catch(() => undefined));
  }
}
