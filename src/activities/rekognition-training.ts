/**
 * Activities of trainCustomLabelsModel: Ground Truth manifests from a YOLO dataset in
 * storage, the Custom Labels project (reused when it exists), its TRAIN/TEST datasets,
 * a new model version, and the wait for training with heartbeats.
 */
import {
  CreateDatasetCommand,
  CreateProjectCommand,
  CreateProjectVersionCommand,
  DescribeProjectsCommand,
  DescribeProjectVersionsCommand,
  RekognitionClient,
} from '@aws-sdk/client-rekognition';
import { ApplicationFailure, Context } from '@temporalio/activity';
import sharp from 'sharp';
import { abortableWait } from '../lib/concurrency/abortable-wait';
import { inLanes } from '../lib/concurrency/bounded-lanes';
import { manifestLine } from '../lib/detection/ground-truth-manifest';
import { createRekognitionClient, RekognitionSettings } from '../lib/detection/rekognition-client';
import { withBackoff } from '../lib/detection/rekognition-models';
import { valTaskIds } from '../lib/label-studio/seeded-split';
import { StorageOpener } from '../lib/storage/open-storage';

export interface TrainingActivityDeps {
  openStorage: StorageOpener;
  rekognition: RekognitionSettings;
  modelPollMs?: number;
}

export interface ManifestInput {
  /** YOLO dataset: images/ (or images/train + images/val), labels/, classes.txt. */
  dataset: string;
  /** s3://bucket/prefix for manifests (and images copied from a local dataset). */
  manifestTo: string;
  valRatio: number;
  seed: number;
}

export interface Manifests {
  train: { bucket: string; key: string };
  test: { bucket: string; key: string };
  trainImages: number;
  testImages: number;
  boxes: number;
  classes: string[];
}

function s3Parts(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m) throw ApplicationFailure.nonRetryable(`manifestTo '${url}' must be an s3://bucket/prefix URL: Rekognition reads datasets from S3`, 'InvalidManifestLocation');
  return { bucket: m[1], prefix: m[2].replace(/\/+$/, '') };
}

const IMAGE = /\.(jpe?g|png)$/i;

