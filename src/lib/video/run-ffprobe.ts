/**
 * Runs ffprobe with JSON output. ffprobe is spawned directly rather than through
 * fluent-ffmpeg's ffprobe(), which parses the flat text format (losing the display
 * matrix side data) and cannot be aborted.
 */
import { spawn } from 'node:child_process';
import { ffprobeBinary } from './ffmpeg-binaries';

export class FfprobeError extends Error {
  constructor(
    message: string,
    /** ffprobe's own complaint (last stderr lines), e.g. 'Invalid data found when processing input'. */
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'FfprobeError';
  }
}

/** ffprobe `args` plus `-of json`, parsed; rejects with FfprobeError on a non-zero exit, with signal.reason on abort (ffprobe is killed). */
export function runFfprobe<T>(args: readonly string[], signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const child = spawn(ffprobeBinary(), ['-v', 'error', '-hide_banner', '-of', 'json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    const onAbort = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      reject(new FfprobeError(`cannot run ${ffprobeBinary()}: ${err.message} (set FFPROBE_PATH)`, ''));
    });
    child.on('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(signal.reason);
      const complaint = stderr.trim().split('\n').slice(-3).join(' | ');
      if (code !== 0) return reject(new FfprobeError(`ffprobe exited with ${code ?? killedBy}: ${complaint || 'no message'}`, complaint));
      try {
        resolve(JSON.parse(Buffer.concat(stdout).toString('utf8')) as T);
      } catch (err) {
        reject(new FfprobeError(`ffprobe wrote invalid JSON: ${(err as Error).message}`, complaint));
      }
    });
  });
}
