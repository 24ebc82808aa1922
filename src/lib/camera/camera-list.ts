/**
 * Camera lists: our own JSON (`[{id, url}]` or `{cameras: [...]}`) or a catalog in the
 * Grand Lyon open-data format (`values[].numeromaintenance`, `values[].url`, optional
 * `next` page). Pure parsing; fetching pages is the caller's job.
 */
import { CAMERA_ID_PATTERN } from './capture-options';

export interface CameraEntry {
  id: string;
  url: string;
}

export interface ParsedCameraList {
  cameras: CameraEntry[];
  /** Entries that were skipped, each with its position and reason. */
  problems: string[];
  /** Next catalog page, when the document names one. */
  next?: string;
}

export function parseCameraList(doc: unknown, source: string): ParsedCameraList {
  let entries: unknown[];
  let next: string | undefined;
  let idField = 'id';
  if (Array.isArray(doc)) entries = doc;
  else if (isObject(doc) && Array.isArray(doc.cameras)) entries = doc.cameras;
  else if (isObject(doc) && Array.isArray(doc.values)) {
    entries = doc.values;
    idField = 'numeromaintenance';
    if (typeof doc.next === 'string' && /^https?:\/\//.test(doc.next)) next = doc.next;
  } else {
    throw new Error(`${source}: expected a JSON array of {id, url}, {cameras: [...]} or a catalog with values[]`);
  }
  const cameras: CameraEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    const where = `${source} entry ${i}`;
    if (!isObject(entry)) return problems.push(`${where}: not an object`);
    const id = entry[idField] ?? entry.id;
    const url = entry.url;
    if (typeof id !== 'string' || !CAMERA_ID_PATTERN.test(id)) {
      return problems.push(`${where}: ${idField} ${JSON.stringify(id)} is not a usable camera id`);
    }
    if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
      return problems.push(`${where} (${id}): url ${JSON.stringify(url)} is not http(s)`);
    }
    if (seen.has(id)) return problems.push(`${where}: duplicate camera id '${id}'`);
    seen.add(id);
    cameras.push({ id, url });
  });
  return { cameras, problems, next };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
