/**
 * File names in the dataset: the image's own name made safe (no folders, no traversal,
 * no control or reserved characters), unique across the export. When two tasks would
 * share a name, the later task id gets `-<taskId>` before the extension (and a counter
 * if that is taken too). Pure.
 */
const IMAGE_EXT = /\.(jpe?g|png|webp|gif|bmp|tiff?)$/i;

export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  let safe = base
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_')
    .replace(/^\.+/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (safe === '' || safe === '.' || safe === '..') safe = 'image';
  if (safe.length > 180) {
    const ext = IMAGE_EXT.exec(safe)?.[0] ?? '';
    safe = safe.slice(0, 180 - ext.length) + ext;
  }
  return safe;
}

export function stemOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** Unique names for (taskId, wanted name) pairs; lowest task id keeps the plain name. */
export function uniqueNames(entries: { taskId: number; name: string }[]): Map<number, string> {
  const sorted = [...entries].sort((a, b) => a.taskId - b.taskId);
  const taken = new Set<string>();
  const out = new Map<number, string>();
  for (const { taskId, name } of sorted) {
    let candidate = safeFileName(name);
    // Case-insensitive file systems would merge a.jpg and A.JPG, and stems must be unique for labels/.
    const key = (n: string) => stemOf(n).toLowerCase();
    const wanted = candidate;
    for (let n = 1; taken.has(key(candidate)); n++) {
      const dot = wanted.lastIndexOf('.');
      const suffix = n === 1 ? `-${taskId}` : `-${taskId}-${n}`;
      candidate = dot > 0 ? `${wanted.slice(0, dot)}${suffix}${wanted.slice(dot)}` : `${wanted}${suffix}`;
    }
    taken.add(key(candidate));
    out.set(taskId, candidate);
  }
  return out;
}
