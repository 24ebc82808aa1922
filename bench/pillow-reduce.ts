/**
 * The reduce bench's baseline: bench/pillow_reduce_baseline.py (Image.open, optional
 * thumbnail, save as JPEG, as the original lowIMG.py did) in the bench venv. One Python
 * process per request: the script times itself after its imports, so process start is
 * never counted, and each timed pass starts from the same state as the original
 * script's loop.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './paths';
import { Outcome } from './python-baseline';

export interface PillowVersions {
  python: string;
  pillow: string;
  libjpegTurbo: string;
}

export interface PillowRuns {
  runsSeconds: number[];
  cpuSeconds: number[];
  /** Bytes written by the last run, all files together. */
  outBytes: number;
}

const TIMEOUT_MS = 300_000;

export class PillowReduce {
  private constructor(
    private readonly python: string,
    readonly versions: PillowVersions,
  ) {}

  /** Checks the venv's Python runs the script (and reports its versions) before any timing. */
  static async start(python: string): Promise<Outcome<PillowReduce>> {
    const versions = await ask<PillowVersions>(python, { mode: 'versions' });
    return versions.ok ? { ok: true, value: new PillowReduce(python, versions.value) } : versions;
  }

  /** `runs` passes over `files`: open, thumbnail to `maxSide` when given, save as JPEG at `quality`. */
  timeRuns(files: readonly string[], options: { quality: number; maxSide?: number }, runs = 1): Promise<Outcome<PillowRuns>> {
    return ask<PillowRuns>(this.python, { mode: 'time', files, quality: options.quality, maxSide: options.maxSide ?? null, runs });
  }
}

function ask<T>(python: string, request: object): Promise<Outcome<T>> {
  const script = path.join(repoRoot(), 'bench', 'pillow_reduce_baseline.py');
  return new Promise((resolve) => {
    const child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'], timeout: TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    child.on('error', (err) => resolve({ ok: false, reason: `${python} ${script}: ${err.message}` }));
    child.on('close', (code, signal) => {
      if (code !== 0) {
        resolve({ ok: false, reason: `pillow_reduce_baseline.py exited (${code ?? signal}): ${stderr.trim().split('\n').slice(-3).join(' | ') || 'no stderr'}` });
        return;
      }
      try {
        const answer = JSON.parse(stdout) as T & { error?: string };
        resolve(answer.error !== undefined ? { ok: false, reason: `pillow_reduce_baseline.py: ${answer.error}` } : { ok: true, value: answer });
      } catch (err) {
        resolve({ ok: false, reason: `pillow_reduce_baseline.py wrote invalid JSON: ${(err as Error).message}` });
      }
    });
    child.stdin.on('error', () => undefined); // EPIPE after an early exit: reported by 'close'
    child.stdin.end(JSON.stringify(request));
  });
}
