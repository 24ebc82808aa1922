/**
 * The `visionflow` CLI as a user runs it (bin/visionflow.js in a child process),
 * against the real dev server and a real worker.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeCamera, FakeCamera } from '../support/fake-camera';
import { CliRun, runCli as cli, eventually, RunningWorker, startWorker, tempDir, testConfig, testEnv } from '../support/harness';
import { scene } from '../support/scenes';

const json = (run: CliRun) => {
  if (run.code !== 0) throw new Error(`exit ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
};

describe('visionflow CLI', () => {
  let worker: RunningWorker;
  let camera: FakeCamera;
  let env: Record<string, string>;
  let destination: string;
  beforeAll(async () => {
    destination = tempDir('cli');
    env = testEnv('cli', { VISIONFLOW_STORAGE: `file://${destination}` });
    worker = await startWorker(testConfig('cli', { VISIONFLOW_STORAGE: `file://${destination}` }));
    const frames = await Promise.all([scene(41), scene(42), scene(43), scene(44)]);
    camera = await startFakeCamera((n) => ({ body: frames[Math.min(n, frames.length - 1)] }));
  });
  afterAll(async () => {
    await camera?.close();
    await worker?.stop();
  });

  test('--help lists the pipelines and exits 0', async () => {
    const run = await cli(['--help'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('capture');
    expect(run.stdout).toContain('status');
    const capture = await cli(['capture', 'start', '--help'], env);
    expect(capture.stdout).toContain('--max-distance');
  });

  test('status: all checks pass with a worker, exit 1 without one or without Temporal', async () => {
    const ok = json(await cli(['status', '--json'], env));
    expect(ok.ok).toBe(true);
    expect(ok.checks.map((c: { name: string }) => c.name)).toEqual(['temporal', 'queue visionflow', 'queue visionflow-cpu', 'queue visionflow-training', 'storage']);

    const noWorker = await cli(['status', '--json'], { ...env, TEMPORAL_NAMESPACE: 'cli-empty' });
    expect(noWorker.code).toBe(1);
    const checks = JSON.parse(noWorker.stdout).checks;
    expect(checks.find((c: { name: string }) => c.name === 'queue visionflow').ok).toBe(false);

    const noTemporal = await cli(['status'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(noTemporal.code).toBe(1);
    expect(noTemporal.stdout).toMatch(/FAIL\s+temporal/);
  });

  test('capture start, status, pause, resume, interval, stop', async () => {
    const started = json(await cli(['capture', 'start', '--camera-id', 'cli-cam', '--url', camera.url, '--every', '1s', '--to', destination, '--json'], env));
    expect(started.workflowId).toBe('capture-cli-cam');

    const twice = await cli(['capture', 'start', '--camera-id', 'cli-cam', '--url', camera.url], env);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('already running');

    await eventually(async () => json(await cli(['capture', 'status', 'cli-cam', '--json'], env)).counters.kept >= 2, 30_000, 'two kept images');
    const human = await cli(['capture', 'status', 'cli-cam'], env);
    expect(human.stdout).toMatch(/kept \d+/);

    const paused = json(await cli(['capture', 'pause', 'cli-cam', '--json'], env));
    expect(paused.state).toBe('paused');
    const attempts = paused.counters.fetched;
    await new Promise((r) => setTimeout(r, 2500));
    const stillPaused = json(await cli(['capture', 'status', 'cli-cam', '--json'], env));
    expect(stillPaused.counters.fetched).toBeLessThanOrEqual(attempts + 1); // a tick already in flight may finish

    expect(json(await cli(['capture', 'resume', 'cli-cam', '--json'], env)).state).toBe('running');
    expect(json(await cli(['capture', 'interval', 'cli-cam', '2s', '--json'], env)).everyMs).toBe(2000);
    await eventually(async () => json(await cli(['capture', 'status', 'cli-cam', '--json'], env)).everyMs === 2000, 10_000, 'new interval');

    const list = json(await cli(['capture', 'list', '--json'], env));
    expect(list.map((c: { cameraId: string }) => c.cameraId)).toContain('cli-cam');

    const stopped = json(await cli(['capture', 'stop', 'cli-cam', '--json'], env));
    expect(stopped.state).toBe('stopped');
    const files = fs.readdirSync(path.join(destination, 'cli-cam')).filter((f) => f.endsWith('.jpg'));
    expect(files).toHaveLength(stopped.counters.kept);
  });

  test('bad input exits 2 and names what is wrong', async () => {
    const bad = await cli(['capture', 'start', '--camera-id', '../x', '--url', 'ftp://camera/x.jpg'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('cameraId');
    expect(bad.stderr).toContain('url');

    const badEvery = await cli(['capture', 'start', '--camera-id', 'x', '--url', camera.url, '--every', 'soon'], env);
    expect(badEvery.code).toBe(2);
    expect(badEvery.stderr).toContain('--every');

    const missing = await cli(['capture', 'status', 'no-such-camera'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no capture or capture schedule for camera 'no-such-camera'");

    const badConfig = await cli(['status'], { ...env, S3_FORCE_PATH_STYLE: 'maybe' });
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('S3_FORCE_PATH_STYLE');
  });

  test('capture start --cameras FILE starts one capture per camera', async () => {
    const listFile = path.join(tempDir('cli-list'), 'cameras.json');
    fs.writeFileSync(listFile, JSON.stringify([{ id: 'list-a', url: camera.url }, { id: 'list-b', url: camera.url }]));
    const started = json(await cli(['capture', 'start', '--cameras', listFile, '--every', '1s', '--max-images', '1', '--json'], env));
    expect(started.workflowId).toMatch(/^capture-batch-/);
    await eventually(async () => {
      const status = json(await cli(['capture', 'status', started.workflowId, '--batch', '--json'], env));
      return status.cameras.every((c: { state: string }) => c.state === 'completed') && status;
    }, 30_000, 'both cameras completed');
    for (const id of ['list-a', 'list-b']) {
      expect(fs.readdirSync(path.join(destination, id)).filter((f) => f.endsWith('.jpg'))).toHaveLength(1);
    }
    const badList = path.join(tempDir('cli-list'), 'bad.json');
    fs.writeFileSync(badList, JSON.stringify([{ id: 'ok', url: 'nope' }]));
    const rejected = await cli(['capture', 'start', '--cameras', badList], env);
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toContain('entry 0');
  });

  test('capture schedule, status and unschedule', async () => {
    const created = json(await cli(['capture', 'schedule', '--camera-id', 'sched-cam', '--url', camera.url, '--cron', '*/5 6-21 * * *', '--timezone', 'Europe/Paris', '--json'], env));
    expect(created.scheduleId).toBe('capture-schedule-sched-cam');
    const status = json(await cli(['capture', 'status', 'sched-cam', '--json'], env));
    expect(status.schedule.nextRuns.length).toBeGreaterThan(0);
    expect(status.schedule.paused).toBe(false);
    expect(json(await cli(['capture', 'pause', 'sched-cam', '--json'], env)).schedule).toBe('paused');
    expect((await cli(['capture', 'unschedule', 'sched-cam'], env)).code).toBe(0);
    expect((await cli(['capture', 'status', 'sched-cam'], env)).code).toBe(2);
  });
});
