/** Options of downloadLabelStudioExport, defaults and validation (pure). */
import { DATASET_FORMATS, DatasetFormat } from './dataset-plan';

export type LabelStudioSource =
  /** A live project on LABEL_STUDIO_URL, read with LABEL_STUDIO_TOKEN. */
  | { type: 'project'; projectId: number; onlyAnnotated?: boolean }
  /** A JSON export file in storage (file:///…/export.json or s3://bucket/key.json). */
  | { type: 'exportFile'; file: string }
  /** A folder of YOLO label files in storage, and the base URL of the project's uploads. */
  | { type: 'yoloLabels'; labels: string; uploadsUrl: string };

export interface DownloadLabelStudioInput {
  source: LabelStudioSource;
  /** Storage URL of the dataset folder: file:///abs/dir or s3://bucket/prefix. */
  destination: string;
  /** yolo (default), coco or json (images + the original export). */
  format?: DatasetFormat;
  /** Images downloading at once, default 8. */
  concurrency?: number;
  /** Optional limit on requests per second (instead of a fixed sleep). */
  requestsPerSecond?: number;
  /** Share of tasks for validation (0-1); with seed, deterministic. */
  split?: { val: number; seed?: number };
  /** Tasks per activity (checkpoint granularity), default 100. */
  batchSize?: number;
}

export type DownloadLabelStudioOptions = Required<Omit<DownloadLabelStudioInput, 'requestsPerSecond' | 'split'>> & {
  requestsPerSecond?: number;
  split?: { val: number; seed: number };
};

export function normalizeDownloadLabelStudio(input: DownloadLabelStudioInput): DownloadLabelStudioOptions {
  const problems: string[] = [];
  const o: DownloadLabelStudioOptions = {
    source: input.source,
    destination: input.destination,
    format: input.format ?? 'yolo',
    concurrency: input.concurrency ?? 8,
    batchSize: input.batchSize ?? 100,
    requestsPerSecond: input.requestsPerSecond,
    split: input.split ? { val: input.split.val, seed: input.split.seed ?? 42 } : undefined,
  };
  const s = o.source as Partial<LabelStudioSource> | undefined;
  if (!s || typeof s !== 'object') problems.push('source is missing');
  else if (s.type === 'project') {
    if (!Number.isInteger(s.projectId) || (s.projectId as number) < 1) problems.push(`source.projectId must be a positive integer, got ${String(s.projectId)}`);
  } else if (s.type === 'exportFile') {
    if (typeof s.file !== 'string' || !/^(file:\/\/\/|s3:\/\/)/.test(s.file)) problems.push(`source.file must be a file:/// or s3:// URL of a JSON export, got '${String(s.file)}'`);
  } else if (s.type === 'yoloLabels') {
    if (typeof s.labels !== 'string' || !/^(file:\/\/\/|s3:\/\/)/.test(s.labels)) problems.push(`source.labels must be a file:/// or s3:// folder URL, got '${String(s.labels)}'`);
    if (typeof s.uploadsUrl !== 'string' || !/^https?:\/\//.test(s.uploadsUrl)) problems.push(`source.uploadsUrl must be an http(s) URL, got '${String(s.uploadsUrl)}'`);
  } else problems.push(`source.type must be project, exportFile or yoloLabels, got '${String(s.type)}'`);
  if (typeof o.destination !== 'string' || !/^(file:\/\/\/|s3:\/\/)/.test(o.destination)) problems.push(`destination '${String(o.destination)}' must be a file:///abs/dir or s3://bucket/prefix URL`);
  if (!(DATASET_FORMATS as readonly string[]).includes(o.format)) problems.push(`format must be one of ${DATASET_FORMATS.join(', ')}, got '${o.format}'`);
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1 || o.concurrency > 256) problems.push(`concurrency must be an integer from 1 to 256, got ${o.concurrency}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1 || o.batchSize > 10_000) problems.push(`batchSize must be an integer from 1 to 10000, got ${o.batchSize}`);
  if (o.requestsPerSecond !== undefined && !(o.requestsPerSecond > 0 && o.requestsPerSecond <= 10_000)) problems.push(`requestsPerSecond must be above 0, got ${o.requestsPerSecond}`);
  if (o.split && !(o.split.val >= 0 && o.split.val < 1 && Number.isInteger(o.split.seed))) problems.push(`split.val must be from 0 to below 1 and split.seed an integer, got ${JSON.stringify(o.split)}`);
  if (problems.length > 0) throw new Error(`invalid Label Studio download options: ${problems.join('; ')}`);
  return o;
}
