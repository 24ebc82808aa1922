/**
 * Activities of detectLogosInVideo and extractVideoFrames: probe, extract a segment's
 * frames into storage (CPU queue), detect logos in a segment's frames, and write the
 * report. Frame keys are derived from times (`<video>/t000012.500.jpg`), so activities
 * exchange times and counts, never lists of images.
 */
import { readFile, rm } from 'node:fs/promises';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { S3Client } from '@aws-sdk/client-s3';
import { inLanes } from '../lib/concurrency/bounded-lanes';
import { annotateFrame } from '../lib/detection/annotate-frame';
import { Detection, Detector } from '../lib/detection/detection';
import { LocalLogoDetector } from '../lib/detection/local-logo-detector';
import { FrameDetections, summarizeLabels } from '../lib/detection/detection-report';
import { leaseWorkflowId } from '../lib/detection/model-arn';
import { createRekognitionClient, RekognitionSettings } from '../lib/detection/rekognition-client';
import { RekognitionDetector } from '../lib/detection/rekognition-detector';
import { isThrottled } from '../lib/detection/rekognition-models';
import { createS3Client } from '../lib/storage/s3-storage';
import { StorageOpener } from '../lib/storage/open-storage';
import { mediaName, readableUrl } from '../lib/storage/readable-url';
import { extractFrames } from '../lib/video/extract-frames';
import { extractKeyframes } from '../lib/video/extract-keyframes';
import { frameName, frameTimes } from '../lib/video/frame-times';
import { NotAVideoError } from '../lib/video/not-a-video-error';
import { probeVideo, VideoInfo } from '../lib/video/probe-video';
import type { S3Settings } from '../config';
import type { LeaseStatus } from '../workflows/lease-signals';

export interface VideoActivityDeps {
  openStorage: StorageOpener;
  s3: S3Settings;
  rekognition: RekognitionSettings;
}

export interface ProbedVideo extends Omit<VideoInfo, 'input'> {
  name: string;
}

export interface SegmentInput {
  video: string;
  videoName: string;
  durationS: number;
  fps: number;
  /** From the probe, so each segment needs no second ffprobe. */
  startTimeS?: number;
  formatName?: string;
  startS: number;
  endS: number;
  everyS: number;
  quality: number;
  framesTo: string;
  /** Keyframes only (far faster): at most one per grid cell, named by its true time. */
  keyframes?: boolean;
}

export interface DetectSegmentInput {
  framesTo: string;
  videoName: string;
  /** Frame times of this segment that were extracted. */
  times: number[];
  detector: { type: 'rekognition'; modelArn: string } | { type: 'local'; logos: string };
  minConfidence: number;
  concurrency: number;
  /** Storage URL of the report's folder; the part goes there under partKey. */
  reportFolder: string;
  partKey: string;
}

export interface ReportInput {
  reportFolder: string;
  reportKey: string;
  partsPrefix: string;
  everyS: number;
  /** Also write frames with boxes drawn to `<framesTo>/<video>/annotated/`. */
  annotate?: { framesTo: string; videoName: string };
  header: Record<string, unknown>;
}

