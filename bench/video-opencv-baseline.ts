/**
 * The original notebook's OpenCV frame loop (opencv_frames_baseline.py) run from the
 * bench virtualenv, one Python process per timed run. opencv-python-headless is
 * installed into the venv on first use; without Python, the venv or the package the
 * baseline is "unavailable" with the reason and the bench goes on.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { repoRoot } from './paths';
import { Outcome } from './python-baseline';

export interface OpencvVersions {
  python: string;
  opencv: string;
  numpy: string;
}

export interface OpencvRun {
  /** Opening the video to the last JPEG written, timed inside Python. */
  seconds: number;
  /** The same, seen from the bench: interpreter start and `import cv2` included. */
  wallSeconds: number;
  read: number;
  written: number;
  /** cv2.getNumThreads(): OpenCV's own thread pool (its FFmpeg decoder threads are separate). */
  threads: number;
}

const SCRIPT = () => path.join(repoRoot(), 'bench', 'opencv_frames_baseline.py');
const RUN_TIMEOUT_MS = 900_000;

/** The venv's python with cv2 importable (installing opencv-python-headless when it is not), or why not. */
export function prepareOpencv(venvDir: string): Outcome<{ python: string; versions: OpencvVersions; installed: boolean }> {
  const python = path.join(venvDir, 'bin', 'python');
  if (!existsSync(python)) return { ok: false, reason: `no Python virtualenv at ${venvDir}` };
  let installed = false;
  if (spawnSync(python, ['-c', 'import cv2'], { timeout: 60_000 }).status !== 0) {
    const pip = spawnSync(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--quiet', 'opencv-python-headless'], { encoding: 'utf8', timeout: 600_000 });
    if (pip.status !== 0) return { ok: false, reason: `pip install opencv-python-headless failed: ${(pip.stderr || pip.error?.message || '').trim().split('\n').slice(-2).join(' | ')}` };
    installed = true;
  }
  const answer = spawnSync(python, [SCRIPT(), JSON.stringify({ mode: 'versions' })], { encoding: 'utf8', timeout: 60_000 });
  const parsed = parseAnswer<OpencvVersions>(answer.stdout ?? '', answer.stderr ?? answer.error?.message ?? '');
  return parsed.ok ? { ok: true, value: { python, versions: parsed.value, installed } } : parsed;
}

/** One run of the notebook loop over `video`, writing JPEGs into `out`. */
export function runOpencvBaseline(python: string, video: string, out: string, everyS: number, quality: number): Promise<Outcome<OpencvRun>> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(python, [SCRIPT(), JSON.stringify({ mode: 'run', video, out, every: everyS, quality })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    child.on('error', (err) => resolve({ ok: false, reason: err.message }));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallSeconds = (performance.now() - started) / 1000;
      if (code !== 0) return resolve({ ok: false, reason: `python exited with ${code ?? signal}: ${stderr.trim().split('\n').slice(-2).join(' | ')}` });
      const parsed = parseAnswer<Omit<OpencvRun, 'wallSeconds'>>(stdout, stderr);
      resolve(parsed.ok ? { ok: true, value: { ...parsed.value, wallSeconds } } : parsed);
    });
  });
}

function parseAnswer<T>(stdout: string, stderr: string): Outcome<T> {
  try {
    const answer = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T & { error?: string };
    return answer.error !== undefined ? { ok: false, reason: `opencv_frames_baseline.py: ${answer.error}` } : { ok: true, value: answer };
  } catch {
    return { ok: false, reason: `opencv_frames_baseline.py gave no answer: ${stderr.trim().split('\n').slice(-2).join(' | ') || '(no output)'}` };
  }
}
