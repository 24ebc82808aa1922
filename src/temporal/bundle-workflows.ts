import { bundleWorkflowCode, WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** The bundler reports every module at INFO; users only need to hear about problems. */
const bundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/** Bundles src/workflows (or the given entry) once, quietly. */
export function bundleWorkflows(workflowsPath: string = require.resolve('../workflows')): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: bundlerLogger });
}
