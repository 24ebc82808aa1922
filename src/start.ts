/**
 * `npm start`: the whole stack on embedded defaults. Without TEMPORAL_ADDRESS it runs
 * a Temporal dev server persisted to <VISIONFLOW_HOME>/temporal.db; then the workers,
 * with storage at VISIONFLOW_STORAGE (default <VISIONFLOW_HOME>/data), and the blur
 * model web page on 127.0.0.1:VISIONFLOW_WEB_PORT (default 3000).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { Visionflow } from './client';
import { ConfigError, loadConfig, temporalAddress } from './config';
import { DevServer, startDevServer } from './temporal/dev-server';
import { connectWorker } from './temporal/connect';
import { startWebServer, WebServer } from './web/web-server';
import { createWorkers } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  Runtime.install({ logger: new DefaultLogger(config.worker.logLevel), shutdownSignals: [] });
  fs.mkdirSync(config.home, { recursive: true });
  if (config.storage.startsWith('file://')) fs.mkdirSync(config.storage.slice('file://'.length), { recursive: true });

  let devServer: DevServer | undefined;
  if (!config.temporal.address) {
    const dbFile = path.join(config.home, 'temporal.db');
    console.log(`Starting the Temporal dev server (state in ${dbFile})…`);
    devServer = await startDevServer({
      dbFile,
      port: config.temporal.devPort,
      uiPort: config.temporal.uiPort,
      cliPath: config.temporal.cliPath,
      namespaces: config.temporal.namespace === 'default' ? [] : [config.temporal.namespace],
      log: (line) => console.log(line),
    });
    console.log(`Temporal UI: ${devServer.uiUrl}`);
  } else {
    console.log(`Using Temporal at ${config.temporal.address} (namespace ${config.temporal.namespace}).`);
  }

  const connection = await connectWorker(config);
  const workers = await createWorkers(config, { connection });
  console.log(`Workers polling ${config.worker.queues.join(', ')} on ${temporalAddress(config)}.`);
  console.log(`Storage: ${config.storage}`);
  // The page uses the same client API as the CLI; it binds 127.0.0.1 only (no auth).
  let vf: Visionflow | undefined;
  let web: WebServer | undefined;
  try {
    vf = await Visionflow.connect(config);
    web = await startWebServer(vf, { port: config.web.port });
    console.log(`Web page (blur models: train, list, predict): ${web.url}`);
  } catch (err) {
    // A taken port must not take the workers down: say so and keep running.
    console.error(`The web page did not start: ${err instanceof Error ? err.message : err} (set VISIONFLOW_WEB_PORT to another port, 0 for any free one)`);
  }
  console.log('visionflow is running. Try `npx visionflow status`; Ctrl-C stops everything.');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping workers…`);
    workers.shutdown();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  try {
    await workers.run();
  } finally {
    await web?.close();
    await vf?.close();
    await connection.close();
    if (devServer) {
      console.log('Stopping the Temporal dev server…');
      await devServer.stop();
    }
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `visionflow failed to start: ${err instanceof Error ? err.message : err}`);
  process.exit(1);
});
