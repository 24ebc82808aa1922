/**
 * detectLogosInVideo on a generated video with a logo on screen at known times, against
 * the Rekognition stand-in (real AWS SDK client) and MinIO; and the model-safety
 * guarantees of the lease: stopped after a run, after a cancel, shared by concurrent
 * runs, and a model that was already running is left running.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { Visionflow } from '../../src/client';
import type { DetectLogosResult } from '../../src/workflows/detect-logos-in-video';
import { eventually, rootCause, runCli, s3Available, tempDir, testEnv, useWorkerAndClient } from '../support/harness';
import { fileURLToPath } from 'node:url';
import { acmeLogoPng, frameTimeOf, LOGO_RANGES, logoInPixels, logoOnAt, makeLogoVideo } from '../support/logo-video';
import { RekognitionStandIn, startRekognitionStandIn } from '../support/rekognition-stand-in';
import { readS3Object, readStored, testS3Client } from '../support/stored-objects';

const describeS3 = s3Available() ? describe : describe.skip;

const LOGO = { Name: 'acme-logo', Confidence: 91.5, Geometry: { BoundingBox: { Width: 0.1875, Height: 0.2222, Left: 0.0625, Top: 0.1111 } } };

describeS3('detectLogosInVideo with a Rekognition Custom Labels model', () => {
  let rek: RekognitionStandIn;
  let s3: S3Client;
  let videoUrl: string;
  const bucket = process.env.VF_TEST_S3_BUCKET!;
  beforeAll(async () => {
    s3 = testS3Client();
    rek = await startRekognitionStandIn({
      startDelayMs: 400,
      stopDelayMs: 200,
      s3Reader: (b, key) => readS3Object(s3, b, key),
      // The stand-in "sees" the logo exactly when the frame's pixels show it.
      detections: async (image) => (image.bytes && (await logoInPixels(image.bytes)) ? [LOGO] : []),
    });
    videoUrl = `file://${await makeLogoVideo(tempDir('video'))}`;
  });
  afterAll(async () => {
    await rek?.close();
    s3?.destroy();
  });
  const ctx = useWorkerAndClient('video', () => ({ REKOGNITION_ENDPOINT: rek.url, REKOGNITION_POLL_INTERVAL: '100ms', AWS_REGION: 'us-east-1' }));

  const detect = (vf: Visionflow, id: string, arn: string, extra: Record<string, unknown> = {}) =>
    vf.client.workflow.start('detectLogosInVideo', {
      taskQueue: 'visionflow',
      workflowId: id,
      args: [
        {
          video: videoUrl,
          every: 0.5,
          framesTo: `s3://${bucket}/frames`,
          reportTo: `s3://${bucket}/reports/${id}.json`,
          detector: { type: 'rekognition', modelArn: arn, idleTimeoutMs: 500, leaseMs: 20_000 },
          segmentS: 4,
          ...extra,
        },
      ],
    });

  test('frames named by time in S3, detections in the report, intervals merged, model started once and stopped', async () => {
    const arn = rek.addVersion({ projectName: 'logos', versionName: 'v1' });
    const handle = await detect(ctx.vf, 'detect-1', arn);
    const result = (await handle.result()) as DetectLogosResult;
    expect(result.frames).toBe(24);

    const frames = await readStored(`s3://${bucket}/frames`, 'promo-clip');
    const keys = [...frames.keys()].filter((k) => k.endsWith('.jpg')).sort();
    expect(keys).toHaveLength(24);
    expect(keys[0]).toBe('promo-clip/t000000.000.jpg');
    expect(keys[7]).toBe('promo-clip/t000003.500.jpg');
    for (const key of keys) expect(await logoInPixels(frames.get(key)!)).toBe(logoOnAt(frameTimeOf(key)));

    const report = JSON.parse(await reportText('detect-1'));
    expect(report.frames).toHaveLength(24);
    for (const f of report.frames) expect(f.detections.length > 0).toBe(logoOnAt(f.tS));
    expect(report.labels).toEqual([
      expect.objectContaining({ label: 'acme-logo', frames: 10, intervals: [{ startS: 3, endS: 6 }, { startS: 9, endS: 11 }], screenTimeS: 5, maxConfidence: 91.5 }),
    ]);
    expect(report.model).toMatchObject({ arn, startedByLease: true });
    expect(report.estimatedCost.usd).toBeGreaterThanOrEqual(0);
    // DetectCustomLabels got S3 references, not bytes, with the default minimum confidence.
    const calls = rek.requests.filter((r) => r.op === 'DetectCustomLabels');
    expect(calls.every((c) => (c.body?.Image as { S3Object?: unknown }).S3Object !== undefined && c.body?.MinConfidence === 40)).toBe(true);

    await eventually(async () => rek.status(arn) === 'STOPPED', 20_000, 'the model to stop after the idle timeout');
    expect(rek.billing(arn)).toMatchObject({ starts: 1, stops: 1 });
    expect(rek.billing(arn).runningMs).toBeGreaterThan(0);
  });

  test('frames in a local folder go as bytes; a cancelled run still releases and the model stops', async () => {
    const arn = rek.addVersion({ projectName: 'logos', versionName: 'v2' });
    rek.faults = { latencyMs: { DetectCustomLabels: 400 } };
    const framesTo = `file://${tempDir('frames-local')}`;
    const handle = await detect(ctx.vf, 'detect-cancel', arn, { framesTo, reportTo: `file://${tempDir('reports-local')}` });
    await eventually(async () => rek.requests.some((r) => r.op === 'DetectCustomLabels' && (r.body?.Image as { Bytes?: unknown }).Bytes !== undefined), 60_000, 'detection with bytes');
    await handle.cancel();
    const outcome = await handle.result().catch((e) => e);
    expect(outcome).toBeInstanceOf(WorkflowFailedError);
    await eventually(async () => rek.status(arn) === 'STOPPED', 20_000, 'the model to stop after the cancel');
    expect(rek.billing(arn)).toMatchObject({ starts: 1, stops: 1 });
    rek.faults = {};
  });

  test('two concurrent runs share one start and one stop; a model running before is left running', async () => {
    const arn = rek.addVersion({ projectName: 'logos', versionName: 'v3' });
    const [a, b] = await Promise.all([detect(ctx.vf, 'detect-a', arn), detect(ctx.vf, 'detect-b', arn)]);
    await Promise.all([a.result(), b.result()]);
    await eventually(async () => rek.status(arn) === 'STOPPED', 20_000, 'the shared model to stop');
    expect(rek.billing(arn)).toMatchObject({ starts: 1, stops: 1 });

    const running = rek.addVersion({ projectName: 'logos', versionName: 'v4', status: 'RUNNING' });
    const run = await detect(ctx.vf, 'detect-running', running);
    const result = (await run.result()) as DetectLogosResult;
    expect(result.labels[0]?.label).toBe('acme-logo');
    await new Promise((r) => setTimeout(r, 1500)); // well past the idle timeout
    expect(rek.status(running)).toBe('RUNNING');
    expect(rek.billing(running)).toMatchObject({ starts: 0, stops: 0 });
  });

  test('a model that fails to start fails the run clearly; a non-video is rejected', async () => {
    const arn = rek.addVersion({ projectName: 'logos', versionName: 'broken', failOnStart: 'not enough capacity' });
    const failed = await (await detect(ctx.vf, 'detect-broken', arn)).result().catch((e) => e);
    expect(rootCause(failed)).toContain('did not start');
    expect(rootCause(failed)).toContain('not enough capacity');

    const notVideo = path.join(tempDir('not-video'), 'page.mp4');
    fs.writeFileSync(notVideo, '<html><body>Not found</body></html>');
    const rejected = await (await detect(ctx.vf, 'detect-html', arn, { video: `file://${notVideo}` })).result().catch((e) => e);
    expect(rootCause(rejected)).toMatch(/not a video|no video/i);
  });

  test('the local detector (no cloud) finds each appearance within one step, from the CLI', async () => {
    const logos = tempDir('logos');
    fs.writeFileSync(path.join(logos, 'acme-logo.png'), await acmeLogoPng());
    const out = tempDir('local-out');
    const before = rek.requests.length;
    const run = await runCli(
      ['video', 'detect', fileURLToPath(videoUrl), '--logos', logos, '--every', '500ms', '--annotate', '--frames-to', path.join(out, 'frames'), '--report-to', path.join(out, 'report.json'), '--json'],
      testEnv('video', { REKOGNITION_ENDPOINT: rek.url }),
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as DetectLogosResult;
    expect(result.frames).toBe(24);
    expect(result.labels).toHaveLength(1);
    const [logo] = result.labels;
    expect(logo.label).toBe('acme-logo');
    // Each appearance is found within one step (0.5 s) at both ends; nothing outside them.
    expect(logo.intervals).toHaveLength(2);
    logo.intervals.forEach((interval, i) => {
      expect(Math.abs(interval.startS - LOGO_RANGES[i][0])).toBeLessThanOrEqual(0.5);
      expect(Math.abs(interval.endS - LOGO_RANGES[i][1])).toBeLessThanOrEqual(0.5);
    });
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report.model).toMatchObject({ type: 'local' });
    for (const f of report.frames) if (!logoOnAt(f.tS)) expect(f.detections).toEqual([]);
    expect(rek.requests.length).toBe(before); // no cloud call at all
    const annotated = fs.readdirSync(path.join(out, 'frames', 'promo-clip', 'annotated'));
    expect(annotated).toHaveLength(logo.frames);
    expect(report.annotatedFrames.count).toBe(logo.frames);

    // A model visionflow did not start is stopped only with --force.
    const running = rek.addVersion({ projectName: 'logos', versionName: 'manual', status: 'RUNNING' });
    const env = testEnv('video', { REKOGNITION_ENDPOINT: rek.url, AWS_REGION: 'us-east-1' });
    const refused = await runCli(['rekognition', 'stop', running], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--force');
    expect((await runCli(['rekognition', 'stop', running, '--force'], env)).code).toBe(0);
    await eventually(async () => rek.status(running) === 'STOPPED', 10_000, 'the forced stop');
    const models = await runCli(['rekognition', 'models', '--json'], env);
    expect(models.code).toBe(0);
    expect(Array.isArray(JSON.parse(models.stdout))).toBe(true);
  });

  async function reportText(id: string): Promise<string> {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `reports/${id}.json` }));
    return Buffer.from(await res.Body!.transformToByteArray()).toString();
  }
});
