import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const ESLINT = path.join(REPO, 'node_modules/.bin/eslint');

interface LintResult {
  filePath: string;
  messages: { ruleId: string | null; message: string }[];
}

/** Runs the project's ESLint as a user would (its config loads through ESM, which Jest's VM cannot). */
function eslint(args: string[], stdin?: string): LintResult[] {
  const run = spawnSync(ESLINT, ['--format', 'json', ...args], { cwd: REPO, input: stdin, encoding: 'utf8' });
  if (!run.stdout) throw new Error(`eslint failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as LintResult[];
}

async function lintWorkflow(code: string): Promise<string[]> {
  const [result] = eslint(['--stdin', '--stdin-filename', 'src/workflows/example.ts'], code);
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('lint keeps workflow code deterministic', () => {
  test.each([
    ["import * as fs from 'node:fs';\nexport const x = fs;", 'no-restricted-imports'],
    ["import * as fs from 'fs';\nexport const x = fs;", 'no-restricted-imports'],
    ["import sharp from 'sharp';\nexport const x = sharp;", 'no-restricted-imports'],
    ["import { S3Client } from '@aws-sdk/client-s3';\nexport const x = S3Client;", 'no-restricted-imports'],
    ["import { Context } from '@temporalio/activity';\nexport const x = Context;", 'no-restricted-imports'],
    ["import { createActivities } from '../activities';\nexport const x = createActivities;", 'no-restricted-imports'],
    ['export const x = Math.random();', 'no-restricted-properties'],
    ['export const x = setTimeout(() => undefined, 1);', 'no-restricted-globals'],
  ])('rejects %s', async (code, rule) => {
    const messages = await lintWorkflow(code);
    expect(messages.some((m) => m.startsWith(rule))).toBe(true);
  });

  test('accepts the workflow API, pure lib code and type-only activity imports', async () => {
    const code = [
      "import { sleep } from '@temporalio/workflow';",
      "import type { Activities } from '../activities';",
      "import { parseDuration } from '../lib/duration';",
      'export async function wf(a: Activities | undefined): Promise<void> {',
      "  await sleep(parseDuration('1s'));",
      '  void a;',
      '}',
    ].join('\n');
    expect(await lintWorkflow(code)).toEqual([]);
  });

  test('the real workflow files pass', async () => {
    const results = eslint(['src/workflows']);
    expect(results.length).toBeGreaterThan(2);
    expect(results.flatMap((r) => r.messages.map((m) => `${r.filePath}: ${m.message}`))).toEqual([]);
  });
});
