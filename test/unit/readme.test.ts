/** The README stays truthful: every setting and every CLI command is documented. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { buildProgram } from '../../src/client/cli';
import { SETTINGS } from '../../src/config';

const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

function commandPaths(cmd: Command, prefix: string[] = []): string[] {
  return cmd.commands.flatMap((sub) => {
    const here = [...prefix, sub.name()];
    return sub.commands.length > 0 ? commandPaths(sub, here) : [here.join(' ')];
  });
}

test('README documents every setting', () => {
  const missing = SETTINGS.map((s) => s.name).filter((name) => !readme.includes(`\`${name}\``));
  expect(missing).toEqual([]);
});

test('README shows every CLI command with an example', () => {
  const paths = commandPaths(buildProgram());
  expect(paths).toEqual(expect.arrayContaining(['status', 'capture start', 'capture status', 'capture schedule']));
  const missing = paths.filter((p) => !readme.includes(`visionflow ${p}`));
  expect(missing).toEqual([]);
});
