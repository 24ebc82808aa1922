/**
 * Finds the `temporal` CLI for the embedded dev server, in the documented order:
 * TEMPORAL_CLI_PATH, `temporal` on PATH, $(go env GOPATH)/bin/temporal, then building
 * it with `go install` when Go is present. Returns undefined (with what was tried)
 * when none worked, so the caller can fall back to the SDK's own download.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export interface FoundCli {
  path?: string;
  tried: string[];
}

export interface FindOptions {
  cliPath?: string;
  env?: NodeJS.ProcessEnv;
  /** Allow `go install` (minutes on a cold cache). */
  build?: boolean;
  log?: (line: string) => void;
}

export async function findTemporalCli(options: FindOptions = {}): Promise<FoundCli> {
  const env = options.env ?? process.env;
  const tried: string[] = [];
  if (options.cliPath) {
    if (isExecutable(options.cliPath)) return { path: options.cliPath, tried };
    tried.push(`TEMPORAL_CLI_PATH=${options.cliPath}: not an executable file`);
  } else tried.push('TEMPORAL_CLI_PATH: not set');

  const onPath = searchPath('temporal', env.PATH ?? '');
  if (onPath) return { path: onPath, tried };
  tried.push('temporal on PATH: not found');

  const gopath = await goEnvGopath(env);
  if (gopath === undefined) {
    tried.push('go: not installed, so no $(go env GOPATH)/bin/temporal and no go install');
    return { tried };
  }
  const goBin = path.join(gopath.split(path.delimiter)[0], 'bin', 'temporal');
  if (isExecutable(goBin)) return { path: goBin, tried };
  tried.push(`${goBin}: not found`);

  if (options.build === false) {
    tried.push('go install: not attempted');
    return { tried };
  }
  options.log?.(`Building the Temporal CLI with go install ${TEMPORAL_CLI_MODULE} (first run only; a few minutes)…`);
  try {
    await run('go', ['install', TEMPORAL_CLI_MODULE], { env, maxBuffer: 16 * 1024 * 1024 });
    if (isExecutable(goBin)) return { path: goBin, tried };
    tried.push(`go install ${TEMPORAL_CLI_MODULE}: finished but ${goBin} is missing`);
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n').slice(-3).join(' | ');
    tried.push(`go install ${TEMPORAL_CLI_MODULE}: failed: ${stderr}`);
  }
  return { tried };
}

async function goEnvGopath(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const { stdout } = await run('go', ['env', 'GOPATH'], { env });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

function searchPath(name: string, pathEnv: string): string | undefined {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
