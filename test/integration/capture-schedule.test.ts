import { Visionflow } from '../../src/client';
import { startFakeCamera } from '../support/fake-camera';
import { connectClient, eventually, RunningWorker, startWorker, tempDir, testConfig } from '../support/harness';
import { reencodeWithNoise, scene } from '../support/scenes';
import { readStored } from '../support/stored-objects';

describe('scheduled capture', () => {
  let worker: RunningWorker;
  let vf: Visionflow;
  beforeAll(async () => {
    const config = testConfig('schedule');
    worker = await startWorker(config);
    vf = await connectClient(config);
  });
  afterAll(async () => {
    await vf?.close();
    await worker?.stop();
  });

  test('each scheduled run captures once and dedupes against earlier runs through storage', async () => {
    const a = await scene(21);
    const b = await scene(22);
    const camera = await startFakeCamera([{ body: a }, { body: await reencodeWithNoise(a, 5) }, { body: a }, { body: b }]);
    const destination = `file://${tempDir('schedule')}`;
    try {
      await vf.scheduleCapture({ cameraId: 'cam-sched', url: camera.url, destination, cron: ['0 6-21 * * *'], timezone: 'Europe/Paris' });
      const described = await vf.captureScheduleStatus('cam-sched');
      expect(described.nextRuns.length).toBeGreaterThan(0);
      for (let run = 1; run <= 4; run++) {
        await vf.triggerCaptureSchedule('cam-sched');
        await eventually(async () => (await vf.captureScheduleStatus('cam-sched')).recentRuns.length >= run, 30_000, `scheduled run ${run}`);
        await eventually(async () => (await vf.lastScheduledCapture('cam-sched')) ?? undefined, 30_000, `result of run ${run}`);
      }
      const outcomes = await Promise.all(
        (await vf.captureScheduleStatus('cam-sched')).recentRuns.map(async (r) => (await vf.client.workflow.getHandle(r.workflowId, r.runId).result()).tick),
      );
      expect(outcomes.map((t) => (t.outcome === 'duplicate' ? t.reason : t.outcome))).toEqual(['kept', 'similar', 'identical_bytes', 'kept']);
      const stored = await readStored(destination, 'cam-sched');
      const images = [...stored.keys()].filter((k) => k.endsWith('.jpg'));
      expect(images.map((k) => stored.get(k))).toEqual([a, b]);
      expect(stored.has('cam-sched/state.json')).toBe(true);
    } finally {
      await vf.deleteCaptureSchedule('cam-sched').catch(() => undefined);
      await camera.close();
    }
    expect(await vf.hasCaptureSchedule('cam-sched')).toBe(false);
  });
});
