/**
 * A small CVAT 2.x client: authentication (personal access token, login token, basic),
 * organisation header, retries with backoff for 429/5xx/network faults, and only ever
 * the configured host: pagination links and export result URLs are rewritten to it,
 * so credentials never travel elsewhere.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ReadableStream } from 'node:stream/web';
import { abortableWait } from '../concurrency/abortable-wait';
import { CvatAbout, CvatDataMeta, CvatPage, CvatRequestStatus, CvatTask } from './cvat-api';
import { CvatError, CvatTaskAmbiguousError, CvatTaskNotFoundError } from './cvat-errors';

export interface CvatSettings {
  /** Base URL, e.g. https://app.cvat.ai or http://cvat.local:8080 */
  host: string;
  accessToken?: string;
  username?: string;
  password?: string;
  /** Organisation slug, sent as X-Organization. */
  org?: string;
}

export interface CvatClientOptions {
  /** Retries of one request for 429, 5xx and network faults. */
  retries?: number;
  backoffMs?: number;
  /** Per request, headers and body. */
  timeoutMs?: number;
}

interface RequestInit2 {
  method?: string;
  json?: unknown;
  signal?: AbortSignal;
  /** Statuses returned to the caller instead of thrown (e.g. 202 while an export runs). */
  accept?: number[];
}

const MAX_WAIT_MS = 60_000;

export class CvatClient {
  readonly base: URL;
  private loginToken?: Promise<string>;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;

