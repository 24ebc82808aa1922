/**
 * The `visionflow` CLI: one subcommand group per pipeline, `--json` for scripts,
 * exit code 0 only on success (1: failed, 2: bad input).
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config';
import { addBlurCommands } from './cli-blur';
import { addCaptureCommands } from './cli-capture';
import { addCvatCommands } from './cli-cvat';
import { addLabelStudioCommands } from './cli-labelstudio';
import { addVideoCommands } from './cli-video';
import { formatSystemStatus } from './cli-format';
import { print, UsageError } from './cli-support';
import { systemStatus } from './system-status';

export function buildProgram(): Command {
  const program = new Command('visionflow')
    .description('Durable pipelines that turn cameras, videos and labelling tools into clean computer-vision datasets')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('status')
    .description('check that Temporal is reachable, workers poll each task queue and storage is writable')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => {
      const status = await systemStatus(loadConfig());
      print(!!flags.json, status, () => formatSystemStatus(status));
      if (!status.ok) process.exitCode = 1;
    });

  program
    .command('worker')
    .description('run a worker process (polls VISIONFLOW_WORKER_QUEUES on TEMPORAL_ADDRESS)')
    .action(async () => {
      const { runWorkerProcess } = await import('../worker');
      await runWorkerProcess(loadConfig());
    });

  addCaptureCommands(program);
  addCvatCommands(program);
  addLabelStudioCommands(program);
  addVideoCommands(program);
  addBlurCommands(program);

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 2;
    }
    const message = rootMessage(err);
    process.stderr.write(`error: ${/invalid .* options/.test(message) ? message : message.split('\n')[0]}\n`);
    return /invalid .* options|not a valid|must be/.test(message) ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => process.exit(code));
}

/** Temporal wraps failures (workflow -> activity -> application): the innermost says what went wrong. */
function rootMessage(err: unknown): string {
  let current: unknown = err;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
