import { startFakeCamera } from '../support/fake-camera';
import { eventually, s3Available, useWorkerAndClient } from '../support/harness';
import { scene } from '../support/scenes';
import { runScriptedCapture } from '../support/scripted-capture';

const describeS3 = s3Available() ? describe : describe.skip;
if (!s3Available()) console.warn('*** SKIPPED: captureCamera to S3 needs MinIO (see test/support/minio.ts) ***');

describeS3('captureCamera into S3 (MinIO)', () => {
  const ctx = useWorkerAndClient('capture-s3');

  test('--to s3://bucket/prefix stores the same images, manifest and counters', async () => {
    await runScriptedCapture(ctx.vf, `s3://${process.env.VF_TEST_S3_BUCKET}/cameras/lyon`, 'CWL9018');
  });

  test('a missing bucket is counted as storage_error on each tick, without retry storms, and capture goes on', async () => {
    const camera = await startFakeCamera([{ body: await scene(51) }]);
    try {
      await ctx.vf.startCapture({ cameraId: 'no-bucket', url: camera.url, destination: 's3://no-such-bucket-vf/x', everyMs: 1000, retries: 0 });
      const status = await eventually(async () => {
        const s = await ctx.vf.captureStatus('no-bucket');
        return s.counters.rejectedBy.storage_error >= 2 && s;
      }, 30_000, 'two storage errors');
      expect(status.state).toBe('running');
      expect(status.lastTick?.result).toMatchObject({ outcome: 'rejected', reason: 'storage_error' });
      expect(JSON.stringify(status.lastTick?.result)).toContain('s3://no-such-bucket-vf/x');
      // Non-retryable: one fetch per tick, not five.
      expect(camera.requests.length).toBeLessThanOrEqual(status.counters.fetched + 1);
      await ctx.vf.stopCapture('no-bucket');
    } finally {
      await camera.close();
    }
  });
});