  constructor(
    readonly settings: CvatSettings,
    options: CvatClientOptions = {},
  ) {
    let base: URL;
    try {
      base = new URL(settings.host);
    } catch {
      throw new CvatError(`CVAT_HOST '${settings.host}' is not a URL such as https://app.cvat.ai`, undefined, false);
    }
    if (!/^https?:$/.test(base.protocol)) throw new CvatError(`CVAT_HOST '${settings.host}' must be http(s)`, undefined, false);
    this.base = new URL(base.origin + base.pathname.replace(/\/+$/, '') + '/');
    if (!settings.accessToken && !(settings.username && settings.password)) {
      throw new CvatError('CVAT credentials missing: set CVAT_ACCESS_TOKEN, or CVAT_USERNAME and CVAT_PASSWORD', undefined, false);
    }
    this.retries = options.retries ?? 5;
    this.backoffMs = options.backoffMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** An absolute URL on the configured host; foreign hosts are rewritten, never followed. */
  url(pathOrUrl: string): URL {
    const given = new URL(pathOrUrl, this.base);
    return given.origin === this.base.origin ? given : new URL(given.pathname + given.search, this.base.origin);
  }

  private async authorization(signal?: AbortSignal): Promise<string> {
    const { accessToken, username, password } = this.settings;
    if (accessToken) return `Bearer ${accessToken}`;
    this.loginToken ??= this.login(username!, password!, signal);
    const token = await this.loginToken.catch((err) => {
      this.loginToken = undefined;
      throw err;
    });
    return token === BASIC ? `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` : `Token ${token}`;
  }

  /** Legacy token from POST /api/auth/login; servers without it (404/405) get basic auth. */
  private async login(username: string, password: string, signal?: AbortSignal): Promise<string> {
    const res = await this.send(this.url('api/auth/login'), { method: 'POST', json: { username, password }, signal, accept: [400, 404, 405] }, undefined);
    if (res.status === 404 || res.status === 405) return BASIC;
    const body = (await res.json().catch(() => ({}))) as { key?: string; non_field_errors?: string[] };
    if (res.status === 400 || !body.key) {
      throw new CvatError(`CVAT login refused for user '${username}': ${body.non_field_errors?.join(' ') ?? `HTTP ${res.status}`}`, res.status, false);
    }
    return body.key;
  }

  /** One request with auth and retries. Non-2xx statuses not in `accept` throw CvatError. */
  async request(pathOrUrl: string, init: RequestInit2 = {}): Promise<Response> {
    const url = this.url(pathOrUrl);
    const res = await this.send(url, { ...init, accept: [...(init.accept ?? []), 401] }, await this.authorization(init.signal));
    if (res.status !== 401 || init.accept?.includes(401)) return res;
    if (this.loginToken && !this.settings.accessToken) {
      // The login token may have been revoked or expired: log in once more.
      this.loginToken = undefined;
      await res.body?.cancel();
      return this.send(url, init, await this.authorization(init.signal));
    }
    throw await failure(res, `${init.method ?? 'GET'} ${url.pathname}`, false);
  }

  private async send(url: URL, init: RequestInit2, auth: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json, */*' };
    if (auth) headers.authorization = auth;
    if (this.settings.org) headers['x-organization'] = this.settings.org;
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const what = `${init.method ?? 'GET'} ${url.pathname}`;
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(this.timeoutMs);
      const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
      let res: Response;
      try {
        res = await fetch(url, {
          method: init.method ?? 'GET',
          headers,
          body: init.json === undefined ? undefined : JSON.stringify(init.json),
          signal,
          redirect: 'manual',
        });
      } catch (err) {
        if (init.signal?.aborted) throw err;
        if (attempt >= this.retries) {
          throw new CvatError(`CVAT ${what}: ${timeout.aborted ? 'timed out' : networkCause(err)}`, undefined, true);
        }
        await abortableWait(this.backoff(attempt), init.signal);
        continue;
      }
      if (res.ok || init.accept?.includes(res.status)) return res;
      const retryable = res.status === 429 || res.status >= 500;
      if (!retryable || attempt >= this.retries) throw await failure(res, what, retryable);
      const header = res.headers.get('retry-after');
      const retryAfter = header ? Number(header) : NaN;
      await res.body?.cancel();
      await abortableWait(Number.isFinite(retryAfter) && retryAfter >= 0 ? Math.min(retryAfter * 1000, MAX_WAIT_MS) : this.backoff(attempt), init.signal);
    }
  }

  private backoff(attempt: number): number {
    return Math.min(MAX_WAIT_MS, this.backoffMs * 2 ** attempt * (0.75 + Math.random() * 0.5));
  }

  async json<T>(pathOrUrl: string, init: RequestInit2 = {}): Promise<T> {
    const res = await this.request(pathOrUrl, init);
    try {
      return (await res.json()) as T;
    } catch {
      throw new CvatError(`CVAT ${init.method ?? 'GET'} ${this.url(pathOrUrl).pathname}: body is not JSON`, res.status, true);
    }
  }

  about(signal?: AbortSignal): Promise<CvatAbout> {
    return this.json<CvatAbout>('api/server/about', { signal });
  }

  /** Every task of a list query, across all pages (`next` links stay on the configured host). */
  async tasks(query: string, signal?: AbortSignal, maxPages = 1000): Promise<CvatTask[]> {
    const out: CvatTask[] = [];
    let next: string | null = `api/tasks?${query}&page_size=100`;
    for (let pages = 0; next && pages < maxPages; pages++) {
      const page: CvatPage<CvatTask> = await this.json<CvatPage<CvatTask>>(next, { signal });
      out.push(...page.results);
      next = page.next;
    }
    return out;
  }

  /**
   * The one task named exactly `name` (CVAT's `name=` filter is an equality match; the
   * result is re-checked anyway). None or several is a non-retryable error that names
   * what was found: for none, the tasks whose name contains it (`search=`).
   */
  async taskByName(name: string, signal?: AbortSignal): Promise<CvatTask> {
    const exact = (await this.tasks(`name=${encodeURIComponent(name)}`, signal)).filter((t) => t.name === name);
    if (exact.length === 1) return exact[0];
    if (exact.length > 1) throw new CvatTaskAmbiguousError(name, exact.map((t) => t.id));
    const similar = await this.tasks(`search=${encodeURIComponent(name)}`, signal, 1).catch(() => []);
    throw new CvatTaskNotFoundError(name, similar.map((t) => t.name).slice(0, 20));
  }

  dataMeta(taskId: number, signal?: AbortSignal): Promise<CvatDataMeta> {
    return this.json<CvatDataMeta>(`api/tasks/${taskId}/data/meta`, { signal });
  }

  /** A frame as uploaded (quality=original). Bodies cut short are retried like network faults. */
  async frame(taskId: number, number: number, signal?: AbortSignal): Promise<Buffer> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.request(`api/tasks/${taskId}/data?type=frame&quality=original&number=${number}`, { signal });
      try {
        return Buffer.from(await res.arrayBuffer());
      } catch (err) {
        if (signal?.aborted || attempt >= this.retries) {
          throw new CvatError(`CVAT frame ${number} of task ${taskId}: body cut short (${networkCause(err)})`, res.status, true);
        }
        await abortableWait(this.backoff(attempt), signal);
      }
    }
  }

