import { redactUrl } from '../http/redact-url';
import { CameraEntry, parseCameraList } from './camera-list';

const MAX_PAGES = 100;

/** Downloads a camera catalog, following `next` pages, and merges the entries. */
export async function fetchCameraCatalog(url: string, signal?: AbortSignal): Promise<{ cameras: CameraEntry[]; problems: string[] }> {
  const cameras: CameraEntry[] = [];
  const problems: string[] = [];
  const ids = new Set<string>();
  let page: string | undefined = url;
  for (let n = 0; page && n < MAX_PAGES; n++) {
    const res = await fetch(page, { signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(60_000)]) : AbortSignal.timeout(60_000) });
    if (!res.ok) throw new CatalogError(`camera catalog ${redactUrl(page)}: HTTP ${res.status}`, res.status >= 500 || res.status === 429);
    let doc: unknown;
    try {
      doc = await res.json();
    } catch {
      throw new CatalogError(`camera catalog ${redactUrl(page)}: body is not JSON`, false);
    }
    let parsed: ReturnType<typeof parseCameraList>;
    try {
      parsed = parseCameraList(doc, redactUrl(page));
    } catch (err) {
      throw new CatalogError((err as Error).message, false);
    }
    problems.push(...parsed.problems);
    for (const camera of parsed.cameras) {
      if (ids.has(camera.id)) continue;
      ids.add(camera.id);
      cameras.push(camera);
    }
    page = parsed.next && parsed.next !== page ? parsed.next : undefined;
  }
  return { cameras, problems };
}

export class CatalogError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
    this.name = 'CatalogError';
  }
}
