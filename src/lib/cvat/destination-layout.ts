/**
 * Where reduced frames go under the destination (pure). The default layout
 * `{lev}/{med}/{name}` puts task `L12-M3`'s frame `left/IMG_0002.png` at
 * `<destination>/L12/M3/left/IMG_0002.jpg`. Placeholders: {lev}, {med}, {task} (the
 * whole name), {taskId}, {name} (frame name, extension of the output format) and
 * {frame} (frame number, zero-padded to 6 digits). The report goes to `_report.json`
 * in the folder all frames share.
 */
import { OutputFormat } from '../image/reduce-image-format';
import { TaskName } from './task-name';

export const DEFAULT_LAYOUT = '{lev}/{med}/{name}';
const PLACEHOLDER = /\{(lev|med|task|taskId|name|frame)\}/g;

export interface LayoutVars {
  task: TaskName;
  taskId: number;
}

export function checkLayout(layout: string): void {
  const rest = layout.replace(PLACEHOLDER, 'x');
  if (/\{|\}/.test(rest)) throw new Error(`layout '${layout}' has an unknown placeholder; use {lev}, {med}, {task}, {taskId}, {name}, {frame}`);
  if (!/\{(name|frame)\}/.test(layout)) throw new Error(`layout '${layout}' must contain {name} or {frame} so frames do not overwrite each other`);
  if (layout.startsWith('/') || layout.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new Error(`layout '${layout}' must be a relative path without '.', '..' or empty segments`);
  }
}

/** Frame names as CVAT keeps them, made safe as key segments: '/'-separated, no '..', no leading '/'. */
export function safeFrameName(name: string): string {
  const parts = name.replace(/\\/g, '/').split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
  return parts.length > 0 ? parts.join('/') : 'frame';
}

const EXT = /\.[A-Za-z0-9]{1,5}$/;

/** The output name of a frame: its extension follows the output format ('same' keeps it). */
export function outputName(name: string, format: OutputFormat): string {
  const safe = safeFrameName(name);
  const ext = (EXT.exec(safe)?.[0] ?? '').toLowerCase();
  const stem = ext ? safe.slice(0, -ext.length) : safe;
  if (format === 'webp') return `${stem}.webp`;
  if (format === 'same' && ['.png', '.webp', '.jpg', '.jpeg'].includes(ext)) return safe;
  return ext === '.jpg' || ext === '.jpeg' ? safe : `${stem}.jpg`;
}

function fill(template: string, vars: LayoutVars, frame?: { number: number; name: string }): string {
  return template.replace(PLACEHOLDER, (_, key: string) => {
    switch (key) {
      case 'lev':
        return vars.task.lev;
      case 'med':
        return vars.task.med;
      case 'task':
        return vars.task.name;
      case 'taskId':
        return String(vars.taskId);
      case 'name':
        return frame!.name;
      default:
        return String(frame!.number).padStart(6, '0');
    }
  });
}

/**
 * Keys of every frame, in frame order. Frames that would share a key (a.png and a.jpg
 * both becoming a.jpg) keep their full original name plus the new extension, and if
 * that is taken too, their frame number: never two frames on one key.
 */
export function frameKeys(layout: string, vars: LayoutVars, names: string[], format: OutputFormat): string[] {
  const planned = names.map((name, number) => fill(layout, vars, { number, name: outputName(name, format) }));
  const count = new Map<string, number>();
  for (const key of planned) count.set(key, (count.get(key) ?? 0) + 1);
  const taken = new Set(planned.filter((key) => count.get(key) === 1));
  const ext = format === 'webp' ? '.webp' : '.jpg';
  return planned.map((key, number) => {
    if (count.get(key) === 1) return key;
    let candidate = fill(layout, vars, { number, name: `${safeFrameName(names[number])}${ext}` });
    if (taken.has(candidate)) {
      const name = outputName(names[number], format);
      const dot = name.lastIndexOf('.');
      candidate = fill(layout, vars, { number, name: `${dot > 0 ? name.slice(0, dot) : name}_frame${number}${dot > 0 ? name.slice(dot) : ext}` });
    }
    taken.add(candidate);
    return candidate;
  });
}

/** `_report.json` in the folder the layout shares for all frames (before any {name}/{frame} segment). */
export function reportKey(layout: string, vars: LayoutVars): string {
  const segments = layout.split('/');
  const perFrame = segments.findIndex((s) => /\{(name|frame)\}/.test(s));
  const folder = segments.slice(0, perFrame).map((s) => fill(s, vars)).join('/');
  return folder ? `${folder}/_report.json` : '_report.json';
}
