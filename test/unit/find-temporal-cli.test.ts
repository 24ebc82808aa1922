import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findTemporalCli } from '../../src/temporal/find-temporal-cli';

function fakeCli(dir: string): string {
  const file = path.join(dir, 'temporal');
  fs.writeFileSync(file, '#!/bin/sh\necho temporal\n', { mode: 0o755 });
  return file;
}

const goDir = (() => {
  try {
    return path.dirname(execFileSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
})();

describe('finding the temporal CLI for the embedded dev server', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-find-cli-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('TEMPORAL_CLI_PATH comes first', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'explicit-'));
    const cli = fakeCli(dir);
    const onPath = fs.mkdtempSync(path.join(tmp, 'path-'));
    fakeCli(onPath);
    expect((await findTemporalCli({ cliPath: cli, env: { PATH: onPath } })).path).toBe(cli);
  });

  test('then temporal on PATH', async () => {
    const onPath = fs.mkdtempSync(path.join(tmp, 'path-'));
    const cli = fakeCli(onPath);
    const found = await findTemporalCli({ cliPath: path.join(tmp, 'missing'), env: { PATH: onPath } });
    expect(found.path).toBe(cli);
    expect(found.tried[0]).toContain('not an executable file');
  });

  (goDir ? test : test.skip)('then $(go env GOPATH)/bin/temporal', async () => {
    const gopath = fs.mkdtempSync(path.join(tmp, 'gopath-'));
    fs.mkdirSync(path.join(gopath, 'bin'));
    const cli = fakeCli(path.join(gopath, 'bin'));
    const env = { PATH: goDir!, GOPATH: gopath, HOME: os.homedir() };
    expect((await findTemporalCli({ env, build: false })).path).toBe(cli);
  });

  test('says everything it tried when nothing works', async () => {
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    const found = await findTemporalCli({ cliPath: '/no/such/temporal', env: { PATH: empty } });
    expect(found.path).toBeUndefined();
    expect(found.tried).toEqual([
      'TEMPORAL_CLI_PATH=/no/such/temporal: not an executable file',
      'temporal on PATH: not found',
      'go: not installed, so no $(go env GOPATH)/bin/temporal and no go install',
    ]);
  });

  (goDir ? test : test.skip)('names the Go path it looked in when the build is not allowed', async () => {
    const gopath = fs.mkdtempSync(path.join(tmp, 'gopath-'));
    const found = await findTemporalCli({ env: { PATH: goDir!, GOPATH: gopath, HOME: os.homedir() }, build: false });
    expect(found.path).toBeUndefined();
    expect(found.tried).toContain(`${path.join(gopath, 'bin', 'temporal')}: not found`);
    expect(found.tried).toContain('go install: not attempted');
  });
});
