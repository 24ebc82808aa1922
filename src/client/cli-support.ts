/** Small pieces every CLI command uses: argument parsers, output, a connected client. */
import { InvalidArgumentError } from 'commander';
import { loadConfig } from '../config';
import { parseDuration } from '../lib/duration';
import { Visionflow } from './index';

/** Bad input from the user: exit code 2. */
export class UsageError extends Error {}

export const durationArg = (what: string) => (value: string) => {
  try {
    return parseDuration(value, what);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

export const intArg = (what: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${what} must be an integer >= ${min}, got '${value}'`);
  return n;
};

/** A percentage from 1 to 100 (a blur threshold). */
export const percentArg = (what: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1 || n > 100) throw new InvalidArgumentError(`${what} must be a percentage from 1 to 100, got '${value}'`);
  return n;
};

export function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

export async function withClient<T>(fn: (vf: Visionflow) => Promise<T>): Promise<T> {
  const vf = await Visionflow.connect(loadConfig());
  try {
    return await fn(vf);
  } finally {
    await vf.close();
  }
}

