import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** $NAME_PATH, then PATH, then $(go env GOPATH)/bin. */
export function findBinary(name: string, envVar: string): string | undefined {
  const explicit = process.env[envVar];
  if (explicit && fs.existsSync(explicit)) return explicit;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  try {
    const gopath = execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim();
    const candidate = path.join(gopath, 'bin', name);
    if (fs.existsSync(candidate)) return candidate;
  } catch {
    // no Go
  }
  return undefined;
}
