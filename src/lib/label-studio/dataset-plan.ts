/**
 * From an export (or a folder of YOLO label files) to a plan: for every task its image
 * reference, its unique file name and keys in the dataset, its boxes, and what could
 * not be converted. Malformed tasks are planned as such and never stop the others. Pure.
 */
import { Box, rectangleLabelsOf, taskBoxes } from './annotation-boxes';
import { stemOf, uniqueNames } from './dataset-names';
import { classifyImageRef, ImageRef, refFileName } from './image-ref';
import { valTaskIds } from './seeded-split';

export const DATASET_FORMATS = ['yolo', 'coco', 'json'] as const;
export type DatasetFormat = (typeof DATASET_FORMATS)[number];

export interface PlannedTask {
  taskId: number;
  /** Where the image comes from; undefined for a malformed task. */
  ref?: ImageRef;
  /** More URLs to try when the first answers 404 (YOLO label folders do not say the image extension). */
  alternatives?: string[];
  fileName?: string;
  imageKey?: string;
  labelKey?: string;
  subset?: 'train' | 'val';
  boxes: Box[];
  /** Has a submitted, not cancelled annotation (possibly without boxes). */
  annotated?: boolean;
  /** Label lines copied as they are (YOLO label folders). */
  rawLabel?: string;
  unconverted: string[];
  malformed?: string;
  width?: number;
  height?: number;
}

export interface DatasetPlan {
  format: DatasetFormat;
  classes: string[];
  tasks: PlannedTask[];
  split?: { val: number; seed: number };
}

export interface PlanOptions {
  format: DatasetFormat;
  labelStudioUrl?: string;
  labelConfig?: string;
  /** Keep only tasks with at least one usable annotation. */
  onlyAnnotated?: boolean;
  split?: { val: number; seed: number };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The data field the labeling config shows as an image (`<Image value="$image"/>`), default `image`. */
export function imageFieldOf(labelConfig: string | undefined): string {
  const m = labelConfig ? /<Image\b[^>]*\bvalue\s*=\s*"\$([A-Za-z0-9_]+)"/i.exec(labelConfig) : null;
  return m ? m[1] : 'image';
}

export function planFromExport(doc: unknown, options: PlanOptions): DatasetPlan {
  if (!Array.isArray(doc)) throw new Error('the export is not a JSON list of tasks (Label Studio JSON export format)');
  const field = imageFieldOf(options.labelConfig);
  const tasks: PlannedTask[] = doc.map((entry, index): PlannedTask => {
    const fallbackId = -(index + 1);
    if (!isObject(entry)) return { taskId: fallbackId, boxes: [], unconverted: [], malformed: `entry ${index} is not an object` };
    const taskId = typeof entry.id === 'number' && Number.isInteger(entry.id) ? entry.id : fallbackId;
    const where = taskId > 0 ? `task ${taskId}` : `entry ${index}`;
    if (!isObject(entry.data)) return { taskId, boxes: [], unconverted: [], malformed: `${where}: no data object` };
    const raw = entry.data[field] ?? Object.values(entry.data).find((v) => typeof v === 'string' && /^(\/|https?:|s3:|gs:|azure-blob:)/.test(v));
    const ref = classifyImageRef(raw, options.labelStudioUrl);
    if (ref.kind === 'invalid') return { taskId, boxes: [], unconverted: [], malformed: `${where}: ${ref.reason}` };
    try {
      const labels = taskBoxes(entry);
      return {
        taskId,
        ref,
        annotated: labels.annotated,
        boxes: labels.boxes,
        unconverted: labels.unconverted,
        width: labels.width,
        height: labels.height,
        fileName: refFileName(String(raw)),
      };
    } catch (err) {
      return { taskId, boxes: [], unconverted: [], malformed: `${where}: ${(err as Error).message}` };
    }
  });
  const kept = options.onlyAnnotated ? tasks.filter((t) => t.malformed || t.annotated) : tasks;
  const configured = rectangleLabelsOf(options.labelConfig);
  const seen = [...new Set(kept.flatMap((t) => t.boxes.map((b) => b.label)))].sort();
  const classes = [...configured, ...seen.filter((l) => !configured.includes(l))];
  return finishPlan(kept, classes, options);
}

/**
 * A folder of YOLO label files (`<stem>.txt`, optional classes.txt) and the base URL of
 * the project's uploads: each label file's image is `<uploads>/<stem>.jpg` (then .jpeg,
 * .png, .webp when that answers 404). Labels are copied as they are.
 */
export function planFromYoloLabels(
  files: { name: string; text: string }[],
  uploadsUrl: string,
  options: PlanOptions,
): DatasetPlan {
  const base = uploadsUrl.endsWith('/') ? uploadsUrl : `${uploadsUrl}/`;
  const classesFile = files.find((f) => f.name === 'classes.txt');
  const classes = classesFile ? classesFile.text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean) : [];
  const labelFiles = files.filter((f) => f.name.endsWith('.txt') && f.name !== 'classes.txt').sort((a, b) => a.name.localeCompare(b.name));
  const tasks = labelFiles.map((file, index): PlannedTask => {
    const taskId = index + 1;
    const stem = stemOf(file.name);
    const bad = file.text.split(/\r?\n/).findIndex((l) => l.trim() !== '' && !/^\d+(\s+-?\d*\.?\d+(e-?\d+)?){4}\s*$/i.test(l.trim()));
    if (bad >= 0) return { taskId, boxes: [], unconverted: [], malformed: `${file.name} line ${bad + 1} is not 'class cx cy w h'` };
    const urls = ['jpg', 'jpeg', 'png', 'webp'].map((ext) => new URL(`${encodeURIComponent(stem)}.${ext}`, base).toString());
    const ref = classifyImageRef(urls[0], options.labelStudioUrl);
    return { taskId, ref, alternatives: urls.slice(1), boxes: [], rawLabel: file.text, unconverted: [], fileName: `${stem}.jpg` };
  });
  return finishPlan(tasks, classes, options);
}

function finishPlan(tasks: PlannedTask[], classes: string[], options: PlanOptions): DatasetPlan {
  const names = uniqueNames(tasks.filter((t) => !t.malformed).map((t) => ({ taskId: t.taskId, name: t.fileName ?? `task-${t.taskId}.jpg` })));
  const val = options.split ? valTaskIds(tasks.filter((t) => !t.malformed).map((t) => t.taskId), options.split.val, options.split.seed) : undefined;
  for (const task of tasks) {
    if (task.malformed) continue;
    task.fileName = names.get(task.taskId)!;
    task.subset = val ? (val.has(task.taskId) ? 'val' : 'train') : undefined;
    const folder = task.subset ? `/${task.subset}` : '';
    task.imageKey = `images${folder}/${task.fileName}`;
    task.labelKey = `labels${folder}/${stemOf(task.fileName)}.txt`;
  }
  return { format: options.format, classes, tasks, split: options.split };
}
