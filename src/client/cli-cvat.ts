/** `visionflow cvat …`: CVAT task reduction. */
import { Command, Option } from 'commander';
import { OUTPUT_FORMATS, OutputFormat } from '../lib/image/reduce-image-format';
import { Via, VIAS } from '../lib/cvat/reduce-task-options';
import type { ReduceCvatTaskResult, ReduceProgress } from '../workflows/reduce-cvat-task';
import { intArg, print, UsageError, withClient } from './cli-support';
import { followProgress, formatBytes } from './progress-bar';

interface ReduceFlags {
  to?: string;
  quality?: number;
  maxSide?: number;
  via?: Via;
  format?: OutputFormat;
  layout?: string;
  mozjpeg?: boolean;
  fastEncode?: boolean;
  keepMetadata?: boolean;
  batchSize?: number;
  detach?: boolean;
  json?: boolean;
}

function progressLabel(p: ReduceProgress): string {
  return `${p.state}, ${p.uploaded} uploaded, ${p.skipped} skipped, ${p.failed} failed, ${formatBytes(p.bytesSaved)} saved`;
}

function summary(r: ReduceCvatTaskResult): string {
  const ratio = r.bytesBefore > 0 ? ` (${((100 * r.bytesAfter) / r.bytesBefore).toFixed(1)} % of the original size)` : '';
  return [
    `${r.frames} frames: ${r.uploaded} uploaded, ${r.skipped} already there, ${r.deleted} deleted in CVAT, ${r.failed} failed`,
    `${formatBytes(r.bytesBefore)} -> ${formatBytes(r.bytesAfter)}${ratio}`,
    `report: ${r.destination}/${r.report}`,
  ].join('\n');
}

export function addCvatCommands(program: Command): void {
  const cvat = program.command('cvat').description('CVAT task reduction: find a task by name, shrink its images, upload them');

  cvat
    .command('reduce')
    .argument('<taskName>', 'exact CVAT task name, levID-medID')
    .description('re-encode every frame of a CVAT task smaller and write it to <to>/<levID>/<medID>/<frame name>')
    .option('--to <url>', 'destination: s3://bucket/prefix, file:///abs/dir or ./dir (default VISIONFLOW_STORAGE)')
    .option('--quality <q>', 'JPEG/WebP quality 1-100 (default 60)', intArg('--quality', 1))
    .option('--max-side <px>', 'shrink frames whose longest side is larger', intArg('--max-side', 16))
    .addOption(new Option('--via <path>', 'frames: pull frame by frame (default); export: CVAT dataset export').choices(VIAS as unknown as string[]))
    .addOption(new Option('--format <rule>', 'output format: jpeg (default), webp, same').choices(OUTPUT_FORMATS as unknown as string[]))
    .option('--layout <template>', 'key layout under --to (default {lev}/{med}/{name})')
    .option('--mozjpeg', 'smaller JPEGs, slower encode')
    .option('--fast-encode', 'skip the optimal-Huffman pass: ~37 % less CPU per image, ~19 % bigger files')
    .option('--keep-metadata', 'keep EXIF/XMP/ICC metadata')
    .option('--batch-size <n>', 'frames per activity (default 32)', intArg('--batch-size', 1))
    .option('--detach', 'start and return without waiting')
    .option('--json', 'machine-readable output')
    .action(async (taskName: string, flags: ReduceFlags) => {
      if (flags.quality !== undefined && flags.quality > 100) throw new UsageError('--quality must be from 1 to 100');
      await withClient(async (vf) => {
        let started;
        try {
          started = await vf.startCvatReduction({
            taskName,
            destination: flags.to,
            quality: flags.quality,
            maxSide: flags.maxSide,
            via: flags.via,
            format: flags.format,
            layout: flags.layout,
            mozjpeg: flags.mozjpeg,
            optimizeCoding: flags.fastEncode ? false : undefined,
            keepMetadata: flags.keepMetadata,
            batchSize: flags.batchSize,
          });
        } catch (err) {
          if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') {
            throw new Error(`a reduction of ${taskName} is already running; watch it with: visionflow cvat status ${taskName}`);
          }
          if (/invalid CVAT reduction options|storage/.test((err as Error).message)) throw new UsageError((err as Error).message);
          throw err;
        }
        if (flags.detach) {
          print(!!flags.json, started, () => `Started ${started.workflowId}. Watch: visionflow cvat status ${taskName}`);
          return;
        }
        if (!flags.json) process.stderr.write(`Reducing CVAT task ${taskName} (workflow ${started.workflowId})\n`);
        const result = await followProgress(
          vf.cvatReductionResult(taskName),
          () => vf.cvatReductionProgress(taskName),
          (p) => ({ done: p.frames, total: p.total, label: progressLabel(p) }),
          !!flags.json,
        );
        print(!!flags.json, result, () => summary(result));
        if (result.failed > 0) {
          process.stderr.write(`error: ${result.failed} frame(s) failed; see the report\n`);
          process.exitCode = 1;
        }
      });
    });

  cvat
    .command('status')
    .argument('<taskName>', 'CVAT task name')
    .description('progress of a CVAT reduction (done/total, bytes saved)')
    .option('--json', 'machine-readable output')
    .action(async (taskName: string, flags: { json?: boolean }) => {
      await withClient(async (vf) => {
        const p = await vf.cvatReductionProgress(taskName);
        print(!!flags.json, p, () => `${p.frames}/${p.total} frames: ${progressLabel(p)}`);
      });
    });
}
