/**
 * Runs one ffmpeg process through fluent-ffmpeg (the only module that imports it, so it
 * can be replaced: its repository is archived upstream). Adds what pipelines need on
 * top: an AbortSignal that SIGKILLs ffmpeg (also when the abort lands before the
 * spawn), every stderr line to a callback (progress, showinfo), and an error carrying
 * ffmpeg's own last words.
 */
import ffmpeg from 'fluent-ffmpeg';
import { ffmpegBinary } from './ffmpeg-binaries';

export interface FfmpegRun {
  input: string;
  /** Options placed before `-i` (seek, duration, decoder settings). Arguments must not contain spaces (fluent-ffmpeg splits them). */
  inputOptions: readonly string[];
  /** Options placed after `-i`, before the output. */
  outputOptions: readonly string[];
  /** Output file or pattern. */
  output: string;
  signal?: AbortSignal;
  /** Every stderr line (ffmpeg ends its progress lines with \r; they arrive as lines too). */
  onStderrLine?: (line: string) => void;
  /** The spawned command line, for logs and tests. */
  onStart?: (commandLine: string) => void;
}

export class FfmpegError extends Error {
  constructor(
    message: string,
    /** ffmpeg's last stderr lines. */
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'FfmpegError';
  }
}

/** Resolves when ffmpeg exits 0; rejects with FfmpegError, or with signal.reason after an abort (ffmpeg has exited by then). */
export function runFfmpeg(run: FfmpegRun): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const { signal } = run;
    if (signal?.aborted) return reject(signal.reason);
    for (const arg of [...run.inputOptions, ...run.outputOptions]) {
      if (/\s/.test(arg)) return reject(new RangeError(`ffmpeg argument must not contain whitespace: '${arg}'`));
    }
    const command = ffmpeg(run.input)
      .setFfmpegPath(ffmpegBinary())
      .inputOptions('-nostdin', '-hide_banner', ...run.inputOptions)
      .outputOptions('-loglevel', 'info', ...run.outputOptions)
      .output(run.output);
    let aborted = false;
    // kill() is a no-op until fluent-ffmpeg has spawned the process, so 'start' repeats it.
    const onAbort = () => {
      aborted = true;
      if (started) command.kill('SIGKILL');
    };
    let started = false;
    const settle = (err?: Error) => {
      signal?.removeEventListener('abort', onAbort);
      if (aborted || signal?.aborted) return reject(signal?.reason);
      if (err) return reject(err);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    command.on('start', (commandLine: string) => {
      started = true;
      if (aborted) command.kill('SIGKILL');
      run.onStart?.(commandLine);
    });
    if (run.onStderrLine) command.on('stderr', run.onStderrLine);
    command.on('error', (err: Error, _stdout: string | null, stderr: string | null) => {
      const tail = lastLines(stderr ?? '', 4);
      settle(new FfmpegError(/exited with code/.test(err.message) ? err.message : `${err.message}${tail ? `: ${tail}` : ''}`, tail));
    });
    command.on('end', () => settle());
    command.run();
  });
}

/** The last meaningful stderr lines: progress lines and showinfo chatter say nothing about a failure. */
function lastLines(stderr: string, count: number): string {
  return stderr
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('frame=') && !l.includes('Parsed_showinfo'))
    .slice(-count)
    .join(' | ');
}
