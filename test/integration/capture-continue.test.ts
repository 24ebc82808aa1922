import { CaptureStatus } from '../../src/workflows/capture-signals';
import { startFakeCamera } from '../support/fake-camera';
import { tempDir, useWorkerAndClient } from '../support/harness';
import { reencodeWithNoise, scene } from '../support/scenes';
import { readStored } from '../support/stored-objects';

describe('captureCamera continue-as-new', () => {
  const ctx = useWorkerAndClient('continue');

  test('dedupe state and counters survive continue-as-new every 2 ticks', async () => {
    const a = await scene(11);
    const b = await scene(12);
    const c = await scene(13);
    const bodies = [a, await reencodeWithNoise(a, 1), a, await reencodeWithNoise(a, 2), a, b, await reencodeWithNoise(b, 3), c];
    const camera = await startFakeCamera(bodies.map((body) => ({ body })));
    const destination = `file://${tempDir('continue')}`;
    try {
      const started = await ctx.vf.startCapture({
        cameraId: 'cam-can',
        url: camera.url,
        destination,
        everyMs: 1000,
        retries: 0,
        maxImages: 3,
        continueAsNewAfter: 2,
      });
      const handle = ctx.vf.client.workflow.getHandle('capture-cam-can');
      const final = (await handle.result()) as CaptureStatus;
      const description = await handle.describe();
      expect(description.runId).not.toBe(started.runId);
      expect(final.run).toBe(4);
      expect(final.counters).toEqual({
        fetched: 8,
        kept: 3,
        duplicate: 5,
        duplicateBy: { identical_bytes: 2, similar: 3, not_modified: 0 },
        rejected: 0,
        rejectedBy: {},
      });
      const stored = await readStored(destination, 'cam-can');
      const images = [...stored.keys()].filter((k) => k.endsWith('.jpg'));
      expect(images.map((k) => stored.get(k))).toEqual([a, b, c]);
    } finally {
      await camera.close();
    }
  });
});
