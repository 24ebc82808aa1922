/**
 * trainCustomLabelsModel: from a YOLO dataset in storage (e.g. a Label Studio export)
 * to a trained Rekognition Custom Labels model version: manifests, project (reused),
 * TRAIN/TEST datasets, a new version, and the wait for training.
 */
import { ApplicationFailure, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { IO_QUEUE } from '../task-queues';

export interface TrainCustomLabelsInput {
  /** YOLO dataset: images/ (or images/train, images/val), labels/, classes.txt. */
  dataset: string;
  projectName: string;
  /** s3://bucket/prefix where manifests (and images of a local dataset) go. */
  manifestTo: string;
  /** s3://bucket/prefix for the training output; default `<manifestTo>/output`. */
  outputTo?: string;
  versionName?: string;
  /** Test share when the dataset has no images/val, default 0.2. */
  valRatio?: number;
  seed?: number;
}

export interface TrainCustomLabelsResult {
  projectArn: string;
  versionArn: string;
  versionName: string;
  status: string;
  f1Score: number | null;
  trainImages: number;
  testImages: number;
  classes: string[];
}

const { buildTrainingManifests, ensureCustomLabelsProject, createTrainingVersion } = proxyActivities<Activities>({
  taskQueue: IO_QUEUE,
  startToCloseTimeout: '1h',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 8 },
});

// Training takes up to hours; the wait heartbeats every poll.
const { waitTraining } = proxyActivities<Activities>({
  taskQueue: IO_QUEUE,
  startToCloseTimeout: '24h',
  heartbeatTimeout: '5m',
  retry: { initialInterval: '5s', maximumInterval: '2m', maximumAttempts: 20 },
});

export async function trainCustomLabelsModel(input: TrainCustomLabelsInput): Promise<TrainCustomLabelsResult> {
  const problems: string[] = [];
  if (!/^(file:\/\/\/|s3:\/\/)/.test(input.dataset ?? '')) problems.push(`dataset '${input.dataset}' must be a file:/// or s3:// URL`);
  if (!/^s3:\/\/[^/]+/.test(input.manifestTo ?? '')) problems.push(`manifestTo '${input.manifestTo}' must be s3://bucket/prefix: Rekognition reads from S3`);
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/.test(input.projectName ?? '')) problems.push(`projectName '${input.projectName}' must be 1-255 letters, digits, '_', '.', '-'`);
  if (problems.length) throw ApplicationFailure.nonRetryable(`invalid training options: ${problems.join('; ')}`, 'InvalidTrainingOptions');
  const versionName = input.versionName ?? `v-${new Date().toISOString().replace(/[-:T.Z]/g, '').slice(0, 14)}-${uuid4().slice(0, 6)}`;

  const manifests = await buildTrainingManifests({ dataset: input.dataset, manifestTo: input.manifestTo, valRatio: input.valRatio ?? 0.2, seed: input.seed ?? 42 });
  const projectArn = await ensureCustomLabelsProject(input.projectName);
  const versionArn = await createTrainingVersion({ projectArn, manifests, versionName, outputTo: input.outputTo ?? `${input.manifestTo.replace(/\/+$/, '')}/output` });
  const trained = await waitTraining({ projectArn, versionArn, versionName });
  return {
    projectArn,
    versionArn,
    versionName,
    status: trained.status,
    f1Score: trained.f1Score,
    trainImages: manifests.trainImages,
    testImages: manifests.testImages,
    classes: manifests.classes,
  };
}
