/**
 * Bounding boxes of a Label Studio task in YOLO's normalised form. One annotation per
 * task is used: the ground truth if one is marked, else the most recently updated
 * annotation that was not cancelled. Results that are not axis-aligned rectangles
 * (rotated boxes, polygons, keypoints, brushes, …) are reported, not dropped silently.
 * Pure.
 */
export interface Box {
  label: string;
  /** Centre and size, normalised to 0-1 of the image. */
  cx: number;
  cy: number;
  w: number;
  h: number;
}

export interface TaskBoxes {
  /** At least one annotation was submitted and not cancelled (an empty one marks a negative example). */
  annotated: boolean;
  boxes: Box[];
  /** Results that were not converted, each with why. */
  unconverted: string[];
  /** Image size the annotator saw, when the results carry it. */
  width?: number;
  height?: number;
  annotationId?: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Throws an Error naming what is malformed; the caller reports it for this task only. */
export function taskBoxes(task: Json): TaskBoxes {
  const annotations = task.annotations ?? [];
  if (!Array.isArray(annotations)) throw new Error('annotations is not a list');
  const usable = annotations.filter((a): a is Json => isObject(a) && a.was_cancelled !== true);
  if (usable.length === 0) return { annotated: false, boxes: [], unconverted: [] };
  const chosen =
    usable.find((a) => a.ground_truth === true) ??
    [...usable].sort((a, b) => String(b.updated_at ?? '').localeCompare(String(a.updated_at ?? '')) || Number(b.id ?? 0) - Number(a.id ?? 0))[0];
  const results = chosen.result ?? [];
  if (!Array.isArray(results)) throw new Error(`annotation ${String(chosen.id)}: result is not a list`);
  const out: TaskBoxes = { annotated: true, boxes: [], unconverted: [], annotationId: isNumber(chosen.id) ? chosen.id : undefined };
  results.forEach((r, i) => {
    if (!isObject(r)) throw new Error(`annotation ${String(chosen.id)} result ${i}: not an object`);
    if (isNumber(r.original_width) && isNumber(r.original_height)) {
      out.width = r.original_width;
      out.height = r.original_height;
    }
    const type = String(r.type ?? '');
    const value = r.value;
    if (!isObject(value)) throw new Error(`annotation ${String(chosen.id)} result ${i}: value is missing`);
    const labels = Array.isArray(value.rectanglelabels) ? value.rectanglelabels : Array.isArray(value.labels) && type === 'rectangle' ? value.labels : undefined;
    if (type !== 'rectanglelabels' && type !== 'rectangle') {
      out.unconverted.push(`${type || 'untyped'} result ${String(r.id ?? i)} is not a rectangle`);
      return;
    }
    const { x, y, width, height } = value;
    if (![x, y, width, height].every(isNumber)) throw new Error(`annotation ${String(chosen.id)} result ${i}: x, y, width and height must be numbers`);
    const rotation = isNumber(value.rotation) ? value.rotation : 0;
    if (Math.abs(rotation % 360) > 1e-6) {
      out.unconverted.push(`rotated box (${rotation}°) ${String(r.id ?? i)} of '${String(labels?.[0] ?? '?')}' has no YOLO form`);
      return;
    }
    if (isNumber(r.image_rotation) && r.image_rotation % 360 !== 0) {
      out.unconverted.push(`box ${String(r.id ?? i)} was drawn on an image rotated by ${r.image_rotation}°`);
      return;
    }
    if (!labels || labels.length === 0 || labels.some((l) => typeof l !== 'string')) {
      out.unconverted.push(`box ${String(r.id ?? i)} has no label`);
      return;
    }
    // Label Studio stores percentages of the image; clip to the image as YOLO requires.
    const x0 = clamp01((x as number) / 100);
    const y0 = clamp01((y as number) / 100);
    const x1 = clamp01(((x as number) + (width as number)) / 100);
    const y1 = clamp01(((y as number) + (height as number)) / 100);
    if (x1 <= x0 || y1 <= y0) {
      out.unconverted.push(`box ${String(r.id ?? i)} has no area inside the image`);
      return;
    }
    for (const label of labels as string[]) {
      out.boxes.push({ label, cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, w: x1 - x0, h: y1 - y0 });
    }
  });
  return out;
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

/** Label values of RectangleLabels in a labeling config, in their order. */
export function rectangleLabelsOf(labelConfig: string | undefined): string[] {
  if (!labelConfig) return [];
  const out: string[] = [];
  const blocks = labelConfig.match(/<RectangleLabels\b[\s\S]*?<\/RectangleLabels>/gi) ?? [];
  for (const block of blocks) {
    for (const m of block.matchAll(/<Label\b[^>]*\bvalue\s*=\s*"([^"]*)"/gi)) {
      const value = m[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
      if (!out.includes(value)) out.push(value);
    }
  }
  return out;
}
