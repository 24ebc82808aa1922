/**
 * Kill the worker process (SIGKILL) in the middle of training, start another one:
 * training resumes from the last saved epoch (not from scratch), finishes all epochs
 * and publishes one complete model.
 */
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Visionflow } from '../../src/client';
import { fileUrlOf } from '../../src/config';
import { connectClient, eventually, spawnWorkerProcess, tempDir, testConfig, testEnv } from '../support/harness';
import { syntheticBlurSet } from '../support/synthetic-blur-set';

describe('trainBlurModel survives a worker crash', () => {
  const models = tempDir('blur-crash-models');
  const extra = { VISIONFLOW_BLUR_MODELS: fileUrlOf(models) };
  let vf: Visionflow;
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    vf = await connectClient(testConfig('blur-crash', extra));
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await vf?.close();
  });

  test('kill -9 mid-training, new worker: resumes at the saved epoch and publishes once', async () => {
    const dataset = await syntheticBlurSet('blur-crash', 6);
    const env = testEnv('blur-crash', extra);
    workers.push(await spawnWorkerProcess(env));
    // Per stage: the first on train, the final fit on train + validation (staged-training.ts).
    const stageEpochs = 2000;
    const epochs = 2 * stageEpochs;
    const run = await vf.blur.startTraining({ dataset, version: 'crash-1', params: { epochs: stageEpochs, batchSize: 8 } });
    const checkpoint = path.join(models, '_runs', 'crash-1', 'checkpoint.json');
    // Kill in the final fit, a few hundred epochs after the switch and well before the end.
    const savedAtKill = await eventually(
      async () => {
        if (!fs.existsSync(checkpoint)) return undefined;
        const epoch = (JSON.parse(fs.readFileSync(checkpoint, 'utf8')) as { epoch: number }).epoch;
        return epoch >= stageEpochs + 300 && epoch;
      },
      180_000,
      'a few hundred epochs of the final fit saved',
    );
    workers[0].kill('SIGKILL');
    await new Promise((r) => workers[0].once('exit', r));
    expect(savedAtKill).toBeLessThan(epochs - 400);

    workers.push(await spawnWorkerProcess(env));
    const model = await vf.blur.trainingResult(run.workflowId);
    const meta = await vf.blur.model('crash-1');
    expect(model.version).toBe('crash-1');
    expect(meta.training.epochs).toBe(epochs);
    // Resumed from a checkpoint at or after the one seen before the kill, never from epoch 0.
    expect(meta.training.resumedAtEpoch.length).toBeGreaterThanOrEqual(1);
    expect(meta.training.resumedAtEpoch[0]).toBeGreaterThanOrEqual(savedAtKill);
    expect(meta.training.history.map((h) => h.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
    expect(meta.training.history.filter((h) => h.refit).length).toBe(stageEpochs);
    expect((await vf.blur.models()).map((m) => m.version)).toEqual(['crash-1']);
    // The run's scratch (plan, features, checkpoint) is gone.
    const runs = path.join(models, '_runs');
    const left = fs.existsSync(runs) ? (fs.readdirSync(runs, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((e) => e.isFile() && !e.parentPath.includes('.visionflow-meta')) : [];
    expect(left.map((e) => e.name)).toEqual([]);
  }, 300_000);
});
