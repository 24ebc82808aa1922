import { Visionflow } from '../../src/client';
import { connectClient, RunningWorker, s3Available, startWorker, testConfig } from '../support/harness';
import { runScriptedCapture } from '../support/scripted-capture';

const describeS3 = s3Available() ? describe : describe.skip;
if (!s3Available()) console.warn('*** SKIPPED: captureCamera to S3 needs MinIO (see test/support/minio.ts) ***');

describeS3('captureCamera into S3 (MinIO)', () => {
  let worker: RunningWorker;
  let vf: Visionflow;
  beforeAll(async () => {
    const config = testConfig('capture-s3');
    worker = await startWorker(config);
    vf = await connectClient(config);
  });
  afterAll(async () => {
    await vf?.close();
    await worker?.stop();
  });

  test('--to s3://bucket/prefix stores the same images, manifest and counters', async () => {
    await runScriptedCapture(vf, `s3://${process.env.VF_TEST_S3_BUCKET}/cameras/lyon`, 'CWL9018');
  });
});
