/**
 * `visionflow blur synth`: sharp photos -> a labelled synthetic blur dataset. It runs
 * in this process (no Temporal): one user, one folder, a few minutes of CPU, and a
 * rerun resumes where an interrupted run stopped.
 */
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { loadConfig, normalizeStorageUrl } from '../config';
import { MIN_VISIBLE_SHARE } from '../lib/blur/blur-visibility';
import { NoPhotosError, synthesizeDataset, SynthesizeDatasetResult } from '../lib/blur/synthesize-dataset';
import { createStorageOpener } from '../lib/storage/open-storage';
import { intArg, print, UsageError } from './cli-support';
import { ProgressBar } from './progress-bar';

interface SynthFlags {
  from: string;
  to: string;
  seed?: number;
  variants?: number;
  size?: number;
  json?: boolean;
}

export function addBlurSynthCommand(blur: Command): void {
  blur
    .command('synth')
    .description('make a labelled blur dataset from sharp photos: random crops, defocus and camera-shake blur, sensor noise and JPEG for every class (runs here, no worker)')
    .requiredOption('--from <dirOrUrl>', 'folder of sharp photos (.jpg, .jpeg, .png, .webp at any depth): ./dir, file:///abs/dir or s3://bucket/prefix')
    .requiredOption('--to <dirOrUrl>', 'dataset folder: ./dir, file:///abs/dir or s3://bucket/prefix')
    .option('--seed <n>', 'random seed; the same seed gives byte-identical images (default 1)', intArg('--seed', 0))
    .option('--variants <n>', 'crops per photo, each with its own blur (default 1)', intArg('--variants', 1))
    .option('--size <px>', 'long side of the images in px; blur strengths scale with it (default 1024)', intArg('--size', 64))
    .option('--json', 'machine-readable output')
    .action(async (flags: SynthFlags) => {
      const from = storageUrl('--from', flags.from);
      const to = storageUrl('--to', flags.to);
      if (from.startsWith('file:')) {
        const dir = fileURLToPath(from);
        if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--from: no folder at ${dir}`);
      }
      // S3 settings come from the environment; a purely local run does not need them.
      const s3 = [from, to].some((u) => u.startsWith('s3://')) ? loadConfig().s3 : { forcePathStyle: false, region: 'us-east-1' };
      const open = createStorageOpener(s3);
      const bar = flags.json ? undefined : new ProgressBar();
      const abort = new AbortController();
      const onInterrupt = () => abort.abort(new Error('interrupted; run the same command again to continue where it stopped'));
      process.once('SIGINT', onInterrupt);
      const started = Date.now();
      let result: SynthesizeDatasetResult;
      try {
        result = await synthesizeDataset({
          from: open(from),
          to: open(to),
          seed: flags.seed,
          variants: flags.variants,
          size: flags.size,
          signal: abort.signal,
          onProgress: (p) => bar?.update(p.done, p.total, `${p.written} written, ${p.skipped} already there`),
        });
      } catch (err) {
        throw err instanceof NoPhotosError ? new UsageError(err.message) : err;
      } finally {
        process.removeListener('SIGINT', onInterrupt);
        bar?.finish();
      }
      const seconds = (Date.now() - started) / 1000;
      print(!!flags.json, { ...result, from, to, seconds }, () =>
        [
          `${result.photos} photos x ${result.variants} variant(s): ${result.written} images written, ${result.skipped} already there (${seconds.toFixed(1)} s)`,
          `dataset: ${to} (parameters in ${result.manifest})`,
        ].join('\n'),
      );
      for (const f of result.featureless) {
        process.stderr.write(
          `warning: left out ${f.source}: blur would show on ${(f.visibleShare * 100).toFixed(1)} % of it (needs ${MIN_VISIBLE_SHARE * 100} %); fog, gradients and plain sky look the same blurred\n`,
        );
      }
      if (result.images === 0 && result.featureless.length > 0) {
        process.stderr.write('error: no photo has detail for blur to remove, so the dataset is empty\n');
        process.exitCode = 1;
      }
      if (result.unreadable.length > 0) {
        for (const u of result.unreadable) process.stderr.write(`error: cannot read ${u.source}: ${u.reason}\n`);
        process.exitCode = 1;
      }
    });
}

function storageUrl(flag: string, value: string): string {
  try {
    return normalizeStorageUrl(value);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}
