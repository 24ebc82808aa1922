import { startFakeCamera } from '../support/fake-camera';
import { eventually, tempDir, useWorkerAndClient } from '../support/harness';
import { reencodeWithNoise, scene } from '../support/scenes';
import { readStored } from '../support/stored-objects';

describe('scheduled capture', () => {
  const ctx = useWorkerAndClient('schedule');

  test('each scheduled run captures once and dedupes against earlier runs through storage', async () => {
    const a = await scene(21);
    const b = await scene(22);
    const camera = await startFakeCamera([{ body: a }, { body: await reencodeWithNoise(a, 5) }, { body: a }, { body: b }]);
    const destination = `file://${tempDir('schedule')}`;
    try {
      await ctx.vf.scheduleCapture({ cameraId: 'cam-sched', url: camera.url, destination, cron: ['0 6-21 * * *'], timezone: 'Europe/Paris' });
      const described = await ctx.vf.captureScheduleStatus('cam-sched');
      expect(described.nextRuns.length).toBeGreaterThan(0);
      for (let run = 1; run <= 4; run++) {
        await ctx.vf.triggerCaptureSchedule('cam-sched');
        await eventually(async () => (await ctx.vf.captureScheduleStatus('cam-sched')).recentRuns.length >= run, 30_000, `scheduled run ${run}`);
        await eventually(async () => (await ctx.vf.lastScheduledCapture('cam-sched')) ?? undefined, 30_000, `result of run ${run}`);
      }
      const outcomes = await Promise.all(
        (await ctx.vf.captureScheduleStatus('cam-sched')).recentRuns.map(async (r) => (await ctx.vf.client.workflow.getHandle(r.workflowId, r.runId).result()).tick),
      );
      expect(outcomes.map((t) => (t.outcome === 'duplicate' ? t.reason : t.outcome))).toEqual(['kept', 'similar', 'identical_bytes', 'kept']);
      const stored = await readStored(destination, 'cam-sched');
      const images = [...stored.keys()].filter((k) => k.endsWith('.jpg'));
      expect(images.map((k) => stored.get(k))).toEqual([a, b]);
      expect(stored.has('cam-sched/state.json')).toBe(true);
    } finally {
      await ctx.vf.deleteCaptureSchedule('cam-sched').catch(() => undefined);
      await camera.close();
    }
    expect(await ctx.vf.hasCaptureSchedule('cam-sched')).toBe(false);
  });
});
