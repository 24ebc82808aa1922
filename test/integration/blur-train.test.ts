/**
 * trainBlurModel and predictBlur end to end on a real worker: a synthetic dataset
 * from real photos, training through the workflow, the registry, predictions on a
 * folder (report, CSV, quarantine) and on one image, cancellation, bad datasets.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileUrlOf } from '../../src/config';
import { BLUR_CLASSES } from '../../src/lib/blur/blur-classes';
import { eventually, rootCause, runCli, tempDir, testEnv, useWorkerAndClient } from '../support/harness';
import { syntheticBlurSet } from '../support/synthetic-blur-set';

const models = tempDir('blur-models');
const ctx = useWorkerAndClient('blur', { VISIONFLOW_BLUR_MODELS: fileUrlOf(models) });
let dataset: string;

beforeAll(async () => {
  dataset = await syntheticBlurSet('blur-train', 10);
  // A file whose type letter disagrees with its folder, and a stray file.
  const sharpFile = jpgs(path.join(dataset, 'sharp'))[0];
  fs.copyFileSync(path.join(dataset, 'sharp', sharpFile), path.join(dataset, 'motion_blurred', 'zz_cam_S.jpg'));
  fs.writeFileSync(path.join(dataset, 'notes.txt'), 'not part of the dataset');
}, 120_000);

describe('trainBlurModel', () => {
  test('trains through the workflow and publishes a complete, listed model', async () => {
    const run = await ctx.vf.blur.startTraining({ dataset, version: 'it-1', params: { epochs: 20, test: 0.3, validation: 0.2 } });
    const model = await ctx.vf.blur.trainingResult(run.workflowId);
    expect(model.version).toBe('it-1');
    expect(model.backend).toBe('wasm');
    expect(model.metrics.images).toBeGreaterThan(0);
    // Well above chance (1/3) even on this tiny set.
    expect(model.metrics.binaryAccuracy).toBeGreaterThan(0.6);

    const progress = await ctx.vf.blur.trainingProgress(run.workflowId);
    expect(progress.state).toBe('completed');
    // 20 epochs on train, then 20 on train + validation.
    expect(progress.epochs).toBe(40);
    expect(progress.history.map((h) => h.epoch)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(progress.history.map((h) => !!h.refit)).toEqual(Array.from({ length: 40 }, (_, i) => i >= 20));
    expect(progress.plan!.mismatches.map((m) => m.key)).toEqual(['motion_blurred/zz_cam_S.jpg']);

    const listed = await ctx.vf.blur.models();
    expect(listed.map((m) => m.version)).toEqual(['it-1']);
    expect(listed[0].isDefault).toBe(true);
    const meta = await ctx.vf.blur.model('it-1');
    // Scene-disjoint split, recorded with its seed.
    const { train, validation, test } = meta.dataset.split.scenes;
    const all = [...train, ...validation, ...test];
    expect(new Set(all).size).toBe(all.length);
    expect(meta.dataset.split.seed).toBe(1);
    expect(meta.dataset.mismatches).toBe(1);
    expect(meta.dataset.images).toBe(30);
    expect(meta.dataset.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(meta.metrics.confusion).toHaveLength(3);
    expect(meta.metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(meta.metrics.images);
    expect(meta.training.epochs).toBe(40);
    expect(meta.params.epochs).toBe(20);
    // The run's scratch is gone; only the version's three files and nothing else.
    const stored = filesUnder(models);
    expect(stored).toEqual(['it-1/metadata.json', 'it-1/model.json', 'it-1/weights.bin']);
  });

  test('predicts a folder in parallel: JSON and CSV report, blurred copies in quarantine', async () => {
    const folder = tempDir('blur-predict');
    for (const cls of ['sharp', 'defocused_blurred', 'motion_blurred']) {
      fs.mkdirSync(path.join(folder, cls));
      for (const f of jpgs(path.join(dataset, cls)).slice(0, 3)) fs.copyFileSync(path.join(dataset, cls, f), path.join(folder, cls, f));
    }
    fs.writeFileSync(path.join(folder, 'broken.jpg'), 'not an image');
    const quarantine = tempDir('blur-quarantine');
    const result = await ctx.vf.blur.predict({ source: folder, quarantine, batchSize: 2 });
    expect(result.model).toBe('it-1');
    expect(result.images).toBe(10);
    expect(result.failed).toBe(1);
    expect(result.blurred + result.sharp).toBe(9);
    expect(result.predictions).toHaveLength(10);
    const report = JSON.parse(fs.readFileSync(path.join(folder, '_blur-report.json'), 'utf8'));
    expect(report.predictions).toHaveLength(10);
    expect(report.counts.blurred).toBe(result.blurred);
    const csv = fs.readFileSync(path.join(folder, '_blur-report.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('key,class,blur_percent,blurred,p_sharp,p_defocused,p_motion,quarantined,error');
    expect(csv).toHaveLength(11);
    for (const row of report.predictions) {
      if (row.error) continue;
      expect(BLUR_CLASSES).toContain(row.class);
      expect(row.probabilities.sharp + row.probabilities.defocused + row.probabilities.motion).toBeCloseTo(1, 2);
      expect(row.blurPercent).toBeCloseTo((1 - row.probabilities.sharp) * 100, 0);
      expect(fs.existsSync(path.join(quarantine, row.key))).toBe(row.blurred);
    }
    // Most of the blurred ones are caught (a tiny model, so not all).
    const blurredCaught = report.predictions.filter((r: { key: string; blurred?: boolean }) => !r.key.startsWith('sharp/') && r.blurred).length;
    expect(blurredCaught).toBeGreaterThanOrEqual(4);
  });

  test('predicts one image through the CLI without a report', async () => {
    const image = path.join(dataset, 'defocused_blurred', jpgs(path.join(dataset, 'defocused_blurred'))[0]);
    const env = testEnv('blur', { VISIONFLOW_BLUR_MODELS: fileUrlOf(models) });
    const run = await runCli(['blur', 'predict', image, '--threshold', '30', '--json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.images).toBe(1);
    expect(out.threshold).toBe(30);
    expect(out.report).toBeUndefined();
    expect(out.predictions[0].key).toBe(path.basename(image));
    expect(fs.existsSync(path.join(path.dirname(image), '_blur-report.json'))).toBe(false);
    const list = await runCli(['blur', 'models', '--json'], env);
    expect(JSON.parse(list.stdout).map((m: { version: string }) => m.version)).toEqual(['it-1']);
    const bad = await runCli(['blur', 'predict', image, '--model', 'nope'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/no blur model version 'nope'/);
  });

  test('cancelling a training publishes nothing and removes its scratch', async () => {
    const run = await ctx.vf.blur.startTraining({ dataset, version: 'it-cancel', params: { epochs: 5000 } });
    await eventually(async () => (await ctx.vf.blur.trainingProgress(run.workflowId)).epoch > 0, 60_000, 'training under way');
    await ctx.vf.blur.cancelTraining(run.workflowId);
    await expect(ctx.vf.blur.trainingResult(run.workflowId)).rejects.toThrow(/cancel/i);
    expect((await ctx.vf.blur.models()).map((m) => m.version)).toEqual(['it-1']);
    await eventually(async () => !filesUnder(models).some((k) => k.startsWith('_runs/')), 30_000, 'scratch removed');
  });

  test('a dataset without all three classes fails with a message naming what is missing', async () => {
    const partial = tempDir('blur-partial');
    fs.cpSync(path.join(dataset, 'sharp'), path.join(partial, 'sharp'), { recursive: true });
    const run = await ctx.vf.blur.startTraining({ dataset: partial, version: 'it-bad', params: { epochs: 2 } });
    const err = await ctx.vf.blur.trainingResult(run.workflowId).catch((e) => e);
    expect(rootCause(err)).toMatch(/no images for defocused \(folder defocused_blurred or defocused-blurred\), motion/);
    await expect(ctx.vf.blur.startTraining({ dataset, params: { epochs: 0 } })).rejects.toThrow(/epochs must be an integer from 1/);
  });

  test('the CLI trains, shows, sets the default and deletes a model, and refuses bad flags', async () => {
    const env = testEnv('blur', { VISIONFLOW_BLUR_MODELS: fileUrlOf(models) });
    const run = await runCli(['blur', 'train', '--dataset', dataset, '--epochs', '6', '--name', 'it-cli', '--test', '0.3', '--validation', '0.2'], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/Training blur model it-cli/);
    // The last progress line counts epochs, as every line before it does.
    expect(run.stderr.trim().split('\n').pop()).toMatch(/12\/12 completed/);
    // No default was ever set, so the newest model is the default.
    expect(run.stdout).toMatch(/^model it-cli \(default\): 30 images, trained 12 epochs in [\d.]+ s on wasm/m);
    expect(run.stdout).toMatch(/true \\ predicted +sharp +defocused +motion/);

    expect((await runCli(['blur', 'models', 'default', 'it-1'], env)).stdout).toMatch(/it-1 is now the default/);
    const shown = await runCli(['blur', 'models', 'show', 'it-cli', '--json'], env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ version: 'it-cli', isDefault: false, params: { epochs: 6, test: 0.3, validation: 0.2 } });
    expect((await ctx.vf.blur.models()).find((m) => m.isDefault)?.version).toBe('it-1');
    expect((await runCli(['blur', 'models', 'delete', 'it-cli'], env)).stdout).toMatch(/Deleted blur model it-cli/);
    expect((await ctx.vf.blur.models()).map((m) => m.version)).toEqual(['it-1']);

    const noDataset = await runCli(['blur', 'train', '--epochs', '2'], env);
    expect(noDataset.code).not.toBe(0);
    expect(noDataset.stderr).toMatch(/--dataset/);
    const badEpochs = await runCli(['blur', 'train', '--dataset', dataset, '--epochs', 'many'], env);
    expect(badEpochs.code).not.toBe(0);
    expect(badEpochs.stderr).toMatch(/--epochs/);
    const taken = await runCli(['blur', 'train', '--dataset', dataset, '--name', 'it-1', '--epochs', '2'], env);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toMatch(/version 'it-1' already exists/);
  });
});

/** Relative paths of the files under a folder, sorted; object-metadata sidecars left out. */
function filesUnder(root: string): string[] {
  return (fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .filter((k) => !k.split(path.sep).includes('.visionflow-meta'))
    .sort();
}

function jpgs(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort();
}
