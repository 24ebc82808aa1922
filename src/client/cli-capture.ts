/** `visionflow capture …`: continuous camera capture. */
import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { parseCameraList } from '../lib/camera/camera-list';
import { CaptureInput, DEFAULT_REJECT_BLURRY } from '../lib/camera/capture-options';
import { HASH_KINDS, HashKind } from '../lib/hash/hash-kind';
import { formatCaptureStatus, formatSchedule } from './cli-format';
import { durationArg, intArg, percentArg, print, UsageError, withClient } from './cli-support';
import { Visionflow } from './index';

interface CaptureFlags {
  cameraId?: string;
  url?: string;
  cameras?: string;
  every?: number;
  to?: string;
  hash?: HashKind;
  maxDistance?: number;
  window?: number;
  maxImages?: number;
  timeout?: number;
  maxBytes?: number;
  retries?: number;
  minWidth?: number;
  minHeight?: number;
  rejectDark?: number;
  rejectBlurry?: number | true;
  blurModel?: string;
  json?: boolean;
  follow?: boolean;
}

function captureOptionsFrom(flags: CaptureFlags): Omit<CaptureInput, 'cameraId' | 'url'> {
  return {
    everyMs: flags.every,
    destination: flags.to,
    hash: flags.hash,
    maxDistance: flags.maxDistance,
    window: flags.window,
    maxImages: flags.maxImages,
    fetchTimeoutMs: flags.timeout,
    maxBytes: flags.maxBytes,
    retries: flags.retries,
    minWidth: flags.minWidth,
    minHeight: flags.minHeight,
    rejectDarkBelow: flags.rejectDark,
    rejectBlurry: flags.rejectBlurry === true ? DEFAULT_REJECT_BLURRY : flags.rejectBlurry,
    blurModel: flags.blurModel,
  };
}

function addCaptureOptions(cmd: Command): Command {
  return cmd
    .option('--every <duration>', 'interval between captures, e.g. 20s, 5m (default 60s)', durationArg('--every'))
    .option('--to <url>', 'storage URL or folder: file:///abs/dir, s3://bucket/prefix, ./dir (default VISIONFLOW_STORAGE)')
    .addOption(new Option('--hash <kind>', 'perceptual hash (default phash)').choices(HASH_KINDS as unknown as string[]))
    .option('--max-distance <n>', 'keep an image only if its Hamming distance to recent kept images is above n; 0 drops only identical hashes', intArg('--max-distance', 0))
    .option('--window <k>', 'compare with the last k kept images (default 1)', intArg('--window', 1))
    .option('--max-images <n>', 'stop after n kept images', intArg('--max-images', 1))
    .option('--timeout <duration>', 'fetch timeout (default 20s)', durationArg('--timeout'))
    .option('--max-bytes <n>', 'largest image accepted (default 20 MiB)', intArg('--max-bytes', 1024))
    .option('--retries <n>', 'retries of a failed fetch within a tick (default 2)', intArg('--retries', 0))
    .option('--min-width <px>', 'reject smaller images (default 64)', intArg('--min-width', 1))
    .option('--min-height <px>', 'reject smaller images (default 48)', intArg('--min-height', 1))
    .option('--reject-dark <luma>', 'reject near-black frames whose mean brightness (0-255) is below this, e.g. 20', intArg('--reject-dark', 1))
    .option('--reject-blurry [threshold]', 'reject images the blur model scores at or above this blur percentage (default 50)', percentArg('--reject-blurry'))
    .option('--blur-model <version>', 'with --reject-blurry: blur model version (default: the default model at each capture)');
}

/** Local JSON file, or an http(s) catalog read by the workflow. */
function cameraSource(value: string): { cameras?: { id: string; url: string }[]; catalogUrl?: string } {
  if (/^https?:\/\//i.test(value)) return { catalogUrl: value };
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(value, 'utf8'));
  } catch (err) {
    throw new UsageError(`--cameras ${value}: ${(err as Error).message}`);
  }
  const parsed = parseCameraList(doc, value);
  if (parsed.problems.length > 0) {
    throw new UsageError(`--cameras ${value}:\n  ${parsed.problems.join('\n  ')}`);
  }
  if (parsed.cameras.length === 0) throw new UsageError(`--cameras ${value}: no cameras in the list`);
  return { cameras: parsed.cameras };
}