export function createVideoActivities(deps: VideoActivityDeps) {
  let s3: S3Client | undefined;
  const s3Client = () => (s3 ??= createS3Client(deps.s3));
  // One detector per worker process and model (or logo folder): loading references is the costly part.
  let current: { id: string; detector: Promise<Detector> } | undefined;
  const detectorFor = (spec: DetectSegmentInput['detector']): Promise<Detector> => {
    const id = spec.type === 'rekognition' ? spec.modelArn : spec.logos;
    if (current?.id !== id) {
      const previous = current;
      current = { id, detector: spec.type === 'rekognition' ? Promise.resolve(new RekognitionDetector(createRekognitionClient(deps.rekognition), spec.modelArn)) : loadLocalDetector(spec.logos) };
      current.detector.catch(() => (current = undefined));
      void previous?.detector.then((d) => (d as LocalLogoDetector).close?.()).catch(() => undefined);
    }
    return current.detector;
  };
  const loadLocalDetector = async (logos: string): Promise<Detector> => {
    const storage = deps.openStorage(logos);
    const files = (await storage.list('')).filter((o) => /\.(png|jpe?g|webp)$/i.test(o.key) && !o.key.includes('/'));
    if (files.length === 0) throw ApplicationFailure.nonRetryable(`no logo images (.png, .jpg, .webp) in ${logos}`, 'NoLogos');
    const references = await Promise.all(files.map(async (f) => ({ label: f.key.replace(/\.[^.]+$/, ''), image: (await storage.get(f.key))! })));
    try {
      return await LocalLogoDetector.create(references);
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`logos in ${logos}: ${(err as Error).message}`, 'BadLogos');
    }
  };

  return {
    async probeVideoInput(video: string): Promise<ProbedVideo> {
      try {
        const info = await probeVideo(await readableUrl(video, s3Client), Context.current().cancellationSignal);
        const { input: _input, ...rest } = info;
        return { ...rest, name: mediaName(video) };
      } catch (err) {
        if (err instanceof NotAVideoError) throw ApplicationFailure.nonRetryable(err.message.replace(/X-Amz-[^&\s]+/g, ''), 'NotAVideo');
        throw err;
      }
    },

    /** Extracts a segment's frames and stores them; frames already stored are kept. Returns times stored. */
    async extractVideoSegment(input: SegmentInput): Promise<{ times: number[]; missing: number[] }> {
      const ctx = Context.current();
      const storage = deps.openStorage(input.framesTo);
      /** Frames already stored (an earlier attempt) are kept; writes are atomic. */
      const storeFrames = (frames: { tS: number; ptsS: number; file: string }[]) =>
        inLanes(frames, 4, async (frame) => {
          const key = frameName(input.videoName, frame.tS);
          if (!present.has(key)) await storage.put(key, await readFile(frame.file), { contentType: 'image/jpeg', metadata: { 'pts-seconds': String(frame.ptsS) } });
        });
      const present = new Set((await storage.list(`${input.videoName}/`)).map((o) => o.key));
      const source = { input: await readableUrl(input.video, s3Client), durationS: input.durationS, fps: input.fps, startTimeS: input.startTimeS, formatName: input.formatName };
      if (input.keyframes) {
        const keyframes = await extractKeyframes(source, {
          everyS: input.everyS,
          startS: input.startS,
          endS: input.endS,
          quality: input.quality,
          threads: 1,
          signal: ctx.cancellationSignal,
          onProgress: (p) => ctx.heartbeat(p),
        });
        try {
          await storeFrames(keyframes.frames);
        } finally {
          await rm(keyframes.dir, { recursive: true, force: true });
        }
        return { times: keyframes.frames.map((f) => f.tS), missing: [] };
      }
      const expected = frameTimes(input.durationS, input.everyS, input.startS, input.endS);
      if (expected.every((t) => present.has(frameName(input.videoName, t)))) return { times: expected, missing: [] };
      const extracted = await extractFrames(
        source,
        {
          everyS: input.everyS,
          startS: input.startS,
          endS: input.endS,
          quality: input.quality,
          threads: 1, // one segment per CPU slot: parallelism comes from segments
          signal: ctx.cancellationSignal,
          onProgress: (p) => ctx.heartbeat(p),
        },
      );
      try {
        await storeFrames(extracted.frames);
      } finally {
        await rm(extracted.dir, { recursive: true, force: true });
      }
      return { times: extracted.frames.map((f) => f.tS), missing: extracted.pastLastFrameS };
    },

    /** Detects logos in a segment's frames with the Rekognition model; writes the part. */
    async detectSegmentFrames(input: DetectSegmentInput): Promise<{ frames: number; detections: number }> {
      const ctx = Context.current();
      const storage = deps.openStorage(input.framesTo);
      // Rekognition reads frames in S3 itself; the local detector always gets bytes.
      const s3Frames = input.detector.type === 'rekognition' ? /^s3:\/\/([^/]+)\/?(.*)$/.exec(input.framesTo) : null;
      const model = await detectorFor(input.detector);
      const done = new Map<number, FrameDetections>(((ctx.info.heartbeatDetails as FrameDetections[] | undefined) ?? []).map((f) => [f.tS, f]));
      const results = await inLanes(
        input.times,
        input.concurrency,
        async (tS) => {
          const known = done.get(tS);
          if (known) return known;
          const key = frameName(input.videoName, tS);
          const frame = s3Frames
            ? { s3: { bucket: s3Frames[1], key: s3Frames[2] ? `${s3Frames[2]}/${key}` : key } }
            : { bytes: await storage.get(key).then((b) => b ?? Promise.reject(new Error(`frame ${key} is missing`))) };
          let detections: Detection[];
          try {
            detections = await model.detect(frame, input.minConfidence, ctx.cancellationSignal);
          } catch (err) {
            if (isThrottled(err)) throw err; // backed off already: let Temporal retry the batch later
            const name = (err as Error).name;
            if (['ResourceNotReadyException', 'ResourceNotFoundException', 'AccessDeniedException', 'InvalidParameterException'].includes(name)) {
              throw ApplicationFailure.nonRetryable(`DetectCustomLabels: ${name}: ${(err as Error).message}`, name);
            }
            throw err;
          }
          const result = { tS, key, detections };
          done.set(tS, result);
          ctx.heartbeat([...done.values()]);
          return result;
        },
        ctx.cancellationSignal,
      );
      await deps.openStorage(input.reportFolder).put(input.partKey, JSON.stringify(results), { contentType: 'application/json' });
      return { frames: results.length, detections: results.reduce((n, r) => n + r.detections.length, 0) };
    },

    /** The lease's view of the model: status, holders, running time and estimated cost. */
    async modelLeaseStatus(arn: string): Promise<LeaseStatus | null> {
      try {
        return await Context.current().client.workflow.getHandle(leaseWorkflowId(arn)).query<LeaseStatus>('lease');
      } catch {
        return null;
      }
    },

    async writeDetectionReport(input: ReportInput): Promise<{ frames: number; labels: ReturnType<typeof summarizeLabels> }> {
      const storage = deps.openStorage(input.reportFolder);
      const parts = await storage.list(input.partsPrefix);
      const frames: FrameDetections[] = [];
      for (const part of parts) {
        const body = await storage.get(part.key);
        if (body) frames.push(...(JSON.parse(body.toString('utf8')) as FrameDetections[]));
      }
      frames.sort((a, b) => a.tS - b.tS);
      const labels = summarizeLabels(frames, input.everyS);
      let annotated = 0;
      if (input.annotate) {
        const framesStorage = deps.openStorage(input.annotate.framesTo);
        await inLanes(frames.filter((f) => f.detections.length > 0), 4, async (f) => {
          const jpeg = await framesStorage.get(f.key);
          if (!jpeg) return;
          await framesStorage.put(f.key.replace(/\/([^/]+)$/, '/annotated/$1'), await annotateFrame(jpeg, f.detections), { contentType: 'image/jpeg' });
          annotated++;
        });
      }
      const annotatedTo = input.annotate ? `${input.annotate.framesTo}/${input.annotate.videoName}/annotated/` : null;
      await storage.put(input.reportKey, JSON.stringify({ ...input.header, annotatedFrames: annotatedTo ? { folder: annotatedTo, count: annotated } : null, labels, frames }, null, 2), {
        contentType: 'application/json',
      });
      await storage.deleteFolder(input.partsPrefix);
      return { frames: frames.length, labels };
    },
  };
}
