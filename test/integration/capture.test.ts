import { tempDir, useWorkerAndClient } from '../support/harness';
import { runScriptedCapture } from '../support/scripted-capture';

describe('captureCamera into a local folder', () => {
  const ctx = useWorkerAndClient('capture');

  test('stores exactly the images that differ, with manifest lines and exact counters', async () => {
    await runScriptedCapture(ctx.vf, `file://${tempDir('capture')}`, 'CWL9018');
  });
});
