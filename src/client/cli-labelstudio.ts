/** `visionflow labelstudio …`: Label Studio export to a complete dataset. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { normalizeStorageUrl } from '../config';
import { DATASET_FORMATS, DatasetFormat } from '../lib/label-studio/dataset-plan';
import type { LabelStudioSource } from '../lib/label-studio/download-options';
import type { DownloadLabelStudioResult, LabelStudioProgress } from '../workflows/download-label-studio-export';
import { intArg, print, UsageError, withClient } from './cli-support';
import { followProgress } from './progress-bar';

interface DownloadFlags {
  project?: number;
  exportFile?: string;
  yoloLabels?: string;
  uploadsUrl?: string;
  to?: string;
  format?: DatasetFormat;
  concurrency?: number;
  rps?: number;
  onlyAnnotated?: boolean;
  val?: number;
  seed?: number;
  detach?: boolean;
  json?: boolean;
}

const ratioArg = (value: string) => {
  const n = Number(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(`--val must be a ratio from 0 to below 1, got '${value}'`);
  return n;
};

const rpsArg = (value: string) => {
  const n = Number(value);
  if (!(n > 0)) throw new InvalidArgumentError(`--rps must be above 0, got '${value}'`);
  return n;
};

function sourceOf(flags: DownloadFlags): LabelStudioSource {
  const given = [flags.project !== undefined, !!flags.exportFile, !!flags.yoloLabels].filter(Boolean).length;
  if (given !== 1) throw new UsageError('give exactly one source: --project ID, --export-file FILE or --yolo-labels DIR --uploads-url URL');
  if (flags.project !== undefined) return { type: 'project', projectId: flags.project, onlyAnnotated: flags.onlyAnnotated };
  if (flags.exportFile) return { type: 'exportFile', file: normalizeStorageUrl(flags.exportFile) };
  if (!flags.uploadsUrl) throw new UsageError('--yolo-labels needs --uploads-url, the base URL of the project uploads (e.g. http://host:8080/data/upload/3/)');
  return { type: 'yoloLabels', labels: normalizeStorageUrl(flags.yoloLabels!), uploadsUrl: flags.uploadsUrl };
}

function label(p: LabelStudioProgress | DownloadLabelStudioResult): string {
  const state = 'state' in p ? p.state : 'completed';
  return `${state}, ${p.downloaded} downloaded, ${p.skipped} already there, ${p.failed} failed, ${p.malformed} malformed`;
}

function summary(r: DownloadLabelStudioResult): string {
  return [
    `${r.tasks} tasks: ${r.downloaded} downloaded, ${r.skipped} already there, ${r.failed} failed, ${r.malformed} malformed`,
    `${r.format} dataset with ${r.classes.length} classes (${r.classes.join(', ')}), ${r.boxes} boxes${r.withUnconverted ? `; ${r.withUnconverted} task(s) with results not converted` : ''}`,
    `report: ${r.destination}/${r.report}`,
  ].join('\n');
}

export function addLabelStudioCommands(program: Command): void {
  const ls = program.command('labelstudio').description('Label Studio export: download every labelled image into a complete dataset');

  ls.command('download')
    .description('download a Label Studio export (live project, export file or YOLO label folder) into a dataset folder')
    .option('--project <id>', 'live project on LABEL_STUDIO_URL (the worker reads it with LABEL_STUDIO_TOKEN)', intArg('--project', 1))
    .option('--export-file <file>', 'a JSON export: local path, file:///… or s3://…')
    .option('--yolo-labels <dir>', 'a folder of YOLO label files (<image stem>.txt, optional classes.txt)')
    .option('--uploads-url <url>', "with --yolo-labels: base URL of the project's uploads")
    .option('--to <dirOrUrl>', 'dataset folder: ./dir, file:///abs/dir or s3://bucket/prefix (default VISIONFLOW_STORAGE)')
    .addOption(new Option('--format <format>', 'yolo (default), coco or json').choices(DATASET_FORMATS as unknown as string[]))
    .option('--concurrency <n>', 'images downloading at once (default 8)', intArg('--concurrency', 1))
    .option('--rps <n>', 'at most n requests per second', rpsArg)
    .option('--only-annotated', 'with --project: only tasks with annotations')
    .option('--val <ratio>', 'share of tasks for validation, e.g. 0.2 (images/train, images/val)', ratioArg)
    .option('--seed <n>', 'seed of the train/val split (default 42)', intArg('--seed', 0))
    .option('--detach', 'start and return without waiting')
    .option('--json', 'machine-readable output')
    .action(async (flags: DownloadFlags) => {
      const source = sourceOf(flags);
      await withClient(async (vf) => {
        const started = await vf
          .startLabelStudioDownload({
            source,
            destination: flags.to,
            format: flags.format,
            concurrency: flags.concurrency,
            requestsPerSecond: flags.rps,
            split: flags.val !== undefined ? { val: flags.val, seed: flags.seed } : undefined,
          })
          .catch((err: Error) => {
            if (err.name === 'WorkflowExecutionAlreadyStartedError') throw new Error('a download of this project is already running');
            throw /invalid Label Studio download options/.test(err.message) ? new UsageError(err.message) : err;
          });
        if (flags.detach) {
          print(!!flags.json, started, () => `Started ${started.workflowId}.`);
          return;
        }
        if (!flags.json) process.stderr.write(`Downloading into ${flags.to ?? 'VISIONFLOW_STORAGE'} (workflow ${started.workflowId})\n`);
        const result = await followProgress(
          vf.labelStudioResult(started.workflowId),
          () => vf.labelStudioProgress(started.workflowId),
          (p) => ({ done: 'done' in p ? p.done : p.tasks, total: 'total' in p ? p.total : p.tasks, label: label(p) }),
          !!flags.json,
        );
        print(!!flags.json, result, () => summary(result));
        if (result.failed + result.malformed > 0) {
          process.stderr.write(`error: ${result.failed + result.malformed} task(s) without an image; see ${result.report}\n`);
          process.exitCode = 1;
        }
      });
    });
}
