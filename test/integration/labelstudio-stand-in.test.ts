/**
 * What a local Label Studio cannot show, against the stand-in: the storage-data and
 * local-files forms, s3:// through the resolve redirect, an absolute URL on another host
 * that must never see the token, 429/500 faults, a non-image body; and a crash
 * mid-download that resumes without fetching finished images again.
 */
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Visionflow } from '../../src/client';
import { connectClient, eventually, spawnWorkerProcess, tempDir, testConfig, testEnv, useWorkerAndClient } from '../support/harness';
import { LsStandIn, startLabelStudioStandIn } from '../support/label-studio-stand-in';
import { scene } from '../support/scenes';

const TOKEN = 'legacy-stand-in-token';
const box = { type: 'rectanglelabels', from_name: 'label', to_name: 'image', original_width: 640, original_height: 360, value: { x: 10, y: 10, width: 20, height: 20, rotation: 0, rectanglelabels: ['car'] } };

describe('downloadLabelStudioExport, every image reference form (stand-in)', () => {
  let ls: LsStandIn;
  const images: Record<string, Buffer> = {};
  beforeAll(async () => {
    for (const [i, name] of ['upload', 'storage', 'local', 's3', 'cdn', 'flaky', 'busy'].entries()) images[name] = await scene(70 + i);
    ls = await startLabelStudioStandIn({
      legacyToken: TOKEN,
      projectId: 3,
      tasks: [
        { id: 1, image: '/data/upload/3/a1b2c3d4-upload.jpg', annotations: [[box]] },
        { id: 2, image: '/storage-data/uploaded/?filepath=upload/3/storage.jpg', annotations: [[box]] },
        { id: 3, image: '/data/local-files/?d=images/local.jpg', annotations: [[box]] },
        { id: 4, image: 's3://survey-bucket/frames/s3.jpg', annotations: [[box]] },
        { id: 5, image: '{other}/cdn/cdn.jpg', annotations: [[box]] },
        { id: 6, image: '/data/upload/3/flaky.jpg', annotations: [[box]] },
        { id: 7, image: '/data/upload/3/busy.jpg', annotations: [[box]] },
        { id: 8, image: '/data/upload/3/login-page.jpg', annotations: [[box]] },
      ],
      files: {
        '/data/upload/3/a1b2c3d4-upload.jpg': { body: images.upload, contentType: 'image/jpeg' },
        '/storage-data/uploaded/?filepath=upload/3/storage.jpg': { body: images.storage, contentType: 'image/jpeg' },
        '/data/local-files/?d=images/local.jpg': { body: images.local, contentType: 'image/jpeg' },
        '/data/upload/3/flaky.jpg': { body: images.flaky, contentType: 'image/jpeg' },
        '/data/upload/3/busy.jpg': { body: images.busy, contentType: 'image/jpeg' },
      },
      otherHostFiles: { '/cdn/cdn.jpg': { body: images.cdn, contentType: 'image/jpeg' } },
      s3Objects: { 's3://survey-bucket/frames/s3.jpg': { body: images.s3, contentType: 'image/jpeg' } },
    });
  });
  afterAll(() => ls?.close());
  const ctx = useWorkerAndClient('ls-stand-in', () => ({ LABEL_STUDIO_URL: ls.url, LABEL_STUDIO_TOKEN: TOKEN }));

  test('all forms resolve, faults are retried, the other host never sees the token, a non-image fails only its task', async () => {
    ls.faults = {
      errors: { '/data/upload/3/flaky.jpg': { status: 500, times: 2 }, '/data/upload/3/busy.jpg': { status: 429, times: 1, retryAfterSeconds: 1 } },
      override: { '/data/upload/3/login-page.jpg': { status: 200, body: '<!doctype html><title>Login</title>', contentType: 'text/html' } },
    };
    const destination = `file://${tempDir('ls-forms')}`;
    const run = await ctx.vf.startLabelStudioDownload({ source: { type: 'project', projectId: 3 }, destination, concurrency: 4 }, 'ls-forms');
    const result = await ctx.vf.labelStudioResult(run.workflowId);
    expect(result).toMatchObject({ tasks: 8, downloaded: 7, failed: 1, malformed: 0 });

    const root = fileURLToPath(destination);
    const expected: Record<string, Buffer> = {
      'a1b2c3d4-upload.jpg': images.upload,
      'storage.jpg': images.storage,
      'local.jpg': images.local,
      's3.jpg': images.s3,
      'cdn.jpg': images.cdn,
      'flaky.jpg': images.flaky,
      'busy.jpg': images.busy,
    };
    for (const [name, body] of Object.entries(expected)) expect(fs.readFileSync(path.join(root, 'images', name))).toEqual(body);
    expect(fs.existsSync(path.join(root, 'images', 'login-page.jpg'))).toBe(false);
    const report = JSON.parse(fs.readFileSync(path.join(root, '_report.json'), 'utf8'));
    expect(report.tasks.find((t: { taskId: number }) => t.taskId === 8)).toMatchObject({ status: 'failed', reason: expect.stringContaining('not an image') });

    // The token reached only the Label Studio host; the presigned redirect and the CDN got none.
    const other = ls.requests.filter((r) => r.host === 'other');
    expect(other.length).toBeGreaterThanOrEqual(2);
    expect(other.filter((r) => r.authorization !== undefined)).toEqual([]);
    const self = ls.requests.filter((r) => r.host === 'self');
    expect(self.every((r) => r.authorization === `Token ${TOKEN}`)).toBe(true);
    expect(ls.requests.filter((r) => r.path === '/data/upload/3/flaky.jpg')).toHaveLength(3);
    expect(ls.requests.filter((r) => r.path === '/data/upload/3/busy.jpg')).toHaveLength(2);
    ls.faults = {};
  });

  test('--rps limits the request rate instead of a fixed sleep', async () => {
    // Every image answers at once here, so only the limiter can make the run take time.
    ls.faults = { override: { '/data/upload/3/login-page.jpg': { status: 200, body: images.busy, contentType: 'image/jpeg' } } };
    const destination = `file://${tempDir('ls-rps')}`;
    const before = ls.requests.length;
    const started = Date.now();
    const run = await ctx.vf.startLabelStudioDownload({ source: { type: 'project', projectId: 3 }, destination, concurrency: 8, requestsPerSecond: 4 }, 'ls-rps');
    await ctx.vf.labelStudioResult(run.workflowId);
    const fileRequests = ls.requests.slice(before).filter((r) => r.host === 'self' && !r.path.startsWith('/api/'));
    // 7 requests on Label Studio plus the CDN and presigned ones, at 4/s: at least 1.75 s whatever the concurrency.
    expect(fileRequests.length).toBeGreaterThanOrEqual(7);
    expect(Date.now() - started).toBeGreaterThan(1700);
    expect(ls.requests.slice(before).every((r) => r.status < 400)).toBe(true);
    ls.faults = {};
  });
});

