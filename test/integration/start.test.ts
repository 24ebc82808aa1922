/**
 * `npm start` on embedded defaults: dev server persisted to <home>/temporal.db, workers,
 * local storage; `visionflow status` sees all of it; Ctrl-C stops everything.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePort } from '../support/free-port';
import { REPO, tempDir, testEnv } from '../support/harness';

/** Runs dist/src/start.js (what `npm start` runs after building) until it says it is ready. */
async function startStack(env: NodeJS.ProcessEnv, cwd: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [path.join(REPO, 'dist/src/start.js')], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 90 s:\n${output}`)), 90_000);
    child.stdout!.on('data', () => {
      if (output.includes('visionflow is running')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  return { child, output: () => output };
}

async function stopStack(child: ChildProcess): Promise<number | null> {
  child.kill('SIGINT');
  return new Promise((resolve) => child.once('exit', resolve));
}

function status(env: NodeJS.ProcessEnv, cwd: string) {
  const run = spawnSync(process.execPath, [path.join(REPO, 'bin/visionflow.js'), 'status', '--json'], { env, cwd, encoding: 'utf8' });
  return { code: run.status, report: JSON.parse(run.stdout) };
}

const children: ChildProcess[] = [];

describe('npm start', () => {
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  test('runs the whole stack on embedded defaults and stops cleanly on SIGINT', async () => {
    const home = tempDir('start-home');
    const env = {
      ...process.env,
      VISIONFLOW_HOME: home,
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      VISIONFLOW_WEB_PORT: '0',
      TEMPORAL_ADDRESS: '',
      TEMPORAL_NAMESPACE: '',
      VISIONFLOW_STORAGE: '',
    };
    const { child, output } = await startStack(env, home);
    expect(output()).toContain(`Temporal UI: http://127.0.0.1:${env.TEMPORAL_UI_PORT}`);
    expect(fs.existsSync(path.join(home, 'temporal.db'))).toBe(true);

    const { code, report } = status(env, home);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.find((c: { name: string }) => c.name === 'storage').detail).toContain(`file://${path.join(home, 'data')}`);

    expect(await stopStack(child)).toBe(0);
    expect(output()).toContain('Stopping the Temporal dev server');
  });

  test('with TEMPORAL_ADDRESS it uses that server and starts no dev server', async () => {
    const home = tempDir('start-remote');
    const env = { ...process.env, ...testEnv('start', { VISIONFLOW_HOME: home, VISIONFLOW_STORAGE: '', VISIONFLOW_WEB_PORT: '0' }) };
    const { child, output } = await startStack(env, home);
    expect(output()).toContain(`Using Temporal at ${process.env.VF_TEST_TEMPORAL_ADDRESS}`);
    expect(output()).not.toContain('dev server');
    expect(fs.existsSync(path.join(home, 'temporal.db'))).toBe(false);
    expect(status(env, home).report.ok).toBe(true);
    expect(await stopStack(child)).toBe(0);
  });
});
