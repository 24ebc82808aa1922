/**
 * Model safety when the worker dies mid-run, and training a Custom Labels model from a
 * YOLO dataset, against the Rekognition stand-in (real AWS SDK client) and MinIO.
 */
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Visionflow } from '../../src/client';
import type { DetectLogosResult } from '../../src/workflows/detect-logos-in-video';
import type { TrainCustomLabelsResult } from '../../src/workflows/train-custom-labels-model';
import { connectClient, eventually, rootCause, s3Available, spawnWorkerProcess, tempDir, testConfig, testEnv } from '../support/harness';
import { logoInPixels, makeLogoVideo } from '../support/logo-video';
import { RekognitionStandIn, startRekognitionStandIn } from '../support/rekognition-stand-in';
import { scene } from '../support/scenes';
import { readS3Object, testS3Client } from '../support/stored-objects';

const describeS3 = s3Available() ? describe : describe.skip;
const LOGO = { Name: 'acme-logo', Confidence: 88, Geometry: { BoundingBox: { Width: 0.2, Height: 0.2, Left: 0.1, Top: 0.1 } } };

describeS3('Rekognition models: worker crash and training', () => {
  let rek: RekognitionStandIn;
  let s3: S3Client;
  let vf: Visionflow;
  const workers: ChildProcess[] = [];
  const bucket = process.env.VF_TEST_S3_BUCKET!;
  const env = () => testEnv('video-crash', { REKOGNITION_ENDPOINT: rek.url, REKOGNITION_POLL_INTERVAL: '100ms', AWS_REGION: 'us-east-1' });

  beforeAll(async () => {
    s3 = testS3Client();
    rek = await startRekognitionStandIn({
      startDelayMs: 300,
      stopDelayMs: 200,
      trainDelayMs: 500,
      s3Reader: (b, key) => readS3Object(s3, b, key),
      detections: async (image) => (image.bytes && (await logoInPixels(image.bytes)) ? [LOGO] : []),
    });
    vf = await connectClient(testConfig('video-crash'));
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await vf?.close();
    await rek?.close();
    s3?.destroy();
  });

  test('kill -9 mid-detection, new worker: the run completes and the model is stopped once', async () => {
    const arn = rek.addVersion({ projectName: 'logos', versionName: 'crash' });
    rek.faults = { latencyMs: { DetectCustomLabels: 250 } };
    workers.push(await spawnWorkerProcess(env()));
    const video = `file://${await makeLogoVideo(tempDir('crash-video'))}`;
    const handle = await vf.client.workflow.start('detectLogosInVideo', {
      taskQueue: 'visionflow',
      workflowId: 'detect-crash',
      args: [{ video, every: 0.5, framesTo: `s3://${bucket}/crash-frames`, reportTo: `s3://${bucket}/crash-reports`, segmentS: 4, detector: { type: 'rekognition', modelArn: arn, idleTimeoutMs: 500, leaseMs: 60_000 } }],
    });
    await eventually(async () => rek.requests.filter((r) => r.op === 'DetectCustomLabels').length >= 3, 60_000, 'detection under way');
    workers[0].kill('SIGKILL');
    await new Promise((r) => workers[0].once('exit', r));
    workers.push(await spawnWorkerProcess(env()));
    const result = (await handle.result()) as DetectLogosResult;
    expect(result.frames).toBe(24);
    expect(result.labels[0]).toMatchObject({ label: 'acme-logo', intervals: [{ startS: 3, endS: 6 }, { startS: 9, endS: 11 }] });
    await eventually(async () => rek.status(arn) === 'STOPPED', 30_000, 'the model to stop');
    expect(rek.billing(arn)).toMatchObject({ starts: 1, stops: 1 });
    rek.faults = {};
  });

  test('trainCustomLabelsModel: Ground Truth manifests from a YOLO dataset, project, datasets, version, F1', async () => {
    const dataset = tempDir('yolo-dataset');
    fs.mkdirSync(path.join(dataset, 'images'));
    fs.mkdirSync(path.join(dataset, 'labels'));
    fs.writeFileSync(path.join(dataset, 'classes.txt'), 'acme-logo\nother\n');
    for (let i = 0; i < 10; i++) {
      fs.writeFileSync(path.join(dataset, 'images', `img_${i}.jpg`), await scene(300 + i)); // 640x360
      fs.writeFileSync(path.join(dataset, 'labels', `img_${i}.txt`), `0 0.5 0.5 0.25 0.5\n${i % 2} 0.125 0.25 0.125 0.25\n`);
    }
    const run = await vf.startTraining({ dataset: `file://${dataset}`, projectName: 'logo-detector', manifestTo: `s3://${bucket}/training/run1`, versionName: 'v1', valRatio: 0.2 });
    const result = await vf.workflowResult<TrainCustomLabelsResult>(run.workflowId);
    expect(result).toMatchObject({ status: 'TRAINING_COMPLETED', f1Score: 0.9, trainImages: 8, testImages: 2, classes: ['acme-logo', 'other'], versionName: 'v1' });
    expect(result.versionArn).toMatch(/^arn:aws:rekognition:us-east-1:\d{12}:project\/logo-detector\/version\/v1\/\d+$/);

    const train = rek.manifests.find((m) => m.key.endsWith('train.manifest'))!;
    const lines = train.body!.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(8);
    const first = lines[0];
    expect(first['source-ref']).toMatch(new RegExp(`^s3://${bucket}/training/run1/images/img_\\d\\.jpg$`));
    expect(first['bounding-box'].image_size).toEqual([{ width: 640, height: 360, depth: 3 }]);
    expect(first['bounding-box'].annotations[0]).toEqual({ class_id: 0, left: 240, top: 90, width: 160, height: 180 });
    expect(first['bounding-box-metadata']).toMatchObject({ type: 'groundtruth/object-detection', 'class-map': { '0': 'acme-logo', '1': 'other' } });
    // The images the manifest points at are in S3.
    const key = first['source-ref'].replace(`s3://${bucket}/`, '');
    await expect(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).resolves.toBeDefined();

    // A second training finds the project (no second CreateProject) and says why it cannot reuse its datasets.
    const again = await vf.startTraining({ dataset: `file://${dataset}`, projectName: 'logo-detector', manifestTo: `s3://${bucket}/training/run2`, versionName: 'v2' });
    const second = await vf.workflowResult<TrainCustomLabelsResult>(again.workflowId).catch((e) => e);
    expect(rootCause(second)).toContain('already has TRAIN/TEST datasets');
    expect(rek.requests.filter((r) => r.op === 'CreateProject')).toHaveLength(1);
  });
});
