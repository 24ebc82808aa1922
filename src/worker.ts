/**
 * The worker process: one Worker per task queue (DESIGN.md rule 5). `visionflow`
 * runs workflows and light I/O; `visionflow-cpu` runs CPU-bound activities with
 * concurrency near the core count. Start more processes to scale out.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities';
import { Config, loadConfig, temporalAddress } from './config';
import { createStorageOpener } from './lib/storage/open-storage';
import { bundleWorkflows } from './temporal/bundle-workflows';
import { connectWorker } from './temporal/connect';
import { CPU_QUEUE, IO_QUEUE, TaskQueue, TRAINING_QUEUE } from './task-queues';

export interface WorkerSet {
  workers: Worker[];
  /** Runs until shutdown() or a shutdown signal; rejects if a worker fails. */
  run(): Promise<void>;
  shutdown(): void;
}

export interface CreateWorkersOptions {
  connection: NativeConnection;
  /** Prebuilt workflow bundle; otherwise bundled from src/workflows at start. */
  workflowBundlePath?: string;
  queues?: TaskQueue[];
}

export async function createWorkers(config: Config, options: CreateWorkersOptions): Promise<WorkerSet> {
  const activities = createActivities({
    openStorage: createStorageOpener(config.s3),
    defaultStorage: config.storage,
    cvat: config.cvat,
    labelStudio: config.labelStudio,
    rekognition: config.rekognition,
    modelPollMs: config.rekognition.pollMs,
    s3: config.s3,
    blurModels: config.blurModels,
  });
  const bundlePath = options.workflowBundlePath ?? config.worker.workflowBundle;
  const workflowSource: Partial<WorkerOptions> = bundlePath
    ? { workflowBundle: { codePath: bundlePath } }
    : { workflowBundle: await bundleWorkflows() };
  const queues = options.queues ?? config.worker.queues;
  const workers: Worker[] = [];
  for (const queue of queues) {
    const common = {
      connection: options.connection,
      namespace: config.temporal.namespace,
      taskQueue: queue,
      activities,
      // Heartbeats reach the server at least every 2 s: cancellation arrives quickly and
      // a crashed batch resumes from a recent checkpoint.
      maxHeartbeatThrottleInterval: 2000,
      defaultHeartbeatThrottleInterval: 2000,
    };
    if (queue === IO_QUEUE) {
      workers.push(
        await Worker.create({
          ...common,
          ...workflowSource,
          maxConcurrentActivityTaskExecutions: config.worker.ioConcurrency,
        }),
      );
    } else if (queue === CPU_QUEUE) {
      workers.push(await Worker.create({ ...common, maxConcurrentActivityTaskExecutions: config.worker.cpuConcurrency }));
    } else if (queue === TRAINING_QUEUE) {
      // One training at a time per process: it keeps every core busy on its own.
      workers.push(await Worker.create({ ...common, maxConcurrentActivityTaskExecutions: 1 }));
    }
  }
  return {
    workers,
    run: async () => {
      await Promise.all(workers.map((w) => w.run()));
    },
    shutdown: () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}

/** Entry point of `npm run worker` / `visionflow worker` / the docker-compose worker. */
export async function runWorkerProcess(config: Config = loadConfig()): Promise<void> {
  Runtime.install({ logger: new DefaultLogger(config.worker.logLevel) });
  const connection = await connectWorker(config);
  try {
    const set = await createWorkers(config, { connection });
    console.log(`visionflow worker polling ${config.worker.queues.join(', ')} at ${temporalAddress(config)}, namespace ${config.temporal.namespace}`);
    await set.run();
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  runWorkerProcess().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