export function createTrainingActivities(deps: TrainingActivityDeps) {
  let client: RekognitionClient | undefined;
  const rekognition = () => (client ??= createRekognitionClient(deps.rekognition));

  return {
    async buildTrainingManifests(input: ManifestInput): Promise<Manifests> {
      const ctx = Context.current();
      const target = s3Parts(input.manifestTo);
      const out = deps.openStorage(input.manifestTo);
      const ds = deps.openStorage(input.dataset);
      const classes = ((await ds.get('classes.txt'))?.toString('utf8') ?? '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      if (classes.length === 0) throw ApplicationFailure.nonRetryable(`${input.dataset}/classes.txt is missing or empty`, 'InvalidDataset');
      const images = (await ds.list('images/')).filter((o) => IMAGE.test(o.key));
      if (images.length === 0) throw ApplicationFailure.nonRetryable(`no images under ${input.dataset}/images/`, 'InvalidDataset');
      const presplit = images.some((o) => o.key.startsWith('images/val/'));
      const ids = images.map((_, i) => i);
      const testIds = presplit ? new Set(ids.filter((i) => images[i].key.startsWith('images/val/'))) : valTaskIds(ids, input.valRatio, input.seed);
      const datasetIsS3 = input.dataset.startsWith('s3://');
      let boxes = 0;
      const lines = await inLanes(images, 8, async (image, i) => {
        ctx.heartbeat(i);
        const body = await ds.get(image.key);
        if (!body) throw new Error(`${image.key} vanished while building the manifest`);
        const meta = await sharp(body).metadata();
        const labelKey = image.key.replace(/^images\//, 'labels/').replace(IMAGE, '.txt');
        const yolo = (await ds.get(labelKey))?.toString('utf8') ?? '';
        let sourceRef: string;
        if (datasetIsS3) {
          const src = s3Parts(input.dataset);
          sourceRef = `s3://${src.bucket}/${src.prefix ? `${src.prefix}/` : ''}${image.key}`;
        } else {
          // Rekognition reads images from S3 only: copy local ones next to the manifests.
          await out.put(image.key, body, { contentType: meta.format === 'png' ? 'image/png' : 'image/jpeg' });
          sourceRef = `s3://${target.bucket}/${target.prefix ? `${target.prefix}/` : ''}${image.key}`;
        }
        let line: string;
        try {
          line = manifestLine({ sourceRef, width: meta.autoOrient?.width ?? meta.width ?? 0, height: meta.autoOrient?.height ?? meta.height ?? 0, yolo }, classes);
        } catch (err) {
          throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidDataset');
        }
        boxes += yolo.split('\n').filter((l) => l.trim()).length;
        return { test: testIds.has(i), line };
      });
      const train = lines.filter((l) => !l.test).map((l) => l.line);
      const test = lines.filter((l) => l.test).map((l) => l.line);
      if (train.length === 0 || test.length === 0) {
        throw ApplicationFailure.nonRetryable(`the dataset needs images for both training and testing (got ${train.length} and ${test.length}); raise valRatio or add images`, 'InvalidDataset');
      }
      await out.put('train.manifest', `${train.join('\n')}\n`, { contentType: 'application/json' });
      await out.put('test.manifest', `${test.join('\n')}\n`, { contentType: 'application/json' });
      const key = (name: string) => (target.prefix ? `${target.prefix}/${name}` : name);
      return {
        train: { bucket: target.bucket, key: key('train.manifest') },
        test: { bucket: target.bucket, key: key('test.manifest') },
        trainImages: train.length,
        testImages: test.length,
        boxes,
        classes,
      };
    },

    /** The project's ARN, creating the project when it does not exist yet. */
    async ensureCustomLabelsProject(projectName: string): Promise<string> {
      const signal = Context.current().cancellationSignal;
      const describe = async () =>
        (await withBackoff(() => rekognition().send(new DescribeProjectsCommand({ ProjectNames: [projectName] }), { abortSignal: signal }), signal)).ProjectDescriptions?.[0]?.ProjectArn;
      const existing = await describe();
      if (existing) return existing;
      try {
        const created = await withBackoff(() => rekognition().send(new CreateProjectCommand({ ProjectName: projectName }), { abortSignal: signal }), signal);
        return created.ProjectArn!;
      } catch (err) {
        if ((err as Error).name === 'ResourceInUseException') return (await describe())!;
        throw (err as Error).name === 'InvalidParameterException' ? ApplicationFailure.nonRetryable((err as Error).message, 'InvalidParameterException') : err;
      }
    },

    async createTrainingVersion(input: { projectArn: string; manifests: Manifests; versionName: string; outputTo: string }): Promise<string> {
      const signal = Context.current().cancellationSignal;
      const out = s3Parts(input.outputTo);
      try {
        for (const [type, m] of [['TRAIN', input.manifests.train], ['TEST', input.manifests.test]] as const) {
          await withBackoff(
            () =>
              rekognition().send(
                new CreateDatasetCommand({ ProjectArn: input.projectArn, DatasetType: type, DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: m.bucket, Name: m.key } } } }),
                { abortSignal: signal },
              ),
            signal,
          );
        }
        const version = await withBackoff(
          () =>
            rekognition().send(
              new CreateProjectVersionCommand({ ProjectArn: input.projectArn, VersionName: input.versionName, OutputConfig: { S3Bucket: out.bucket, S3KeyPrefix: out.prefix || 'output' } }),
              { abortSignal: signal },
            ),
          signal,
        );
        return version.ProjectVersionArn!;
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'ResourceAlreadyExistsException') {
          throw ApplicationFailure.nonRetryable(
            `the project already has TRAIN/TEST datasets (${(err as Error).message}); train into a new project name, or delete its datasets first`,
            name,
          );
        }
        if (['InvalidParameterException', 'ResourceInUseException', 'ResourceNotFoundException', 'AccessDeniedException', 'LimitExceededException'].includes(name)) {
          throw ApplicationFailure.nonRetryable(`Rekognition refused the training: ${name}: ${(err as Error).message}`, name);
        }
        throw err;
      }
    },

    async waitTraining(input: { projectArn: string; versionArn: string; versionName: string }): Promise<{ status: string; f1Score: number | null; message?: string }> {
      const ctx = Context.current();
      for (;;) {
        const res = await withBackoff(
          () => rekognition().send(new DescribeProjectVersionsCommand({ ProjectArn: input.projectArn, VersionNames: [input.versionName] }), { abortSignal: ctx.cancellationSignal }),
          ctx.cancellationSignal,
        );
        const d = res.ProjectVersionDescriptions?.find((v) => v.ProjectVersionArn === input.versionArn) ?? res.ProjectVersionDescriptions?.[0];
        ctx.heartbeat(d?.Status);
        if (d?.Status === 'TRAINING_COMPLETED') return { status: d.Status, f1Score: d.EvaluationResult?.F1Score ?? null };
        if (d?.Status === 'TRAINING_FAILED') throw ApplicationFailure.nonRetryable(`training of ${input.versionArn} failed: ${d.StatusMessage ?? 'no message'}`, 'TrainingFailed');
        await abortableWait(deps.modelPollMs ?? 30_000, ctx.cancellationSignal);
      }
    },
  };
}
