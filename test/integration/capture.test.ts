import { Visionflow } from '../../src/client';
import { connectClient, RunningWorker, startWorker, tempDir, testConfig } from '../support/harness';
import { runScriptedCapture } from '../support/scripted-capture';

describe('captureCamera into a local folder', () => {
  let worker: RunningWorker;
  let vf: Visionflow;
  beforeAll(async () => {
    const config = testConfig('capture');
    worker = await startWorker(config);
    vf = await connectClient(config);
  });
  afterAll(async () => {
    await vf?.close();
    await worker?.stop();
  });

  test('stores exactly the images that differ, with manifest lines and exact counters', async () => {
    await runScriptedCapture(vf, `file://${tempDir('capture')}`, 'CWL9018');
  });
});
