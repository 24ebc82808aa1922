/**
 * `visionflow status`: is Temporal reachable, is a worker polling each task queue,
 * is the default storage writable. Each check says what it saw.
 */
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Config, temporalAddress } from '../config';
import { CvatClient } from '../lib/cvat/cvat-client';
import { createStorageOpener } from '../lib/storage/open-storage';
import { IO_QUEUE, TASK_QUEUES } from '../task-queues';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SystemStatus {
  ok: boolean;
  checks: Check[];
}

export async function systemStatus(config: Config, connection?: Connection): Promise<SystemStatus> {
  const checks: Check[] = [];
  let conn = connection;
  const address = temporalAddress(config);
  try {
    conn ??= await Connection.connect({ address, connectTimeout: '3s', tls: config.temporal.tls || config.temporal.apiKey ? {} : undefined, apiKey: config.temporal.apiKey });
    await conn.workflowService.describeNamespace({ namespace: config.temporal.namespace });
    checks.push({ name: 'temporal', ok: true, detail: `reachable at ${address}, namespace ${config.temporal.namespace}` });
  } catch (err) {
    checks.push({ name: 'temporal', ok: false, detail: `cannot reach ${address} (namespace ${config.temporal.namespace}): ${firstLine(err)}` });
    conn = undefined;
  }
  for (const queue of TASK_QUEUES) {
    if (!conn) {
      checks.push({ name: `queue ${queue}`, ok: false, detail: 'unknown: Temporal is not reachable' });
      continue;
    }
    const kinds = queue === IO_QUEUE
      ? [temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY]
      : [temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY];
    try {
      const counts: number[] = [];
      for (const taskQueueType of kinds) {
        const res = await conn.workflowService.describeTaskQueue({
          namespace: config.temporal.namespace,
          taskQueue: { name: queue },
          taskQueueType,
        });
        counts.push(res.pollers?.length ?? 0);
      }
      const ok = counts.every((n) => n > 0);
      checks.push({
        name: `queue ${queue}`,
        ok,
        detail: ok ? `${Math.min(...counts)} worker poller(s)` : 'no worker is polling (start one with `npm start` or `visionflow worker`)',
      });
    } catch (err) {
      checks.push({ name: `queue ${queue}`, ok: false, detail: firstLine(err) });
    }
  }
  try {
    const storage = createStorageOpener(config.s3)(config.storage);
    const key = `_visionflow/status-probe-${randomUUID()}`;
    const body = `probe ${new Date().toISOString()}`;
    await storage.put(key, body);
    const back = await storage.get(key);
    await storage.delete(key);
    if (back?.toString() !== body) throw new Error('read back different bytes');
    checks.push({ name: 'storage', ok: true, detail: `${config.storage} is writable` });
  } catch (err) {
    checks.push({ name: 'storage', ok: false, detail: `${config.storage} is not writable: ${firstLine(err)}` });
  }
  if (config.cvat) {
    // Only when this machine has CVAT settings: workers may hold them instead.
    try {
      const about = await new CvatClient(config.cvat, { retries: 0, timeoutMs: 5000 }).about();
      checks.push({ name: 'cvat', ok: true, detail: `${about.name ?? 'CVAT'} ${about.version} at ${config.cvat.host}, credentials accepted` });
    } catch (err) {
      checks.push({ name: 'cvat', ok: false, detail: `${config.cvat.host}: ${firstLine(err)}` });
    }
  }
  if (conn && !connection) await conn.close();
  return { ok: checks.every((c) => c.ok), checks };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
