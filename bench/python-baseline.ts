/**
 * The Python baseline (Pillow + imagehash.average_hash, as the original scripts did),
 * run from a private virtualenv on the same files in the same bench run. The script
 * stays up and answers one request per line, so timed Python runs can be interleaved
 * with ours. Any failure (no python3, no venv module, no network for pip, a crash)
 * makes the baseline "unavailable" with the reason; it never stops the bench.
 */
import { ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './paths';

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface PythonVersions {
  python: string;
  pillow: string;
  imagehash: string;
}

/** A started baseline, or why there is none. */
export type PythonSession = Outcome<{ baseline: PythonBaseline; versions: PythonVersions }>;

const PACKAGES = ['Pillow', 'imagehash'];
const REQUEST_TIMEOUT_MS = 300_000;

/** Makes `venvDir` (python3 -m venv) and installs Pillow and imagehash into it unless they import already. */
export function preparePythonVenv(venvDir: string): Outcome<{ python: string; installed: boolean }> {
  const python = path.join(venvDir, 'bin', 'python');
  if (existsSync(python) && runSync(python, ['-c', 'import PIL, imagehash'], 60_000).ok) {
    return { ok: true, value: { python, installed: false } };
  }
  const system = process.env.VISIONFLOW_BENCH_PYTHON ?? 'python3';
  if (!existsSync(python)) {
    const made = runSync(system, ['-m', 'venv', venvDir], 120_000);
    if (!made.ok) return { ok: false, reason: `'${system} -m venv ${venvDir}' failed: ${made.reason}` };
  }
  const pip = runSync(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', ...PACKAGES], 600_000);
  if (!pip.ok) return { ok: false, reason: `pip install ${PACKAGES.join(' ')} failed: ${pip.reason}` };
  const check = runSync(python, ['-c', 'import PIL, imagehash'], 60_000);
  if (!check.ok) return { ok: false, reason: `Pillow/imagehash do not import after install: ${check.reason}` };
  return { ok: true, value: { python, installed: true } };
}

/** A running bench/ahash_baseline.py. */
export class PythonBaseline {
  private readonly pending: ((line: string | Error) => void)[] = [];
  private exited: Error | undefined;
  private stderrTail = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => this.pending.shift()?.(line));
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    const fail = (err: Error) => {
      this.exited = err;
      for (const reject of this.pending.splice(0)) reject(err);
    };
    child.on('error', fail);
    child.stdin.on('error', fail); // EPIPE after an early exit: reported by 'exit'
    child.on('exit', (code, signal) => fail(new Error(`python exited (${code ?? signal}): ${this.stderrTail.trim().split('\n').slice(-3).join(' | ') || 'no stderr'}`)));
  }

  /** Starts the script and asks for its versions, so a broken environment is found before any timing. */
  static async start(python: string): Promise<PythonSession> {
    const script = path.join(repoRoot(), 'bench', 'ahash_baseline.py');
    const baseline = new PythonBaseline(spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'] }));
    const versions = await baseline.request<PythonVersions>({ mode: 'versions' });
    if (!versions.ok) {
      baseline.close();
      return versions;
    }
    return { ok: true, value: { baseline, versions: versions.value } };
  }

  /** Seconds for each of `runs` passes of imagehash.average_hash over `files` (method 'draft': after Image.draft). */
  timeRuns(method: 'plain' | 'draft', files: readonly string[], runs: number): Promise<Outcome<number[]>> {
    return this.request<{ runsSeconds: number[] }>({ mode: 'time', method, files, runs }).then((o) => (o.ok ? { ok: true, value: o.value.runsSeconds } : o));
  }

  /** imagehash.average_hash of every file, as 16 hex digits. */
  hashes(files: readonly string[]): Promise<Outcome<Record<string, string>>> {
    return this.request<{ hashes: Record<string, string> }>({ mode: 'hash', files }).then((o) => (o.ok ? { ok: true, value: o.value.hashes } : o));
  }

  close(): void {
    if (!this.exited) this.child.stdin.end();
  }

  private request<T>(request: object): Promise<Outcome<T>> {
    if (this.exited) return Promise.resolve({ ok: false, reason: this.exited.message });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill();
        resolve({ ok: false, reason: `no answer to '${JSON.stringify(request).slice(0, 80)}' within ${REQUEST_TIMEOUT_MS / 1000}s` });
      }, REQUEST_TIMEOUT_MS);
      this.pending.push((line) => {
        clearTimeout(timer);
        if (line instanceof Error) return resolve({ ok: false, reason: line.message });
        try {
          const answer = JSON.parse(line) as T & { error?: string };
          resolve(answer.error !== undefined ? { ok: false, reason: `ahash_baseline.py: ${answer.error}` } : { ok: true, value: answer });
        } catch (err) {
          resolve({ ok: false, reason: `ahash_baseline.py wrote invalid JSON: ${(err as Error).message}` });
        }
      });
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }
}

function runSync(command: string, args: string[], timeoutMs: number): Outcome<string> {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  if (r.error) return { ok: false, reason: r.error.message };
  if (r.status !== 0) {
    const stderr = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
    return { ok: false, reason: `exit ${r.status ?? r.signal}: ${stderr || '(no stderr)'}` };
  }
  return { ok: true, value: r.stdout };
}
