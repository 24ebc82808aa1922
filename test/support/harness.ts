/**
 * Per-test-file access to the shared dev server: config for a namespace, a real
 * in-process worker, a real worker process (for crash tests) and a client.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { Visionflow } from '../../src/client';
import { Config, parseConfig } from '../../src/config';
import { createWorkers, WorkerSet } from '../../src/worker';
import { TestNamespace } from './namespaces';

export const REPO = path.resolve(__dirname, '../..');

// Keep test output to warnings; install once per Jest worker process.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed by another test file in this process
}

export function s3Available(): boolean {
  return !!process.env.VF_TEST_S3_ENDPOINT;
}

/** Environment a worker, the CLI or the client would see for this test namespace. */
export function testEnv(namespace: TestNamespace, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: process.env.VF_TEST_TEMPORAL_ADDRESS!,
    TEMPORAL_NAMESPACE: namespace,
    VISIONFLOW_WORKFLOW_BUNDLE: process.env.VF_TEST_WORKFLOW_BUNDLE!,
    VISIONFLOW_HOME: tempDir(`home-${namespace}`),
    VISIONFLOW_LOG_LEVEL: 'WARN',
  };
  if (s3Available()) {
    env.S3_ENDPOINT = process.env.VF_TEST_S3_ENDPOINT!;
    env.S3_FORCE_PATH_STYLE = 'true';
    env.AWS_ACCESS_KEY_ID = process.env.VF_TEST_S3_ACCESS_KEY!;
    env.AWS_SECRET_ACCESS_KEY = process.env.VF_TEST_S3_SECRET_KEY!;
    env.AWS_REGION = 'us-east-1';
  }
  return { ...env, ...extra };
}

export function testConfig(namespace: TestNamespace, extra: Record<string, string> = {}): Config {
  const env = testEnv(namespace, extra);
  // The AWS SDK reads credentials from process.env (the standard chain).
  for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) if (env[key]) process.env[key] = env[key];
  return parseConfig(env);
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(process.env.VF_TEST_DIR ?? os.tmpdir(), `${label}-`));
}

export interface RunningWorker {
  set: WorkerSet;
  stop(): Promise<void>;
}

export async function startWorker(config: Config): Promise<RunningWorker> {
  const connection = await NativeConnection.connect({ address: config.temporal.address! });
  const set = await createWorkers(config, { connection });
  const running = set.run();
  return {
    set,
    stop: async () => {
      set.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** A worker in its own OS process, built from dist/, that a test can SIGKILL. */
export async function spawnWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(REPO, 'dist/src/worker.js')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes('visionflow worker polling')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (output += d.toString()));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${output}`)));
  });
  return child;
}

export async function connectClient(config: Config): Promise<Visionflow> {
  return Visionflow.connect(config);
}

/** Polls `probe` until it returns a truthy value or the timeout passes. */
export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Registers beforeAll/afterAll that start a real in-process worker and a client on a
 * test namespace; read `ctx.vf` inside tests.
 */
export function useWorkerAndClient(
  namespace: TestNamespace,
  extra: Record<string, string> | (() => Record<string, string>) = {},
): { vf: Visionflow } {
  const ctx = {} as { vf: Visionflow };
  let worker: RunningWorker | undefined;
  beforeAll(async () => {
    const config = testConfig(namespace, typeof extra === 'function' ? extra() : extra);
    worker = await startWorker(config);
    ctx.vf = await connectClient(config);
  });
  afterAll(async () => {
    await ctx.vf?.close();
    await worker?.stop();
  });
  return ctx;
}

/** Temporal wraps failures (workflow -> activity -> application): the innermost message says what went wrong. */
export function rootCause(err: unknown): string {
  let e = err as Error;
  while (e.cause instanceof Error) e = e.cause;
  return e.message;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/visionflow.js as a user would, in its own process. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin/visionflow.js'), ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
