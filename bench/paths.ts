/** Where the bench reads its inputs and writes its cache and results. */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The repository root: the nearest folder above this file that holds package.json (works from bench/ and dist/bench/). */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = parent;
  }
  return dir;
}

/** Generated frames, variants and the Python virtualenv live here; VISIONFLOW_BENCH_CACHE overrides it. */
export function cacheRoot(): string {
  return process.env.VISIONFLOW_BENCH_CACHE ?? path.join(os.homedir(), '.cache', 'visionflow');
}

export function resultsDir(): string {
  return path.join(repoRoot(), 'bench', 'results');
}

/** Writes through a temp file and a rename so an interrupted run never leaves a half-written file in the cache. */
export async function writeFileAtomic(file: string, data: Buffer | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, data);
  await rename(temp, file);
}
