/**
 * The dataset around the downloaded images: YOLO labels (`class cx cy w h`, normalised,
 * one file per image, empty for images without boxes), classes.txt and data.yaml; or
 * COCO JSON; and always `_report.json` with every task's outcome.
 */
import { Storage } from '../storage/storage';
import { DatasetPlan, PlannedTask } from './dataset-plan';
import { TaskResult } from './download-images';

export interface DatasetSummary {
  tasks: number;
  downloaded: number;
  skipped: number;
  failed: number;
  malformed: number;
  /** Tasks with results that have no YOLO/COCO form (rotated boxes, polygons, …). */
  withUnconverted: number;
  boxes: number;
}

export function yoloLines(task: PlannedTask, classes: string[]): string {
  if (task.rawLabel !== undefined) return task.rawLabel.endsWith('\n') || task.rawLabel === '' ? task.rawLabel : `${task.rawLabel}\n`;
  return task.boxes.map((b) => `${classes.indexOf(b.label)} ${f(b.cx)} ${f(b.cy)} ${f(b.w)} ${f(b.h)}\n`).join('');
}

const f = (v: number) => v.toFixed(6);

export function dataYaml(plan: DatasetPlan): string {
  const names = plan.classes.map((c, i) => `  ${i}: ${JSON.stringify(c)}`).join('\n');
  const train = plan.split ? 'images/train' : 'images';
  const val = plan.split ? 'images/val' : 'images';
  return `# written by visionflow from a Label Studio export\npath: .\ntrain: ${train}\nval: ${val}\nnc: ${plan.classes.length}\nnames:\n${names}\n`;
}

export function cocoJson(plan: DatasetPlan, results: Map<number, TaskResult>): unknown {
  const images: unknown[] = [];
  const annotations: unknown[] = [];
  let annotationId = 1;
  for (const task of plan.tasks) {
    const r = results.get(task.taskId);
    if (!r?.imageKey || (r.status !== 'downloaded' && r.status !== 'skipped')) continue;
    const width = r.width ?? task.width ?? 0;
    const height = r.height ?? task.height ?? 0;
    images.push({ id: task.taskId, file_name: r.imageKey.replace(/^images\//, ''), width, height });
    for (const b of task.boxes) {
      const w = b.w * width;
      const h = b.h * height;
      annotations.push({
        id: annotationId++,
        image_id: task.taskId,
        category_id: plan.classes.indexOf(b.label),
        bbox: [(b.cx - b.w / 2) * width, (b.cy - b.h / 2) * height, w, h],
        area: w * h,
        iscrowd: 0,
      });
    }
  }
  return {
    info: { description: 'Label Studio export, written by visionflow' },
    images,
    annotations,
    categories: plan.classes.map((name, id) => ({ id, name })),
  };
}

export async function writeDataset(
  storage: Storage,
  plan: DatasetPlan,
  resultList: TaskResult[],
  header: Record<string, unknown>,
): Promise<DatasetSummary> {
  const results = new Map(resultList.map((r) => [r.taskId, r]));
  const stored = (t: PlannedTask) => {
    const r = results.get(t.taskId);
    return r && (r.status === 'downloaded' || r.status === 'skipped') ? r : undefined;
  };
  if (plan.format === 'yolo') {
    for (const task of plan.tasks) {
      if (stored(task) && task.labelKey) await storage.put(task.labelKey, yoloLines(task, plan.classes), { contentType: 'text/plain' });
    }
    await storage.put('classes.txt', plan.classes.map((c) => `${c}\n`).join(''), { contentType: 'text/plain' });
    await storage.put('data.yaml', dataYaml(plan), { contentType: 'application/yaml' });
  } else if (plan.format === 'coco') {
    await storage.put('annotations.json', JSON.stringify(cocoJson(plan, results), null, 2), { contentType: 'application/json' });
  }
  const summary: DatasetSummary = { tasks: plan.tasks.length, downloaded: 0, skipped: 0, failed: 0, malformed: 0, withUnconverted: 0, boxes: 0 };
  const tasks = plan.tasks.map((task) => {
    const r = results.get(task.taskId) ?? { taskId: task.taskId, status: task.malformed ? 'malformed' : 'failed', reason: task.malformed ?? 'not processed' };
    summary[r.status]++;
    if (task.unconverted.length > 0) summary.withUnconverted++;
    if (stored(task)) summary.boxes += task.boxes.length;
    return {
      taskId: task.taskId,
      status: r.status,
      image: r.imageKey ?? task.imageKey ?? null,
      subset: task.subset ?? null,
      boxes: task.boxes.length,
      reason: r.reason ?? null,
      unconverted: task.unconverted,
    };
  });
  await storage.put('_report.json', JSON.stringify({ ...header, format: plan.format, classes: plan.classes, summary, tasks }, null, 2), {
    contentType: 'application/json',
  });
  return summary;
}
