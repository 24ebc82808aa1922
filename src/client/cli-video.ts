/** `visionflow video …` and `visionflow rekognition …`: frames, logo detection, models. */
import { Command } from 'commander';
import { loadConfig, normalizeStorageUrl } from '../config';
import { parseModelArn } from '../lib/detection/model-arn';
import { createRekognitionClient } from '../lib/detection/rekognition-client';
import { RekognitionModels } from '../lib/detection/rekognition-models';
import type { DetectLogosResult, FramesResult, VideoProgress } from '../workflows/detect-logos-in-video';
import type { TrainCustomLabelsResult } from '../workflows/train-custom-labels-model';
import { durationArg, intArg, print, UsageError, withClient } from './cli-support';
import { followProgress } from './progress-bar';

interface VideoFlags {
  modelArn?: string;
  logos?: string;
  every?: number;
  minConfidence?: number;
  framesTo?: string;
  reportTo?: string;
  to?: string;
  quality?: number;
  inferenceUnits?: number;
  idleTimeout?: number;
  annotate?: boolean;
  keyframes?: boolean;
  detach?: boolean;
  json?: boolean;
}

/** Videos: s3:// and http(s) as given; local paths and file:// become absolute file URLs. */
function videoUrl(value: string): string {
  return /^(s3|https?):\/\//i.test(value) ? value : normalizeStorageUrl(value);
}

function label(p: VideoProgress | FramesResult): string {
  return 'state' in p ? `${p.state}, ${p.extracted} frames extracted, ${p.detected} checked` : `${p.frames} frames`;
}

function done(p: VideoProgress | FramesResult, withDetection: boolean): number {
  if (!('state' in p)) return p.frames;
  return withDetection ? p.extracted + p.detected : p.extracted;
}

