/**
 * Reads a Label Studio project and downloads its images. The token goes only to the
 * Label Studio host: redirects are followed by hand and lose the Authorization header
 * when they leave it (presigned S3 URLs, CDNs). 429 (Retry-After), 5xx and network
 * faults are retried with backoff; an optional requests-per-second limit replaces the
 * old scripts' fixed sleep.
 */
import { abortableWait } from '../concurrency/abortable-wait';
import { LabelStudioAuth, LabelStudioAuthError } from './label-studio-auth';

export interface LabelStudioSettings {
  url: string;
  token: string;
}

export interface LabelStudioClientOptions {
  retries?: number;
  backoffMs?: number;
  timeoutMs?: number;
  /** At most this many requests per second across the client (0: no limit). */
  requestsPerSecond?: number;
}

export class LabelStudioError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    /** True when Label Studio itself answered (not S3 or another host). */
    readonly fromLabelStudio = true,
  ) {
    super(message);
    this.name = 'LabelStudioError';
  }
}

const MAX_REDIRECTS = 5;
const MAX_WAIT_MS = 60_000;

export class LabelStudioClient {
  readonly base: URL;
  private readonly auth?: LabelStudioAuth;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  private readonly interval: number;
  private nextSlot = 0;

  constructor(settings: { url?: string; token?: string }, options: LabelStudioClientOptions = {}) {
    this.base = new URL(settings.url && /^https?:\/\//.test(settings.url) ? settings.url.replace(/\/*$/, '/') : 'http://label-studio.invalid/');
    this.auth = settings.url && settings.token ? new LabelStudioAuth(this.base.toString(), settings.token) : undefined;
    this.retries = options.retries ?? 4;
    this.backoffMs = options.backoffMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.interval = options.requestsPerSecond ? 1000 / options.requestsPerSecond : 0;
  }

  get tokenKind(): string {
    return this.auth?.kind ?? 'none';
  }

  /** Same origin as Label Studio: the only requests that carry credentials. */
  isLabelStudio(url: URL): boolean {
    return url.origin === this.base.origin;
  }

  private async throttle(signal?: AbortSignal): Promise<void> {
    if (!this.interval) return;
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.interval;
    if (slot > now) await abortableWait(slot - now, signal);
  }

  /** GET with retries, manual redirects and credentials only on the Label Studio host. */
  async get(target: string | URL, signal?: AbortSignal, retries = this.retries): Promise<Response> {
    let url = new URL(target, this.base);
    let refreshed = false;
    for (let attempt = 0, hops = 0; ; ) {
      await this.throttle(signal);
      const headers: Record<string, string> = { accept: '*/*' };
      const authenticated = this.auth !== undefined && this.isLabelStudio(url);
      if (authenticated) {
        try {
          headers.authorization = await this.auth!.header(signal);
        } catch (err) {
          if (!(err instanceof LabelStudioAuthError)) throw err;
          // A refresh endpoint that is down may come back: retry like any 5xx.
          if (!err.retryable || attempt++ >= retries) throw new LabelStudioError(err.message, undefined, err.retryable);
          await abortableWait(this.backoff(attempt), signal);
          continue;
        }
      }
      const timeout = AbortSignal.timeout(this.timeoutMs);
      let res: Response;
      try {
        res = await fetch(url, { headers, redirect: 'manual', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      } catch (err) {
        if (signal?.aborted) throw err;
        if (attempt++ >= retries) throw new LabelStudioError(`GET ${describe(url)}: ${timeout.aborted ? 'timed out' : cause(err)}`, undefined, true);
        await abortableWait(this.backoff(attempt), signal);
        continue;
      }
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.body?.cancel();
        if (++hops > MAX_REDIRECTS) throw new LabelStudioError(`GET ${describe(url)}: more than ${MAX_REDIRECTS} redirects`, res.status, false);
        url = new URL(res.headers.get('location')!, url);
        continue;
      }
      if (res.status === 401 && authenticated && this.auth!.kind === 'personal' && !refreshed) {
        // The access token may have expired early: refresh once.
        await res.body?.cancel();
        this.auth!.invalidate();
        refreshed = true;
        continue;
      }
      if (res.ok) return res;
      const retryable = res.status === 429 || res.status >= 500;
      const detail = await errorDetail(res);
      if (!retryable || attempt++ >= retries) {
        throw new LabelStudioError(`GET ${describe(url)}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`, res.status, retryable, this.isLabelStudio(url));
      }
      const header = res.headers.get('retry-after');
      const after = header ? Number(header) : NaN;
      await abortableWait(Number.isFinite(after) && after >= 0 ? Math.min(after * 1000, MAX_WAIT_MS) : this.backoff(attempt), signal);
    }
  }

  private backoff(attempt: number): number {
    return Math.min(MAX_WAIT_MS, this.backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5));
  }

  async json<T>(path: string, signal?: AbortSignal): Promise<T> {
    const res = await this.get(path, signal);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new LabelStudioError(`GET ${path}: the answer is not JSON`, res.status, false);
    }
  }

  project(id: number, signal?: AbortSignal): Promise<{ id: number; title: string; label_config: string }> {
    return this.json(`api/projects/${id}`, signal);
  }

  /** The project's JSON export: every task, or only annotated ones. */
  exportTasks(projectId: number, onlyAnnotated: boolean, signal?: AbortSignal): Promise<unknown[]> {
    return this.json(`api/projects/${projectId}/export?exportType=JSON&download_all_tasks=${onlyAnnotated ? 'false' : 'true'}`, signal);
  }

  /**
   * Label Studio's resolver for cloud URIs (`/tasks/{id}/resolve/`, no /api prefix): it
   * redirects (303) to a presigned URL. `fileuri` is URL-safe base64 with padding.
   */
  resolveUrl(taskId: number, uri: string): URL {
    const b64 = Buffer.from(uri).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
    return new URL(`tasks/${taskId}/resolve/?fileuri=${encodeURIComponent(b64)}`, this.base);
  }

  async download(url: string | URL, signal?: AbortSignal, retries?: number): Promise<{ body: Buffer; contentType: string | null }> {
    const res = await this.get(url, signal, retries);
    return { body: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type') };
  }
}

/** URLs in messages: no query string (presigned signatures, tokens). */
function describe(url: URL): string {
  return `${url.origin}${url.pathname}${url.search ? '?…' : ''}`;
}

async function errorDetail(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { detail?: unknown };
    return typeof body.detail === 'string' ? body.detail : '';
  } catch {
    return '';
  }
}

function cause(err: unknown): string {
  const c = (err as { cause?: { code?: string; message?: string } }).cause;
  return c?.code ?? c?.message ?? (err as Error).message;
}
