/** `visionflow blur …`: train, list, manage and use the sharp / defocused / motion blur model. */
import { Command, InvalidArgumentError } from 'commander';
import { BlurTrainParams } from '../lib/blur/train-params';
import type { BlurTrainingProgress } from '../workflows/train-blur-model';
import type { BlurModelSummary } from '../activities';
import { BlurInputError } from './blur-client';
import { formatModelList, formatPrediction, formatTrainedModel, confusionTable } from './cli-blur-format';
import { addBlurSynthCommand } from './cli-blur-synth';
import { intArg, percentArg, print, UsageError, withClient } from './cli-support';
import { followProgress } from './progress-bar';
import { blurTrainWorkflowId } from '../workflows/workflow-ids';

const numberArg = (what: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${what} must be a number from ${min} to ${max}, got '${value}'`);
  return n;
};

const hiddenArg = (value: string) => {
  const sizes = value === '' || value === 'none' ? [] : value.split(',').map(Number);
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new InvalidArgumentError(`--hidden must be comma-separated layer sizes such as 32,16, got '${value}'`);
  return sizes;
};

/** Bad input from the API is a usage error (exit 2). */
async function inputErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof BlurInputError) throw new UsageError(err.message);
    throw err;
  }
}

interface TrainFlags extends Partial<BlurTrainParams> {
  dataset: string;
  name?: string;
  setDefault?: boolean;
  registry?: string;
  detach?: boolean;
  json?: boolean;
}

function trainingLabel(p: BlurTrainingProgress | BlurModelSummary): string {
  if (!('state' in p)) return 'completed';
  const last = p.history[p.history.length - 1];
  if (p.state === 'extracting features') return `extracting features ${p.featuresDone}/${p.images}`;
  if (!last) return p.state;
  const stage = last.refit ? ' on training + validation' : '';
  return `${p.state}${stage}, loss ${last.trainLoss.toFixed(3)}${last.valAccuracy !== null ? `, validation accuracy ${(last.valAccuracy * 100).toFixed(1)} %` : ''}`;
}

export function addBlurCommands(program: Command): void {
  const blur = program.command('blur').description('blur model: train, list and serve a sharp / defocused / motion-blurred classifier');

  blur
    .command('train')
    .description('train a blur model on a dataset folder (sharp/, defocused_blurred/, motion_blurred/) and publish it to the registry')
    .requiredOption('--dataset <dirOrUrl>', 'dataset folder: ./dir, file:///abs/dir or s3://bucket/prefix')
    .option('--epochs <n>', 'epochs on the training split, then as many again on training + validation (default 120)', intArg('--epochs', 1))
    .option('--batch-size <n>', 'images per batch (default 32)', intArg('--batch-size', 1))
    .option('--learning-rate <x>', 'Adam learning rate (default 0.01)', numberArg('--learning-rate', 1e-6, 1))
    .option('--hidden <sizes>', 'hidden layer sizes, e.g. 16 or 32,16 (default none: a softmax layer over the features)', hiddenArg)
    .option('--l2 <x>', 'L2 weight penalty (default 0.003)', numberArg('--l2', 0, 0.999))
    .option('--seed <n>', 'seed of the split, the initial weights and the batch order (default 1)', intArg('--seed', 0))
    .option('--validation <share>', 'share of scenes for validation (default 0.15)', numberArg('--validation', 0, 0.9))
    .option('--test <share>', 'share of scenes held out for test (default 0.2)', numberArg('--test', 0, 0.9))
    .option('--name <version>', 'version name (default: the start time, YYYYMMDD-HHMMSS UTC)')
    .option('--set-default', 'make it the default model once trained')
    .option('--registry <url>', 'model registry (default VISIONFLOW_BLUR_MODELS)')
    .option('--detach', 'start and return without waiting')
    .option('--json', 'machine-readable output')
    .action(async (flags: TrainFlags) => {
      await withClient(async (vf) => {
        const params: Partial<BlurTrainParams> = {
          epochs: flags.epochs,
          batchSize: flags.batchSize,
          learningRate: flags.learningRate,
          hidden: flags.hidden,
          l2: flags.l2,
          seed: flags.seed,
          validation: flags.validation,
          test: flags.test,
        };
        const started = await inputErrors(() =>
          vf.blur.startTraining({ dataset: flags.dataset, params, version: flags.name, setDefault: flags.setDefault, registry: flags.registry }),
        );
        if (flags.detach) {
          print(!!flags.json, started, () => `Started ${started.workflowId} (model version ${started.version}).`);
          return;
        }
        if (!flags.json) process.stderr.write(`Training blur model ${started.version} (workflow ${started.workflowId})\n`);
        const result = await followProgress(
          vf.blur.trainingResult(started.workflowId),
          () => vf.blur.trainingProgress(started.workflowId),
          (p) => ('state' in p ? { done: p.epoch, total: p.epochs, label: trainingLabel(p) } : { done: p.epochs, total: p.epochs, label: 'completed' }),
          !!flags.json,
        );
        print(!!flags.json, result, () => formatTrainedModel(result));
      });
    });

  const models = blur.command('models').description('the blur model registry: list (default), show, default, delete');
  models
    .command('list', { isDefault: true })
    .description('list trained models with their parameters and metrics, newest first')
    .option('--registry <url>', 'model registry (default VISIONFLOW_BLUR_MODELS)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { registry?: string; json?: boolean }) => {
      await withClient(async (vf) => {
        const list = await inputErrors(() => vf.blur.models(flags.registry));
        print(!!flags.json, list, () => formatModelList(list));
      });
    });
  models
    .command('show <version>')
    .description("one model's metadata: parameters, dataset, split, metrics, confusion matrix")
    .option('--registry <url>', 'model registry (default VISIONFLOW_BLUR_MODELS)')
    .option('--json', 'machine-readable output')
    .action(async (version: string, flags: { registry?: string; json?: boolean }) => {
      await withClient(async (vf) => {
        const m = await inputErrors(() => vf.blur.model(version, flags.registry));
        print(!!flags.json, m, () =>
          [
            `model ${m.version}${m.isDefault ? ' (default)' : ''}, created ${m.createdAt}, backend ${m.backend}`,
            `dataset ${m.dataset.url}: ${m.dataset.images} images, fingerprint ${m.dataset.fingerprint.slice(0, 16)}…, ${m.dataset.mismatches} mismatched name(s) left out`,
            `split (seed ${m.dataset.split.seed}): ${m.dataset.split.scenes.train.length} train, ${m.dataset.split.scenes.validation.length} validation, ${m.dataset.split.scenes.test.length} test scenes`,
            `parameters: ${JSON.stringify(m.params)}`,
            `training: ${m.training.epochs} epochs in ${(m.training.ms / 1000).toFixed(1)} s, best epoch ${m.training.bestEpoch}, temperature ${m.temperature}`,
            `${m.metrics.evaluatedOn}: 3-class ${(m.metrics.accuracy * 100).toFixed(1)} %, binary ${(m.metrics.binaryAccuracy * 100).toFixed(1)} %`,
            confusionTable(m.metrics.confusion),
          ].join('\n'),
        );
      });
    });
  models
    .command('default <version>')
    .description('make a version the default model (used by predict and capture --reject-blurry)')
    .option('--registry <url>', 'model registry (default VISIONFLOW_BLUR_MODELS)')
    .action(async (version: string, flags: { registry?: string }) => {
      await withClient(async (vf) => {
        await inputErrors(() => vf.blur.setDefaultModel(version, flags.registry));
        process.stdout.write(`${version} is now the default blur model.\n`);
      });
    });
  models
    .command('delete <version>')
    .description('delete a model version (its files and metadata)')
    .option('--registry <url>', 'model registry (default VISIONFLOW_BLUR_MODELS)')
    .action(async (version: string, flags: { registry?: string }) => {
      await withClient(async (vf) => {
        await inputErrors(() => vf.blur.deleteModel(version, flags.registry));
        process.stdout.write(`Deleted blur model ${version}.\n`);
      });
    });

  blur
    .command('predict <target>')
    .description('classify an image, a folder or a storage prefix: sharp, defocused or motion, with a blur percentage')
    .option('--model <version>', 'model version (default: the default model)')
    .option('--threshold <percent>', 'blur percentage (1-100) at or above which an image is blurred (default 50)', percentArg('--threshold'))
    .option('--report <url>', 'JSON report location, a .csv is written beside it (default <folder>/_blur-report.json; none for one image)')
    .option('--quarantine <dirOrUrl>', 'copy blurred images there, under their relative paths')
    .option('--registry <url>', 'model registry (default VISIONFLOW_BLUR_MODELS)')
    .option('--detach', 'start and return without waiting')
    .option('--json', 'machine-readable output')
    .action(async (target: string, flags: { model?: string; threshold?: number; report?: string; quarantine?: string; registry?: string; detach?: boolean; json?: boolean }) => {
      await withClient(async (vf) => {
        const started = await inputErrors(() =>
          vf.blur.startPrediction({ source: target, model: flags.model, threshold: flags.threshold, report: flags.report, quarantine: flags.quarantine, registry: flags.registry }),
        );
        if (flags.detach) {
          print(!!flags.json, started, () => `Started ${started.workflowId}.`);
          return;
        }
        const result = await followProgress(
          vf.blur.predictionResult(started.workflowId),
          () => vf.blur.predictionProgress(started.workflowId),
          (p) => ('state' in p ? { done: p.done, total: p.images, label: `${p.state}, ${p.blurred} blurred` } : { done: p.images, total: p.images, label: 'completed' }),
          !!flags.json,
        );
        print(!!flags.json, result, () => formatPrediction(result));
        if (result.failed > 0) process.exitCode = 1;
      });
    });

  blur
    .command('cancel <version>')
    .description('cancel a running training (nothing is published; its scratch files are removed)')
    .action(async (version: string) => {
      await withClient(async (vf) => {
        await vf.blur.cancelTraining(blurTrainWorkflowId(version));
        process.stdout.write(`Cancel requested for the training of ${version}.\n`);
      });
    });

  addBlurSynthCommand(blur);
}
