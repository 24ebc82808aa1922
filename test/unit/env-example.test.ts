/**
 * `.env.example` documents every setting of SETTINGS (src/config.ts) exactly once and
 * nothing else; its active lines carry the documented defaults and load as a `.env`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parseConfig, SETTING_NAMES, SETTINGS } from '../../src/config';

const ENV_EXAMPLE = path.resolve(__dirname, '../../.env.example');

interface EnvExampleEntry {
  name: string;
  value: string;
  /** false for a commented-out `# NAME=` line. */
  active: boolean;
  line: number;
}

/** `NAME=value` and `# NAME=value` lines; other comments and blank lines are skipped. */
function parseEnvExample(text: string): EnvExampleEntry[] {
  const entries: EnvExampleEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const m = /^\s*(#\s*)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(raw);
    if (m) entries.push({ name: m[2], value: m[3].trim(), active: m[1] === undefined, line: i + 1 });
  });
  return entries;
}

interface NameComparison {
  missing: string[];
  extra: string[];
  duplicated: string[];
}

function compareNames(entries: EnvExampleEntry[], expected: ReadonlySet<string>): NameComparison {
  const seen = new Map<string, number>();
  for (const e of entries) seen.set(e.name, (seen.get(e.name) ?? 0) + 1);
  return {
    missing: [...expected].filter((n) => !seen.has(n)).sort(),
    extra: [...seen.keys()].filter((n) => !expected.has(n)).sort(),
    duplicated: [...seen].filter(([, count]) => count > 1).map(([n]) => n).sort(),
  };
}

describe('.env.example', () => {
  const text = fs.readFileSync(ENV_EXAMPLE, 'utf8');
  const entries = parseEnvExample(text);

  test('lists every SETTINGS name exactly once and nothing else', () => {
    expect(compareNames(entries, SETTING_NAMES)).toEqual({ missing: [], extra: [], duplicated: [] });
  });

  test('active lines show the documented default; secrets are never given a value', () => {
    const problems: string[] = [];
    for (const e of entries) {
      const setting = SETTINGS.find((s) => s.name === e.name);
      if (!setting) continue; // reported by the name check
      if (setting.secret && (e.active || e.value !== '')) {
        problems.push(`line ${e.line}: ${e.name} is a secret; write it as '# ${e.name}=' with no value`);
      }
      if (e.active && e.value !== setting.default) {
        problems.push(`line ${e.line}: ${e.name}=${e.value} but its default in SETTINGS is ${setting.default === undefined ? 'unset' : `'${setting.default}'`}`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('copied to .env unchanged, it is a valid configuration', () => {
    expect(() => parseConfig(parseDotenv(text), '/tmp/visionflow-env-example')).not.toThrow();
  });

  test('the name check reports missing, extra and duplicated names', () => {
    const sample = ['# comment, TEMPORAL_ADDRESS is not a line', 'TEMPORAL_NAMESPACE=default', '# TEMPORAL_API_KEY=', 'NOT_A_SETTING=1', '# TEMPORAL_NAMESPACE=x'].join('\n');
    const expected = new Set(['TEMPORAL_NAMESPACE', 'TEMPORAL_API_KEY', 'TEMPORAL_ADDRESS']);
    expect(compareNames(parseEnvExample(sample), expected)).toEqual({
      missing: ['TEMPORAL_ADDRESS'],
      extra: ['NOT_A_SETTING'],
      duplicated: ['TEMPORAL_NAMESPACE'],
    });
  });
});