  /**
   * Exports the task's dataset with images into `zipPath`. CVAT >= 2.16 queues a request
   * (POST …/dataset/export, poll /api/requests/{rq_id}, download result_url); older
   * servers answer GET …/dataset?format= with 202 until 201, then action=download.
   */
  async exportDataset(
    taskId: number,
    zipPath: string,
    options: { format: string; signal?: AbortSignal; pollMs?: number; onPoll?: (status: string) => void },
  ): Promise<void> {
    const about = await this.about(options.signal);
    const format = encodeURIComponent(options.format);
    const pollMs = options.pollMs ?? 2000;
    let download: string;
    if (versionAtLeast(about.version, 2, 16)) {
      // 409 means this export is already queued (after a worker crash, say): its rq_id comes back too.
      const started = await this.json<{ rq_id: string }>(`api/tasks/${taskId}/dataset/export?format=${format}&save_images=true`, {
        method: 'POST',
        signal: options.signal,
        accept: [202, 409],
      });
      if (!started.rq_id) throw new CvatError(`CVAT export of task ${taskId}: no rq_id in the answer`, undefined, true);
      for (;;) {
        const rq = await this.json<CvatRequestStatus>(`api/requests/${encodeURIComponent(started.rq_id)}`, { signal: options.signal });
        options.onPoll?.(rq.status);
        if (rq.status === 'finished') {
          if (!rq.result_url) throw new CvatError(`CVAT export of task ${taskId} finished without a result_url`, undefined, true);
          download = rq.result_url;
          break;
        }
        if (rq.status === 'failed') throw new CvatError(`CVAT export of task ${taskId} failed: ${rq.message ?? 'no message'}`, undefined, false);
        await abortableWait(pollMs, options.signal);
      }
    } else {
      const path = `api/tasks/${taskId}/dataset?format=${format}`;
      for (;;) {
        // Old servers answer a failed export with 500 and forget it: a retry would start
        // it again forever, so a 500 here ends this attempt.
        const res = await this.request(path, { signal: options.signal, accept: [201, 202, 500] });
        if (res.status === 500) throw await failure(res, `export of task ${taskId}`, true);
        await res.body?.cancel();
        options.onPoll?.(String(res.status));
        if (res.status === 201 || res.status === 200) break;
        await abortableWait(pollMs, options.signal);
      }
      download = `${path}&action=download`;
    }
    const res = await this.request(download, { signal: options.signal });
    if (!res.body) throw new CvatError(`CVAT export of task ${taskId}: empty download`, res.status, true);
    await pipeline(Readable.fromWeb(res.body as ReadableStream), createWriteStream(zipPath), { signal: options.signal });
  }
}

const BASIC = '\0basic';

export function versionAtLeast(version: string, major: number, minor: number): boolean {
  const m = /(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return true; // unknown: assume a current server
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj > major || (maj === major && min >= minor);
}

async function failure(res: Response, what: string, retryable: boolean): Promise<CvatError> {
  const detail = await errorDetail(res);
  return new CvatError(`CVAT ${what}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`, res.status, retryable);
}

async function errorDetail(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (typeof body.detail === 'string') return body.detail;
    return JSON.stringify(body).slice(0, 300);
  } catch {
    return text.replace(/\s+/g, ' ').trim().slice(0, 200);
  }
}

function networkCause(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