describe('downloadLabelStudioExport survives a worker crash', () => {
  let ls: LsStandIn;
  let vf: Visionflow;
  const workers: ChildProcess[] = [];
  const COUNT = 30;
  beforeAll(async () => {
    const files: Record<string, { body: Buffer }> = {};
    const tasks = [];
    for (let i = 0; i < COUNT; i++) {
      const file = `/data/upload/5/img_${String(i).padStart(3, '0')}.jpg`;
      files[file] = { body: await scene(200 + i) };
      tasks.push({ id: 100 + i, image: file, annotations: [[box]] });
    }
    ls = await startLabelStudioStandIn({ legacyToken: TOKEN, projectId: 5, tasks, files });
    ls.faults = { delayMs: { '/data/upload/5/': 300 } };
    vf = await connectClient(testConfig('ls-crash'));
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await vf?.close();
    await ls?.close();
  });

  test('kill -9 mid-download, new worker: finished images are not downloaded again', async () => {
    const destination = `file://${tempDir('ls-crash')}`;
    const root = fileURLToPath(destination);
    const env = testEnv('ls-crash', { LABEL_STUDIO_URL: ls.url, LABEL_STUDIO_TOKEN: TOKEN });
    workers.push(await spawnWorkerProcess(env));
    const run = await vf.startLabelStudioDownload({ source: { type: 'project', projectId: 5 }, destination, concurrency: 2, batchSize: 10 }, 'ls-crash');
    const stored = () => (fs.existsSync(path.join(root, 'images')) ? fs.readdirSync(path.join(root, 'images')).filter((n) => n.endsWith('.jpg')) : []);
    await eventually(async () => stored().length >= 8, 60_000, 'eight images stored');
    workers[0].kill('SIGKILL');
    await new Promise((r) => workers[0].once('exit', r));
    const finished = stored();

    workers.push(await spawnWorkerProcess(env));
    const result = await vf.labelStudioResult(run.workflowId);
    expect(result).toMatchObject({ tasks: COUNT, failed: 0 });
    expect(result.downloaded + result.skipped).toBe(COUNT);
    expect(stored()).toHaveLength(COUNT);
    for (const name of finished) {
      expect({ name, requests: ls.requests.filter((r) => r.path === `/data/upload/5/${name}`).length }).toEqual({ name, requests: 1 });
    }
    expect(fs.readdirSync(path.join(root, 'labels'))).toHaveLength(COUNT);
  });
});