export function addVideoCommands(program: Command): void {
  const video = program.command('video').description('video logo detection: frames every N seconds, a custom-labels model, a report');

  video
    .command('frames')
    .argument('<video>', 'video: local path, file://, s3:// or https:// URL')
    .description('extract frames every N seconds into storage, named by their time (<video name>/t000012.500.jpg)')
    .requiredOption('--to <url>', 'where frames go: s3://bucket/prefix, file:///abs/dir or ./dir')
    .option('--every <duration>', 'time between frames, e.g. 1s, 500ms (default 1s)', durationArg('--every'))
    .option('--quality <q>', 'JPEG quality 1-100 (default 95)', intArg('--quality', 1))
    .option('--keyframes', 'keyframes only, named by their true time: much faster when exact times do not matter')
    .option('--detach', 'start and return without waiting')
    .option('--json', 'machine-readable output')
    .action(async (input: string, flags: VideoFlags) => {
      await withClient(async (vf) => {
        const run = await vf.startVideoRun('extractVideoFrames', {
          keyframes: flags.keyframes,
          video: videoUrl(input),
          framesTo: normalizeStorageUrl(flags.to!),
          every: flags.every !== undefined ? flags.every / 1000 : undefined,
          quality: flags.quality,
        });
        if (flags.detach) return print(!!flags.json, run, () => `Started ${run.workflowId}.`);
        const result = await followProgress<VideoProgress, FramesResult>(
          vf.workflowResult(run.workflowId),
          () => vf.videoProgress(run.workflowId),
          (p) => ({ done: done(p, false), total: 'state' in p ? 0 : p.frames, label: label(p) }),
          !!flags.json,
        );
        print(!!flags.json, result, () => `${result.frames} frames of ${result.video.name} (${result.video.durationS.toFixed(1)} s) in ${result.framesTo}/${result.video.name}/`);
      });
    });

  video
    .command('detect')
    .argument('<video>', 'video: local path, file://, s3:// or https:// URL')
    .description('extract frames and detect logos: with a Rekognition Custom Labels model (--model-arn; stopped whatever happens) or locally (--logos)')
    .option('--model-arn <arn>', 'Rekognition Custom Labels model version ARN')
    .option('--logos <dir>', 'local detector, no cloud: a folder of reference logo images (label = file name without extension)')
    .option('--every <duration>', 'time between frames (default 1s)', durationArg('--every'))
    .option('--min-confidence <n>', 'minimum confidence 0-100 (default 40)', intArg('--min-confidence', 0))
    .option('--frames-to <url>', 'where frames go (default VISIONFLOW_STORAGE/frames)')
    .option('--report-to <url>', 'report: a .json URL or a folder (default VISIONFLOW_STORAGE/reports)')
    .option('--quality <q>', 'JPEG quality 1-100 (default 95)', intArg('--quality', 1))
    .option('--inference-units <n>', 'inference units when the model is started (default 1)', intArg('--inference-units', 1))
    .option('--annotate', 'also store frames with boxes drawn (<frames-to>/<video>/annotated/)')
    .option('--keyframes', 'keyframes only (much faster; frames named by their true time)')
    .option('--idle-timeout <duration>', 'stop the model this long after the last run (default 5m)', durationArg('--idle-timeout'))
    .option('--detach', 'start and return without waiting')
    .option('--json', 'machine-readable output')
    .action(async (input: string, flags: VideoFlags) => {
      if (!!flags.modelArn === !!flags.logos) throw new UsageError('give exactly one detector: --model-arn ARN or --logos DIR');
      if (flags.modelArn) {
        try {
          parseModelArn(flags.modelArn);
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
      }
      if (flags.minConfidence !== undefined && flags.minConfidence > 100) throw new UsageError('--min-confidence must be from 0 to 100');
      const storage = loadConfig().storage;
      await withClient(async (vf) => {
        const run = await vf.startVideoRun('detectLogosInVideo', {
          video: videoUrl(input),
          framesTo: normalizeStorageUrl(flags.framesTo ?? `${storage}/frames`),
          reportTo: normalizeStorageUrl(flags.reportTo ?? `${storage}/reports`),
          every: flags.every !== undefined ? flags.every / 1000 : undefined,
          quality: flags.quality,
          minConfidence: flags.minConfidence,
          annotate: flags.annotate,
          keyframes: flags.keyframes,
          detector: flags.logos
            ? { type: 'local', logos: normalizeStorageUrl(flags.logos) }
            : { type: 'rekognition', modelArn: flags.modelArn!, inferenceUnits: flags.inferenceUnits, idleTimeoutMs: flags.idleTimeout },
        });
        if (flags.detach) return print(!!flags.json, run, () => `Started ${run.workflowId}.`);
        const result = await followProgress<VideoProgress, DetectLogosResult>(
          vf.workflowResult(run.workflowId),
          () => vf.videoProgress(run.workflowId),
          (p) => ({ done: done(p, true), total: 'state' in p ? Math.max(p.extracted * 2, 1) : p.frames * 2, label: label(p) }),
          !!flags.json,
        );
        print(!!flags.json, result, () =>
          [
            `${result.frames} frames of ${result.video.name} checked; report: ${result.report}`,
            ...result.labels.map((l) => `${l.label.padEnd(24)} ${l.screenTimeS}s on screen in ${l.intervals.length} interval(s), max confidence ${l.maxConfidence.toFixed(1)}`),
            result.estimatedCostUsd !== null ? `estimated model cost so far: ${result.estimatedCostUsd.toFixed(2)} USD` : '',
          ]
            .filter(Boolean)
            .join('\n'),
        );
      });
    });

  const rekognition = program.command('rekognition').description('Rekognition Custom Labels: train, list and stop models');

  rekognition
    .command('train')
    .description('train a model version from a YOLO dataset in storage (e.g. a Label Studio export)')
    .requiredOption('--dataset <url>', 'YOLO dataset: images/, labels/, classes.txt (folder or s3://)')
    .requiredOption('--project <name>', 'Custom Labels project (created when missing)')
    .requiredOption('--manifest-to <s3url>', 's3://bucket/prefix for manifests and, for a local dataset, its images')
    .option('--version <name>', 'version name (default v-<time>)')
    .option('--val <ratio>', 'test share when the dataset has no images/val (default 0.2)', (v) => Number(v))
    .option('--json', 'machine-readable output')
    .action(async (flags: { dataset: string; project: string; manifestTo: string; version?: string; val?: number; json?: boolean }) => {
      await withClient(async (vf) => {
        const run = await vf.startTraining({
          dataset: normalizeStorageUrl(flags.dataset),
          projectName: flags.project,
          manifestTo: flags.manifestTo,
          versionName: flags.version,
          valRatio: flags.val,
        });
        if (!flags.json) process.stderr.write(`Training (workflow ${run.workflowId}); this can take hours…\n`);
        const result = await vf.workflowResult<TrainCustomLabelsResult>(run.workflowId);
        print(!!flags.json, result, () => `${result.status}: ${result.versionArn}\nF1 ${result.f1Score ?? 'n/a'}, ${result.trainImages} training and ${result.testImages} test images, classes ${result.classes.join(', ')}`);
      });
    });

  rekognition
    .command('models')
    .description('models held by visionflow leases: status, holders, running time, estimated cost')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => {
      const leases = await withClient((vf) => vf.modelLeases());
      print(!!flags.json, leases, () =>
        leases.length === 0
          ? 'No model is held by visionflow.'
          : leases
              .map((l) => `${l.arn}\n  ${l.state} (${l.modelStatus}), ${l.holders.length} run(s), ${(l.runningMs / 60000).toFixed(1)} min, ~${l.estimatedCostUsd.toFixed(2)} USD${l.startedByLease ? '' : ', not started by visionflow'}`)
              .join('\n'),
      );
    });

  rekognition
    .command('stop')
    .argument('<arn>', 'model version ARN')
    .description("stop a model now through its lease (--force: also a model visionflow did not start, or one without a lease)")
    .option('--force', 'stop even a model visionflow did not start')
    .option('--json', 'machine-readable output')
    .action(async (arn: string, flags: { force?: boolean; json?: boolean }) => {
      try {
        parseModelArn(arn);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const viaLease = await withClient((vf) => vf.stopModelLease(arn, !!flags.force));
      if (!viaLease) {
        if (!flags.force) throw new UsageError(`no visionflow lease holds ${arn}; add --force to stop it anyway`);
        const config = loadConfig();
        await new RekognitionModels(createRekognitionClient(config.rekognition)).stop(arn);
      }
      print(!!flags.json, { arn, stopping: true, viaLease }, () => `Stopping ${arn}${viaLease ? ' (through its lease)' : ''}.`);
    });
}
