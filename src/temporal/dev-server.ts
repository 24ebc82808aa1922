/**
 * The embedded Temporal dev server: persisted to a SQLite file, UI on, found with
 * findTemporalCli and, as a last resort, the SDK's own download.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli } from './find-temporal-cli';

export interface DevServerOptions {
  dbFile: string;
  port: number;
  uiPort?: number;
  cliPath?: string;
  namespaces?: string[];
  log?: (line: string) => void;
  /** Allow building the CLI with go install (default true). */
  build?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  cliPath: string;
  stop(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const found = await findTemporalCli({ cliPath: options.cliPath, build: options.build, log: options.log });
  const extraArgs = ['--log-level', 'error', ...(options.namespaces ?? []).flatMap((ns) => ['--namespace', ns])];
  const server = {
    dbFilename: options.dbFile,
    ip: '127.0.0.1',
    port: options.port,
    ui: options.uiPort !== undefined,
    uiPort: options.uiPort,
    extraArgs,
  };
  let env: TestWorkflowEnvironment;
  if (found.path) {
    env = await TestWorkflowEnvironment.createLocal({ server: { ...server, executable: { type: 'existing-path', path: found.path } } });
  } else {
    options.log?.('No temporal CLI found; trying the Temporal SDK download…');
    try {
      env = await TestWorkflowEnvironment.createLocal({ server: { ...server, executable: { type: 'cached-download' } } });
    } catch (err) {
      throw new Error(
        `Cannot start the embedded Temporal dev server. Tried:\n  - ${[...found.tried, `SDK download: ${(err as Error).message}`].join('\n  - ')}\n` +
          'Install it with `go install github.com/temporalio/cli/cmd/temporal@v1.5.1`, set TEMPORAL_CLI_PATH, or set TEMPORAL_ADDRESS to use an existing server.',
      );
    }
  }
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: options.uiPort !== undefined ? `http://127.0.0.1:${options.uiPort}` : undefined,
    cliPath: found.path ?? 'sdk-download',
    stop: () => env.teardown(),
  };
}
