/**
 * The Rekognition stand-in speaks awsJson1_1 well enough for the real
 * @aws-sdk/client-rekognition client: typed exceptions, waiters, blobs, epoch
 * timestamps, the model state machine, training from manifests in MinIO, the
 * billing clock and injected faults.
 */
import {
  AccessDeniedException,
  CreateDatasetCommand,
  CreateProjectCommand,
  CreateProjectVersionCommand,
  DescribeProjectsCommand,
  DescribeProjectVersionsCommand,
  DetectCustomLabelsCommand,
  InternalServerError,
  InvalidImageFormatException,
  InvalidParameterException,
  InvalidS3ObjectException,
  LimitExceededException,
  ProvisionedThroughputExceededException,
  RekognitionClient,
  ResourceAlreadyExistsException,
  ResourceInUseException,
  ResourceNotFoundException,
  ResourceNotReadyException,
  StartProjectVersionCommand,
  StopProjectVersionCommand,
  ThrottlingException,
  waitUntilProjectVersionRunning,
  waitUntilProjectVersionTrainingCompleted,
} from '@aws-sdk/client-rekognition';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { CustomLabel, RekognitionStandIn, startRekognitionStandIn } from '../support/rekognition-stand-in';

const VERSION_ARN = /^arn:aws:rekognition:us-east-1:123456789012:project\/[a-zA-Z0-9_.-]+\/version\/[a-zA-Z0-9_.-]+\/\d+$/;
const PROJECT_ARN = /^arn:aws:rekognition:us-east-1:123456789012:project\/[a-zA-Z0-9_.-]+\/\d+$/;
const fast = { minDelay: 0.05, maxDelay: 0.1, maxWaitTime: 10 };
const s3Endpoint = process.env.VF_TEST_S3_ENDPOINT;
const bucket = process.env.VF_TEST_S3_BUCKET ?? 'visionflow-test';
const prefix = `rekognition-stand-in-${Date.now()}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const s3 = s3Endpoint
  ? new S3Client({
      endpoint: s3Endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: process.env.VF_TEST_S3_ACCESS_KEY!, secretAccessKey: process.env.VF_TEST_S3_SECRET_KEY! },
    })
  : undefined;

/** Reads MinIO the way Rekognition reads S3: undefined when the object is not there. */
async function readMinio(b: string, key: string): Promise<Buffer | undefined> {
  try {
    const out = await s3!.send(new GetObjectCommand({ Bucket: b, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey' || (err as Error).name === 'NoSuchBucket') return undefined;
    throw err;
  }
}

function client(standIn: RekognitionStandIn, extra: { maxAttempts?: number } = {}): RekognitionClient {
  return new RekognitionClient({ endpoint: standIn.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, ...extra });
}

async function rejection(promise: Promise<unknown>): Promise<Error & { $fault?: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

async function jpeg(color: string): Promise<Buffer> {
  return sharp({ create: { width: 32, height: 24, channels: 3, background: color } }).jpeg().toBuffer();
}

const logo: CustomLabel = { Name: 'logo', Confidence: 97.5, Geometry: { BoundingBox: { Width: 0.25, Height: 0.5, Left: 0.1, Top: 0.2 }, Polygon: [{ X: 0.1, Y: 0.2 }, { X: 0.35, Y: 0.2 }, { X: 0.35, Y: 0.7 }] } };
const faint: CustomLabel = { Name: 'logo', Confidence: 41, Geometry: { BoundingBox: { Width: 0.1, Height: 0.1, Left: 0.6, Top: 0.6 } } };
const sign: CustomLabel = { Name: 'sign', Confidence: 80, Geometry: { BoundingBox: { Width: 0.2, Height: 0.2, Left: 0, Top: 0 } } };

describe('Rekognition stand-in with the real AWS SDK client', () => {
  let standIn: RekognitionStandIn;
  let rek: RekognitionClient;

  beforeAll(async () => {
    standIn = await startRekognitionStandIn({ s3Reader: s3 ? readMinio : undefined, startDelayMs: 150, stopDelayMs: 100, trainDelayMs: 200 });
    rek = client(standIn);
  });

  afterAll(async () => {
    rek.destroy();
    s3?.destroy();
    await standIn.close();
  });

  afterEach(() => {
    standIn.faults = {};
  });

  test('speaks awsJson1_1: target header, content type, SigV4 key id, error bodies, epoch seconds', async () => {
    const { ProjectArn } = await rek.send(new CreateProjectCommand({ ProjectName: 'protocol' }));
    expect(ProjectArn).toMatch(PROJECT_ARN);
    const sent = standIn.requests.at(-1)!;
    expect(sent).toMatchObject({ op: 'CreateProject', target: 'RekognitionService.CreateProject', contentType: 'application/x-amz-json-1.1', accessKeyId: 'test', region: 'us-east-1', service: 'rekognition', status: 200 });
    expect(sent.body).toEqual({ ProjectName: 'protocol' });

    // Raw HTTP: the wire format the SDK parses.
    const auth = 'AWS4-HMAC-SHA256 Credential=AKIDRAW/20240101/us-east-1/rekognition/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc123';
    const post = (target: string, body: unknown, headers: Record<string, string> = { authorization: auth }) =>
      fetch(standIn.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, ...headers }, body: JSON.stringify(body) });
    const ok = await post('RekognitionService.DescribeProjects', { ProjectNames: ['protocol'] });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    const described = (await ok.json()) as { ProjectDescriptions: { ProjectArn: string; CreationTimestamp: unknown; Status: string; Datasets: unknown[] }[] };
    expect(described.ProjectDescriptions).toHaveLength(1);
    expect(typeof described.ProjectDescriptions[0].CreationTimestamp).toBe('number');
    expect(Math.abs((described.ProjectDescriptions[0].CreationTimestamp as number) - Date.now() / 1000)).toBeLessThan(60);
    expect(described.ProjectDescriptions[0]).toMatchObject({ ProjectArn, Status: 'CREATED', Datasets: [] });
    expect(standIn.requests.at(-1)!.accessKeyId).toBe('AKIDRAW');

    const missing = await post('RekognitionService.DescribeProjectVersions', { ProjectArn: 'arn:aws:rekognition:us-east-1:123456789012:project/nope/1' });
    expect(missing.status).toBe(400);
    expect(missing.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(missing.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await missing.json()).toMatchObject({ __type: 'ResourceNotFoundException', Code: 'ResourceNotFoundException', Message: expect.any(String), Logref: expect.any(String) });

    expect((await post('RekognitionService.DetectText', {})).status).toBe(400);
    expect((await post('RekognitionService.DescribeProjects', {}, {})).status).toBe(403);

    // The SDK sees typed exceptions.
    const again = await rejection(rek.send(new CreateProjectCommand({ ProjectName: 'protocol' })));
    expect(again).toBeInstanceOf(ResourceInUseException);
    expect(again.name).toBe('ResourceInUseException');
    expect(again.$metadata?.httpStatusCode).toBe(400);
    const badName = await rejection(rek.send(new CreateProjectCommand({ ProjectName: 'has spaces' })));
    expect(badName).toBeInstanceOf(InvalidParameterException);

    const projects = await rek.send(new DescribeProjectsCommand({ ProjectNames: ['protocol'] }));
    expect(projects.ProjectDescriptions![0].CreationTimestamp).toBeInstanceOf(Date);
  });

  test('model lifecycle with the SDK waiter: STOPPED -> STARTING -> RUNNING -> STOPPING -> STOPPED, billed while RUNNING', async () => {
    const arn = standIn.addVersion({ projectName: 'lifecycle', versionName: 'v1', status: 'STOPPED' });
    expect(arn).toMatch(VERSION_ARN);
    const projectArn = standIn.projectArn('lifecycle')!;
    const describe = async () => (await rek.send(new DescribeProjectVersionsCommand({ ProjectArn: projectArn, VersionNames: ['v1'] }))).ProjectVersionDescriptions![0];

    expect(await rejection(rek.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: { Bytes: await jpeg('red') } })))).toBeInstanceOf(ResourceNotReadyException);
    expect(await rejection(rek.send(new StopProjectVersionCommand({ ProjectVersionArn: arn })))).toBeInstanceOf(ResourceInUseException);

    const beforeStart = Date.now();
    expect(await rek.send(new StartProjectVersionCommand({ ProjectVersionArn: arn, MinInferenceUnits: 2 }))).toMatchObject({ Status: 'STARTING' });
    expect(standIn.status(arn)).toBe('STARTING');
    expect(await rejection(rek.send(new StartProjectVersionCommand({ ProjectVersionArn: arn, MinInferenceUnits: 1 })))).toBeInstanceOf(ResourceInUseException);
    expect(await rejection(rek.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: { Bytes: await jpeg('red') } })))).toBeInstanceOf(ResourceNotReadyException);

    const waited = await waitUntilProjectVersionRunning({ client: rek, ...fast }, { ProjectArn: projectArn, VersionNames: ['v1'] });
    expect(waited.state).toBe('SUCCESS');
    const runningSeen = Date.now();
    expect(Date.now() - beforeStart).toBeGreaterThanOrEqual(150);
    const running = await describe();
    expect(running).toMatchObject({ ProjectVersionArn: arn, Status: 'RUNNING', MinInferenceUnits: 2 });
    expect(running.CreationTimestamp).toBeInstanceOf(Date);
    expect(await rejection(rek.send(new StartProjectVersionCommand({ ProjectVersionArn: arn, MinInferenceUnits: 1 })))).toBeInstanceOf(ResourceInUseException);

    await sleep(400);
    const beforeStop = Date.now();
    expect(await rek.send(new StopProjectVersionCommand({ ProjectVersionArn: arn }))).toMatchObject({ Status: 'STOPPING' });
    const afterStop = Date.now();
    expect((await describe()).Status).toBe('STOPPING');
    expect(await rejection(rek.send(new StopProjectVersionCommand({ ProjectVersionArn: arn })))).toBeInstanceOf(ResourceInUseException);
    for (let i = 0; i < 100 && (await describe()).Status !== 'STOPPED'; i++) await sleep(20);
    expect((await describe()).Status).toBe('STOPPED');

    const bill = standIn.billing(arn);
    expect(bill.starts).toBe(1);
    expect(bill.stops).toBe(1);
    expect(bill.runningMs).toBeGreaterThanOrEqual(beforeStop - runningSeen);
    expect(bill.runningMs).toBeLessThanOrEqual(afterStop - beforeStart - 150 + 20);
    expect(bill.inferenceUnitHours).toBeCloseTo((bill.runningMs * 2) / 3_600_000, 10);
    await sleep(50);
    expect(standIn.billing(arn).runningMs).toBe(bill.runningMs); // the clock stopped

    const unknown = arn.replace('/v1/', '/v9/');
    expect(await rejection(rek.send(new StartProjectVersionCommand({ ProjectVersionArn: unknown, MinInferenceUnits: 1 })))).toBeInstanceOf(ResourceNotFoundException);
    expect(await rejection(rek.send(new StartProjectVersionCommand({ ProjectVersionArn: 'not-an-arn-at-all-xxxxx', MinInferenceUnits: 1 })))).toBeInstanceOf(InvalidParameterException);
  });

  test('a version set to fail on start ends FAILED with its StatusMessage; the waiter reports the failure', async () => {
    const arn = standIn.addVersion({ projectName: 'broken', versionName: 'v1', failOnStart: 'Not enough capacity to start the model.' });
    const projectArn = standIn.projectArn('broken')!;
    await rek.send(new StartProjectVersionCommand({ ProjectVersionArn: arn, MinInferenceUnits: 1 }));
    const err = await rejection(waitUntilProjectVersionRunning({ client: rek, ...fast }, { ProjectArn: projectArn }));
    expect(err.message).toContain('FAILURE');
    const [description] = (await rek.send(new DescribeProjectVersionsCommand({ ProjectArn: projectArn }))).ProjectVersionDescriptions!;
    expect(description).toMatchObject({ Status: 'FAILED', StatusMessage: 'Not enough capacity to start the model.' });
    expect(standIn.billing(arn)).toMatchObject({ runningMs: 0, inferenceUnitHours: 0, starts: 1 });

    standIn.setFailOnStart(arn, false); // a FAILED model can be started again
    await rek.send(new StartProjectVersionCommand({ ProjectVersionArn: arn, MinInferenceUnits: 1 }));
    expect((await waitUntilProjectVersionRunning({ client: rek, ...fast }, { ProjectArn: projectArn })).state).toBe('SUCCESS');
  });

  test('a running version accrues billing per inference unit until stopped', async () => {
    const arn = standIn.addVersion({ projectName: 'meter', versionName: 'v1', status: 'RUNNING', inferenceUnits: 3 });
    await sleep(300);
    const bill = standIn.billing(arn);
    expect(bill.runningMs).toBeGreaterThanOrEqual(290);
    expect(bill.runningMs).toBeLessThan(2000);
    expect(bill.inferenceUnitHours).toBeCloseTo((bill.runningMs * 3) / 3_600_000, 8);
    await sleep(100);
    expect(standIn.billing(arn).runningMs).toBeGreaterThanOrEqual(bill.runningMs + 90);
    await rek.send(new StopProjectVersionCommand({ ProjectVersionArn: arn }));
    expect(standIn.billing(arn).stops).toBe(1);
  });

  test('DetectCustomLabels with Image.Bytes: base64 on the wire, labels filtered by MinConfidence, ordered, cut to MaxResults', async () => {
    const arn = standIn.addVersion({ projectName: 'detect-bytes', versionName: 'v1', status: 'RUNNING' });
    standIn.setDetections(arn, (image) => (image.bytes && image.bytes.length > 0 ? [faint, sign, logo] : []));
    const bytes = await jpeg('blue');
    const all = await rek.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: { Bytes: bytes } }));
    expect(all.CustomLabels!.map((l) => l.Confidence)).toEqual([97.5, 80, 41]);
    expect(all.CustomLabels![0]).toEqual(logo);
    expect(standIn.requests.at(-1)!.body!.Image).toEqual({ Bytes: bytes.toString('base64') });
    expect(standIn.detections.at(-1)!.image.bytes!.equals(bytes)).toBe(true);

    const filtered = await rek.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: { Bytes: bytes }, MinConfidence: 50, MaxResults: 1 }));
    expect(filtered.CustomLabels).toEqual([logo]);
    expect(standIn.detections.at(-1)).toMatchObject({ minConfidence: 50, maxResults: 1, returned: [logo] });

    expect(await rejection(rek.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: { Bytes: Buffer.from('GIF89a not supported') } })))).toBeInstanceOf(InvalidImageFormatException);
    expect(await rejection(rek.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: {} })))).toBeInstanceOf(InvalidParameterException);
  });

  (s3Endpoint ? test : test.skip)('DetectCustomLabels with Image.S3Object reads the object from MinIO and answers by key', async () => {
    await s3!.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/frames/with-logo.jpg`, Body: await jpeg('white') }));
    await s3!.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/frames/plain.jpg`, Body: await jpeg('black') }));
    const arn = standIn.addVersion({ projectName: 'detect-s3', versionName: 'v1', status: 'RUNNING' });
    standIn.setDetections(arn, (image) => (image.name?.includes('logo') ? [logo] : []));
    const hit = await rek.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: { S3Object: { Bucket: bucket, Name: `${prefix}/frames/with-logo.jpg` } } }));
    expect(hit.CustomLabels).toEqual([logo]);
    const seen = standIn.detections.at(-1)!.image;
    expect(seen).toMatchObject({ bucket, name: `${prefix}/frames/with-logo.jpg` });
    expect(seen.bytes!.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    const miss = await rek.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: { S3Object: { Bucket: bucket, Name: `${prefix}/frames/plain.jpg` } } }));
    expect(miss.CustomLabels).toEqual([]);
    const absent = await rejection(rek.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: { S3Object: { Bucket: bucket, Name: `${prefix}/frames/absent.jpg` } } })));
    expect(absent).toBeInstanceOf(InvalidS3ObjectException);
  });

  (s3Endpoint ? test : test.skip)('training: datasets from manifests in MinIO, TRAINING_IN_PROGRESS -> TRAINING_COMPLETED with F1, then TRAINING_FAILED', async () => {
    const line = (n: number) => JSON.stringify({ 'source-ref': `s3://${bucket}/${prefix}/images/${n}.jpg`, bounding_boxes: { annotations: [] } });
    const trainManifest = `${[1, 2, 3].map(line).join('\n')}\n`;
    await s3!.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/train.manifest`, Body: trainManifest }));
    await s3!.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/test.manifest`, Body: line(4) }));
    await s3!.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/garbage.manifest`, Body: 'not json\n{"no-source-ref": 1}\n' }));

    const { ProjectArn } = await rek.send(new CreateProjectCommand({ ProjectName: 'trained' }));
    const missing = await rejection(rek.send(new CreateDatasetCommand({ ProjectArn, DatasetType: 'TRAIN', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: bucket, Name: `${prefix}/nope.manifest` } } } })));
    expect(missing).toBeInstanceOf(InvalidParameterException);
    expect(missing.message).toContain('nope.manifest');
    const noDatasets = await rejection(rek.send(new CreateProjectVersionCommand({ ProjectArn, VersionName: 'v0', OutputConfig: { S3Bucket: bucket, S3KeyPrefix: `${prefix}/out/` } })));
    expect(noDatasets).toBeInstanceOf(InvalidParameterException);

    const { DatasetArn } = await rek.send(new CreateDatasetCommand({ ProjectArn, DatasetType: 'TRAIN', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: bucket, Name: `${prefix}/train.manifest` } } } }));
    expect(DatasetArn).toMatch(/^arn:aws:rekognition:us-east-1:123456789012:project\/trained\/dataset\/train\/\d+$/);
    expect(await rejection(rek.send(new CreateDatasetCommand({ ProjectArn, DatasetType: 'TRAIN', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: bucket, Name: `${prefix}/train.manifest` } } } })))).toBeInstanceOf(ResourceAlreadyExistsException);
    await rek.send(new CreateDatasetCommand({ ProjectArn, DatasetType: 'TEST', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: bucket, Name: `${prefix}/test.manifest` } } } }));
    expect(standIn.manifests.find((m) => m.key === `${prefix}/train.manifest`)).toMatchObject({ purpose: 'TRAIN', datasetArn: DatasetArn, body: trainManifest, lines: 3, validLines: 3, invalidLines: [] });
    const [project] = (await rek.send(new DescribeProjectsCommand({ ProjectNames: ['trained'] }))).ProjectDescriptions!;
    expect(project.Datasets!.map((d) => [d.DatasetType, d.Status])).toEqual([
      ['TRAIN', 'CREATE_COMPLETE'],
      ['TEST', 'CREATE_COMPLETE'],
    ]);

    const { ProjectVersionArn } = await rek.send(new CreateProjectVersionCommand({ ProjectArn, VersionName: 'v1', OutputConfig: { S3Bucket: bucket, S3KeyPrefix: `${prefix}/out/` } }));
    expect(ProjectVersionArn).toMatch(VERSION_ARN);
    expect(standIn.status(ProjectVersionArn!)).toBe('TRAINING_IN_PROGRESS');
    expect(await rejection(rek.send(new StartProjectVersionCommand({ ProjectVersionArn, MinInferenceUnits: 1 })))).toBeInstanceOf(ResourceInUseException);
    expect(await rejection(rek.send(new CreateProjectVersionCommand({ ProjectArn, VersionName: 'v1', OutputConfig: { S3Bucket: bucket } })))).toBeInstanceOf(ResourceInUseException);
    const trained = await waitUntilProjectVersionTrainingCompleted({ client: rek, ...fast }, { ProjectArn, VersionNames: ['v1'] });
    expect(trained.state).toBe('SUCCESS');
    const [v1] = (await rek.send(new DescribeProjectVersionsCommand({ ProjectArn, VersionNames: ['v1'] }))).ProjectVersionDescriptions!;
    expect(v1).toMatchObject({ Status: 'TRAINING_COMPLETED', EvaluationResult: { F1Score: 0.9 }, OutputConfig: { S3Bucket: bucket, S3KeyPrefix: `${prefix}/out/` } });
    expect(v1.BillableTrainingTimeInSeconds).toBeGreaterThanOrEqual(1);
    expect(v1.TrainingEndTimestamp!.getTime()).toBeGreaterThanOrEqual(v1.CreationTimestamp!.getTime());
    expect(v1.TrainingDataResult!.Input!.Assets![0].GroundTruthManifest!.S3Object).toEqual({ Bucket: bucket, Name: `${prefix}/train.manifest` });

    await rek.send(new StartProjectVersionCommand({ ProjectVersionArn, MinInferenceUnits: 1 }));
    expect((await waitUntilProjectVersionRunning({ client: rek, ...fast }, { ProjectArn, VersionNames: ['v1'] })).state).toBe('SUCCESS');

    // A project trained from a manifest without valid lines fails training.
    const { ProjectArn: badArn } = await rek.send(new CreateProjectCommand({ ProjectName: 'garbage' }));
    await rek.send(new CreateDatasetCommand({ ProjectArn: badArn, DatasetType: 'TRAIN', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: bucket, Name: `${prefix}/garbage.manifest` } } } }));
    await rek.send(new CreateDatasetCommand({ ProjectArn: badArn, DatasetType: 'TEST', DatasetSource: { GroundTruthManifest: { S3Object: { Bucket: bucket, Name: `${prefix}/test.manifest` } } } }));
    expect(standIn.manifests.at(-2)).toMatchObject({ lines: 2, validLines: 0, invalidLines: [1, 2] });
    const bad = await rek.send(new CreateProjectVersionCommand({ ProjectArn: badArn, VersionName: 'v1', OutputConfig: { S3Bucket: bucket } }));
    const failed = await rejection(waitUntilProjectVersionTrainingCompleted({ client: rek, ...fast }, { ProjectArn: badArn }));
    expect(failed.message).toContain('TRAINING_FAILED');
    expect(standIn.status(bad.ProjectVersionArn!)).toBe('TRAINING_FAILED');
    const [badVersion] = (await rek.send(new DescribeProjectVersionsCommand({ ProjectArn: badArn }))).ProjectVersionDescriptions!;
    expect(badVersion.StatusMessage).toContain('garbage.manifest');
    expect(badVersion.EvaluationResult).toBeUndefined();
    expect(await rejection(rek.send(new StartProjectVersionCommand({ ProjectVersionArn: bad.ProjectVersionArn, MinInferenceUnits: 1 })))).toBeInstanceOf(InvalidParameterException);
  });

  test('the training hook decides F1 or failure', async () => {
    const hooked = await startRekognitionStandIn({
      trainDelayMs: 50,
      training: (job) => (job.versionName === 'bad' ? { fail: 'The training data contains too few labels.' } : { f1Score: 0.42, billableTrainingSeconds: 1800 }),
    });
    const c = client(hooked);
    try {
      const { ProjectArn } = await c.send(new CreateProjectCommand({ ProjectName: 'hooked' }));
      const manifest = { Assets: [{ GroundTruthManifest: { S3Object: { Bucket: 'any-bucket', Name: 'm.manifest' } } }] };
      // Without datasets, TrainingData/TestingData name the manifests (no s3Reader here: taken as present).
      await c.send(new CreateProjectVersionCommand({ ProjectArn, VersionName: 'good', OutputConfig: { S3Bucket: 'out' }, TrainingData: manifest, TestingData: { AutoCreate: true } }));
      await c.send(new CreateProjectVersionCommand({ ProjectArn, VersionName: 'bad', OutputConfig: { S3Bucket: 'out' }, TrainingData: manifest, TestingData: { AutoCreate: true } }));
      expect((await waitUntilProjectVersionTrainingCompleted({ client: c, ...fast }, { ProjectArn, VersionNames: ['good'] })).state).toBe('SUCCESS');
      await rejection(waitUntilProjectVersionTrainingCompleted({ client: c, ...fast }, { ProjectArn, VersionNames: ['bad'] }));
      const versions = (await c.send(new DescribeProjectVersionsCommand({ ProjectArn }))).ProjectVersionDescriptions!;
      expect(versions.map((v) => v.ProjectVersionArn!.split('/')[3])).toEqual(['bad', 'good']); // latest first
      expect(versions[1]).toMatchObject({ Status: 'TRAINING_COMPLETED', EvaluationResult: { F1Score: 0.42 }, BillableTrainingTimeInSeconds: 1800 });
      expect(versions[0]).toMatchObject({ Status: 'TRAINING_FAILED', StatusMessage: 'The training data contains too few labels.' });
      const paged = await c.send(new DescribeProjectVersionsCommand({ ProjectArn, MaxResults: 1 }));
      expect(paged.ProjectVersionDescriptions).toHaveLength(1);
      const next = await c.send(new DescribeProjectVersionsCommand({ ProjectArn, MaxResults: 1, NextToken: paged.NextToken }));
      expect(next.ProjectVersionDescriptions![0].ProjectVersionArn).toBe(versions[1].ProjectVersionArn);
      expect(next.NextToken).toBeUndefined();
    } finally {
      c.destroy();
      await hooked.close();
    }
  });

  test('faults: throttling is typed and retried by the SDK, failures map to typed exceptions, latency delays', async () => {
    const arn = standIn.addVersion({ projectName: 'faults', versionName: 'v1', status: 'RUNNING' });
    standIn.setDetections(arn, () => [sign]);
    const image = { Bytes: await jpeg('green') };
    const once = client(standIn, { maxAttempts: 1 });
    try {
      standIn.faults = { throttle: [{ op: 'DetectCustomLabels', times: 1 }] };
      const throttled = await rejection(once.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: image })));
      expect(throttled).toBeInstanceOf(ThrottlingException);
      expect(throttled.name).toBe('ThrottlingException');
      expect(throttled.$fault).toBe('server');
      expect(throttled.$metadata?.httpStatusCode).toBe(500);

      standIn.faults = { throttle: [{ op: 'DetectCustomLabels', times: 1, error: 'ProvisionedThroughputExceededException' }] };
      const provisioned = await rejection(once.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: image })));
      expect(provisioned).toBeInstanceOf(ProvisionedThroughputExceededException);
      expect(provisioned.$metadata?.httpStatusCode).toBe(400);

      // The default client (3 attempts) retries throttling transparently.
      standIn.faults = { throttle: [{ op: 'DetectCustomLabels', times: 2 }] };
      const before = standIn.requests.length;
      expect((await rek.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: image }))).CustomLabels).toEqual([sign]);
      const attempts = standIn.requests.slice(before);
      expect(attempts.map((r) => r.errorType ?? r.status)).toEqual(['ThrottlingException', 'ThrottlingException', 200]);

      standIn.faults = { fail: [{ op: 'StartProjectVersion', times: 1, error: 'AccessDeniedException', message: 'User is not authorized' }] };
      const denied = await rejection(once.send(new StartProjectVersionCommand({ ProjectVersionArn: arn, MinInferenceUnits: 1 })));
      expect(denied).toBeInstanceOf(AccessDeniedException);
      expect(denied.message).toBe('User is not authorized');

      standIn.faults = { fail: [{ op: '*', times: 1, error: 'InternalServerError' }] };
      const internal = await rejection(once.send(new DescribeProjectsCommand({})));
      expect(internal).toBeInstanceOf(InternalServerError);
      expect(internal.$metadata?.httpStatusCode).toBe(500);
      expect((await once.send(new DescribeProjectsCommand({}))).ProjectDescriptions!.length).toBeGreaterThan(0); // times used up

      standIn.faults = { latencyMs: { DetectCustomLabels: 300 } };
      const t0 = Date.now();
      await once.send(new DetectCustomLabelsCommand({ ProjectVersionArn: arn, Image: image }));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    } finally {
      once.destroy();
    }
  });

  test('maxRunningModels answers LimitExceededException', async () => {
    const limited = await startRekognitionStandIn({ maxRunningModels: 1, startDelayMs: 10 });
    const c = client(limited, { maxAttempts: 1 }); // the SDK counts LimitExceededException as throttling and would retry it
    try {
      const a = limited.addVersion({ projectName: 'limits', versionName: 'a', status: 'RUNNING' });
      const b = limited.addVersion({ projectName: 'limits', versionName: 'b', status: 'STOPPED' });
      expect(await rejection(c.send(new StartProjectVersionCommand({ ProjectVersionArn: b, MinInferenceUnits: 1 })))).toBeInstanceOf(LimitExceededException);
      await c.send(new StopProjectVersionCommand({ ProjectVersionArn: a }));
      await c.send(new StartProjectVersionCommand({ ProjectVersionArn: b, MinInferenceUnits: 1 }));
      expect(limited.models().map((m) => [m.versionName, m.status])).toEqual([
        ['a', 'STOPPING'],
        ['b', 'STARTING'],
      ]);
    } finally {
      c.destroy();
      await limited.close();
    }
  });
});
