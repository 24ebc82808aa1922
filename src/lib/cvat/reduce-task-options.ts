/** Options of reduceCvatTask, their defaults and validation (pure). */
import { checkReduceOptions, OutputFormat } from '../image/reduce-image-format';
import { checkLayout, DEFAULT_LAYOUT } from './destination-layout';
import { parseTaskName } from './task-name';

export const VIAS = ['frames', 'export'] as const;
export type Via = (typeof VIAS)[number];

export interface ReduceCvatTaskInput {
  /** `levID-medID`, the exact CVAT task name. */
  taskName: string;
  /** Storage URL: s3://bucket/prefix or file:///abs/dir. */
  destination: string;
  /** JPEG/WebP quality, default 60. */
  quality?: number;
  /** Longest side in pixels; larger frames are shrunk. */
  maxSide?: number;
  /** Output format rule, default 'jpeg' (see src/lib/image/reduce-image.ts). */
  format?: OutputFormat;
  /** 'frames' (default): frame by frame from the data API; 'export': CVAT's dataset export. */
  via?: Via;
  /** Key layout under the destination, default '{lev}/{med}/{name}'. */
  layout?: string;
  mozjpeg?: boolean;
  /** false skips the optimal-Huffman pass: faster, bigger files (see ReduceOptions). */
  optimizeCoding?: boolean;
  keepMetadata?: boolean;
  /** Frames per activity (checkpoint granularity), default 32. */
  batchSize?: number;
  /** Batch activities in flight, default 4; the CPU queue's slots bound the real parallelism. */
  parallelBatches?: number;
  /** Export format for --via export, default 'CVAT for images 1.1'. */
  exportFormat?: string;
}

export type ReduceCvatTaskOptions = Required<Omit<ReduceCvatTaskInput, 'maxSide'>> & { maxSide?: number };

export function normalizeReduceCvatTask(input: ReduceCvatTaskInput): ReduceCvatTaskOptions {
  const o: ReduceCvatTaskOptions = {
    quality: 60,
    format: 'jpeg',
    via: 'frames',
    layout: DEFAULT_LAYOUT,
    mozjpeg: false,
    optimizeCoding: true,
    keepMetadata: false,
    batchSize: 32,
    parallelBatches: 4,
    exportFormat: 'CVAT for images 1.1',
    ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
  } as ReduceCvatTaskOptions;
  const problems: string[] = [];
  const check = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      problems.push((err as Error).message);
    }
  };
  check(() => parseTaskName(o.taskName));
  if (typeof o.destination !== 'string' || !/^(file:\/\/\/|s3:\/\/)/.test(o.destination)) {
    problems.push(`destination '${String(o.destination)}' must be an s3://bucket/prefix or file:///abs/dir URL`);
  }
  check(() => checkReduceOptions(o));
  check(() => checkLayout(o.layout));
  if (!(VIAS as readonly string[]).includes(o.via)) problems.push(`via must be frames or export, got '${o.via}'`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1 || o.batchSize > 1000) problems.push(`batchSize must be an integer from 1 to 1000, got ${o.batchSize}`);
  if (!Number.isInteger(o.parallelBatches) || o.parallelBatches < 1 || o.parallelBatches > 64) {
    problems.push(`parallelBatches must be an integer from 1 to 64, got ${o.parallelBatches}`);
  }
  if (problems.length > 0) throw new Error(`invalid CVAT reduction options: ${problems.join('; ')}`);
  return o;
}
