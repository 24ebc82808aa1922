/**
 * Kill the worker process (SIGKILL) while a tick's fetch is in flight, start another
 * worker, and check the capture goes on with nothing duplicated and nothing lost.
 */
import { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Visionflow } from '../../src/client';
import { CaptureStatus } from '../../src/workflows/capture-signals';
import { startFakeCamera } from '../support/fake-camera';
import { connectClient, eventually, spawnWorkerProcess, tempDir, testConfig, testEnv } from '../support/harness';
import { scene } from '../support/scenes';
import { readStored } from '../support/stored-objects';

describe('captureCamera survives a worker crash', () => {
  let vf: Visionflow;
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    vf = await connectClient(testConfig('crash'));
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await vf?.close();
  });

  test('kill -9 mid-fetch, new worker: capture continues, no duplicate, no lost image', async () => {
    const frames = await Promise.all(Array.from({ length: 40 }, (_, i) => scene(100 + i)));
    // Every request gets a new scene, slowly, so a fetch is in flight most of the time.
    const camera = await startFakeCamera((n) => ({ body: frames[n % frames.length], delayMs: 1200, headers: { 'content-type': 'image/jpeg' } }));
    const destination = `file://${tempDir('crash')}`;
    const env = testEnv('crash', { VISIONFLOW_STORAGE: destination });
    try {
      workers.push(await spawnWorkerProcess(env));
      await vf.startCapture({ cameraId: 'cam-crash', url: camera.url, destination, everyMs: 1000, fetchTimeoutMs: 5000, retries: 0 });
      await eventually(async () => (await vf.captureStatus('cam-crash')).counters.kept >= 2, 60_000, 'two kept images');
      await eventually(async () => camera.inFlight() > 0, 10_000, 'a fetch in flight');
      const requestsAtKill = camera.requests.length;
      workers[0].kill('SIGKILL');
      await new Promise((r) => workers[0].once('exit', r));

      workers.push(await spawnWorkerProcess(env));
      const keptBefore = (await vf.captureStatus('cam-crash')).counters.kept;
      await eventually(async () => (await vf.captureStatus('cam-crash')).counters.kept >= keptBefore + 3, 90_000, 'three more kept images after the crash');
      expect(camera.requests.length).toBeGreaterThan(requestsAtKill);
      const final: CaptureStatus = await vf.stopCapture('cam-crash');

      const stored = await readStored(destination, 'cam-crash');
      const images = [...stored.keys()].filter((k) => k.endsWith('.jpg'));
      const manifest = stored.get('cam-crash/manifest.jsonl')!.toString().trim().split('\n').map((l) => JSON.parse(l));
      // Nothing lost: every stored image has its manifest line and is counted, and back.
      expect(manifest.map((l) => l.key).sort()).toEqual(images);
      expect(final.counters.kept).toBe(images.length);
      // Nothing twice: no key or content appears twice.
      expect(new Set(manifest.map((l) => l.key)).size).toBe(manifest.length);
      const digests = images.map((k) => createHash('sha256').update(stored.get(k)!).digest('hex'));
      expect(new Set(digests).size).toBe(images.length);
      for (const line of manifest) expect(digests).toContain(line.sha256);
      // The fetch killed with the worker was retried: one request more than ticks.
      expect(camera.requests.length).toBe(final.counters.fetched + 1);
    } finally {
      await camera.close();
    }
  });
});
