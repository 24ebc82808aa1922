/**
 * Camera capture with --reject-blurry: the default blur model (trained here through
 * trainBlurModel) judges each new image; blurred ones are counted as rejected and
 * never stored.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { fileUrlOf } from '../../src/config';
import { startFakeCamera } from '../support/fake-camera';
import { eventually, runCli, tempDir, testEnv, useWorkerAndClient } from '../support/harness';
import { readStored } from '../support/stored-objects';
import { syntheticBlurSet } from '../support/synthetic-blur-set';

const models = tempDir('blur-capture-models');
const env = { VISIONFLOW_BLUR_MODELS: fileUrlOf(models) };
const ctx = useWorkerAndClient('blur-capture', env);

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('capture --reject-blurry keeps sharp frames and rejects blurred ones with the default model', async () => {
  const destination = fileUrlOf(tempDir('blur-capture-dest'));
  // No model yet: refused up front with a clear message (exit 2), not at the first image.
  const refused = await runCli(['capture', 'start', '--camera-id', 'cam-blur', '--url', 'http://127.0.0.1:9/x.jpg', '--reject-blurry', '--to', destination], testEnv('blur-capture', env));
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/--reject-blurry: no blur model/);

  const dataset = await syntheticBlurSet('blur-capture', 8);
  const run = await ctx.vf.blur.startTraining({ dataset, version: 'cap-1', params: { epochs: 30, test: 0, validation: 0.2 } });
  await ctx.vf.blur.trainingResult(run.workflowId);

  // The camera alternates sharp scenes and strongly defocused copies of them.
  const sharpFiles = fs.readdirSync(path.join(dataset, 'sharp')).filter((f) => f.endsWith('.jpg')).sort();
  const sharpFrames = sharpFiles.map((f) => fs.readFileSync(path.join(dataset, 'sharp', f)));
  const blurredFrames = await Promise.all(sharpFrames.map((b) => sharp(b).blur(8).jpeg({ quality: 90 }).toBuffer()));
  const frames = sharpFrames.flatMap((s, i) => [s, blurredFrames[i]]);
  const camera = await startFakeCamera((n) => ({ body: frames[n % frames.length], headers: { 'content-type': 'image/jpeg' } }));
  try {
    await ctx.vf.startCapture({ cameraId: 'cam-blur', url: camera.url, destination, everyMs: 1000, rejectBlurry: 50 });
    const status = await eventually(
      async () => {
        const s = await ctx.vf.captureStatus('cam-blur');
        return (s.counters.rejectedBy.blurry ?? 0) >= 3 && s.counters.kept >= 2 && s;
      },
      90_000,
      'blurred frames rejected and sharp ones kept',
    );
    await ctx.vf.stopCapture('cam-blur');
    expect(status.counters.rejectedBy.blurry).toBeGreaterThanOrEqual(3);
    const stored = await readStored(destination, 'cam-blur');
    const images = [...stored.entries()].filter(([k]) => k.endsWith('.jpg')).map(([, b]) => sha(b));
    const blurred = new Set(blurredFrames.map(sha));
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (const digest of images) expect(blurred.has(digest)).toBe(false);
  } finally {
    await camera.close();
  }
});