async function follow(vf: Visionflow, cameraId: string): Promise<void> {
  let lastTick = '';
  for (;;) {
    const status = await vf.captureStatus(cameraId);
    const tick = status.lastTick;
    if (tick && tick.tick !== lastTick) {
      lastTick = tick.tick;
      const r = tick.result;
      const what = r.outcome === 'kept' ? `kept ${r.key}` : r.outcome === 'duplicate' ? `duplicate (${r.reason})` : `rejected (${r.reason}: ${r.detail})`;
      process.stdout.write(`${tick.tick}  ${what}  [kept ${status.counters.kept}, duplicate ${status.counters.duplicate}, rejected ${status.counters.rejected}]\n`);
    }
    if (status.state === 'stopped' || status.state === 'completed') return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export function addCaptureCommands(program: Command): void {
  const capture = program.command('capture').description('continuous camera capture with perceptual-hash dedupe');

  addCaptureOptions(
    capture
      .command('start')
      .description('start capturing one camera (--camera-id and --url) or many (--cameras FILE_OR_URL)')
      .option('--camera-id <id>', 'camera id: folder name and workflow id capture-<id>')
      .option('--url <url>', 'http(s) URL of the camera still')
      .option('--cameras <fileOrUrl>', 'JSON list of {id, url}, or a catalog URL in the Grand Lyon format')
      .option('--follow', 'stay and print each tick until the capture stops')
      .option('--json', 'machine-readable output'),
  ).action(async (flags: CaptureFlags) => {
    const options = captureOptionsFrom(flags);
    if (flags.cameras) {
      if (flags.cameraId || flags.url) throw new UsageError('give either --cameras or --camera-id with --url, not both');
      const source = cameraSource(flags.cameras);
      const started = await withClient((vf) => vf.startCaptures({ ...source, options }));
      print(!!flags.json, started, () => `Started ${started.workflowId}: one capture-<id> workflow per camera.\nStop all: visionflow capture stop --batch ${started.workflowId}`);
      return;
    }
    if (!flags.cameraId || !flags.url) throw new UsageError('capture start needs --camera-id and --url (or --cameras)');
    const input = { ...options, cameraId: flags.cameraId, url: flags.url };
    await withClient(async (vf) => {
      let started;
      const options = vf.captureOptions(input);
      try {
        started = await vf.startCapture(options);
      } catch (err) {
        if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') {
          throw new Error(`a capture of ${flags.cameraId} is already running (workflow capture-${flags.cameraId}); stop it first`);
        }
        throw err;
      }
      print(!!flags.json, started, () => `Capturing ${flags.cameraId} into ${options.destination}/${flags.cameraId}/ as workflow ${started.workflowId}.\nWatch: visionflow capture status ${flags.cameraId}   Stop: visionflow capture stop ${flags.cameraId}`);
      if (flags.follow) await follow(vf, flags.cameraId!);
    });
  });

  capture
    .command('status')
    .argument('<id>', 'camera id (or a batch workflow id with --batch)')
    .description('counters, last kept image and next tick of a capture (or of its schedule)')
    .option('--batch', 'the id is a captureCameras batch')
    .option('--follow', 'keep printing each tick until the capture stops')
    .option('--json', 'machine-readable output')
    .action(async (id: string, flags: { json?: boolean; batch?: boolean; follow?: boolean }) => {
      await withClient(async (vf) => {
        if (flags.batch) {
          const status = await vf.batchStatus(id);
          print(!!flags.json, status, () => status.cameras.map((c) => `${c.id.padEnd(20)} ${c.state}${c.detail ? `  ${c.detail}` : ''}`).join('\n'));
          return;
        }
        if (await vf.hasCapture(id)) {
          const status = await vf.captureStatus(id);
          print(!!flags.json, status, () => formatCaptureStatus(status));
          if (flags.follow) await follow(vf, id);
          return;
        }
        if (await vf.hasCaptureSchedule(id)) {
          const schedule = await vf.captureScheduleStatus(id);
          const last = await vf.lastScheduledCapture(id).catch(() => null);
          print(!!flags.json, { schedule, lastRun: last }, () => formatSchedule(schedule, last));
          return;
        }
        throw new UsageError(`no capture or capture schedule for camera '${id}'`);
      });
    });

  for (const [name, description] of [
    ['pause', 'pause a capture (or its schedule)'],
    ['resume', 'resume a paused capture (or its schedule)'],
    ['stop', 'stop a capture after its current tick and print its final counters'],
  ] as const) {
    capture
      .command(name)
      .argument('<id>', 'camera id (or batch workflow id with --batch)')
      .description(description)
      .option('--batch', 'the id is a captureCameras batch (stop only)')
      .option('--json', 'machine-readable output')
      .action(async (id: string, flags: { json?: boolean; batch?: boolean }) => {
        await withClient(async (vf) => {
          if (name === 'stop' && flags.batch) {
            const final = await vf.stopBatch(id);
            print(!!flags.json, final, () => `Stopped ${id}: ${final.cameras.length} camera(s).`);
            return;
          }
          if (!(await vf.hasCapture(id)) && name !== 'stop' && (await vf.hasCaptureSchedule(id))) {
            await vf.pauseCaptureSchedule(id, name === 'pause');
            print(!!flags.json, { id, schedule: name === 'pause' ? 'paused' : 'running' }, () => `Schedule of ${id} ${name}d.`);
            return;
          }
          if (name === 'pause') await vf.pauseCapture(id);
          if (name === 'resume') await vf.resumeCapture(id);
          if (name === 'stop') {
            const final = await vf.stopCapture(id);
            print(!!flags.json, final, () => `Stopped.\n${formatCaptureStatus(final)}`);
            return;
          }
          const status = await vf.captureStatus(id);
          print(!!flags.json, status, () => `${name === 'pause' ? 'Paused' : 'Resumed'} ${id}.\n${formatCaptureStatus(status)}`);
        });
      });
  }

  capture
    .command('interval')
    .argument('<id>', 'camera id')
    .argument('<every>', 'new interval, e.g. 30s', durationArg('interval'))
    .description('change the interval of a running capture')
    .option('--json', 'machine-readable output')
    .action(async (id: string, every: number, flags: { json?: boolean }) => {
      if (every < 1000) throw new UsageError('interval must be at least 1s');
      await withClient(async (vf) => {
        await vf.setCaptureInterval(id, every);
        print(!!flags.json, { id, everyMs: every }, () => `Interval of ${id} set to ${every / 1000}s.`);
      });
    });

  capture
    .command('list')
    .description('running captures')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => {
      const list = await withClient((vf) => vf.listCaptures());
      print(!!flags.json, list, () => (list.length ? list.map((c) => `${c.cameraId.padEnd(24)} since ${c.startTime}`).join('\n') : 'No running captures.'));
    });

  addCaptureOptions(
    capture
      .command('schedule')
      .description('create a Temporal Schedule whose runs capture once each, sharing dedupe state through storage')
      .requiredOption('--camera-id <id>', 'camera id')
      .requiredOption('--url <url>', 'http(s) URL of the camera still')
      .option('--cron <expr...>', 'cron expression(s), e.g. "* 6-21 * * *" for every minute 06:00-22:00')
      .option('--timezone <tz>', 'time zone of the cron expressions, e.g. Europe/Paris (default UTC)')
      .option('--paused', 'create the schedule paused')
      .option('--json', 'machine-readable output'),
  ).action(async (flags: CaptureFlags & { cron?: string[]; timezone?: string; paused?: boolean }) => {
    if (!flags.cron && !flags.every) throw new UsageError('capture schedule needs --cron or --every');
    const { everyMs: _everyMs, ...options } = captureOptionsFrom(flags);
    const created = await withClient((vf) =>
      vf.scheduleCapture({
        ...options,
        cameraId: flags.cameraId!,
        url: flags.url!,
        cron: flags.cron,
        everyMs: flags.cron ? undefined : flags.every,
        timezone: flags.timezone,
        paused: flags.paused,
      }),
    );
    print(!!flags.json, created, () => `Created schedule ${created.scheduleId}.\nStatus: visionflow capture status ${flags.cameraId}   Remove: visionflow capture unschedule ${flags.cameraId}`);
  });

  capture
    .command('unschedule')
    .argument('<id>', 'camera id')
    .description('delete the capture schedule of a camera')
    .option('--json', 'machine-readable output')
    .action(async (id: string, flags: { json?: boolean }) => {
      await withClient((vf) => vf.deleteCaptureSchedule(id));
      print(!!flags.json, { id, deleted: true }, () => `Deleted the capture schedule of ${id}.`);
    });

}
