/**
 * One GET of a camera still: timeout over the whole transfer, a size cap, conditional
 * request headers, and retries with backoff for faults that may pass (network, timeout,
 * 429, 5xx). Never throws for an HTTP or network fault: the caller counts the reason.
 */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

export interface FetchImageOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Extra attempts after the first for faults that may pass. */
  retries: number;
  /** First backoff; doubles each retry, with jitter. */
  backoffMs?: number;
  validators?: Validators;
  signal?: AbortSignal;
  userAgent?: string;
  /** Called while a transfer is in progress (activity heartbeats). */
  onProgress?: () => void;
}


export type FetchImageResult =
  | { kind: 'ok'; body: Buffer; status: number; contentType?: string; validators: Validators; attempts: number }
  | { kind: 'not_modified'; validators: Validators; attempts: number }
  | { kind: 'failed'; reason: string; detail: string; retryable: boolean; attempts: number; retryAfterMs?: number };

const MAX_RETRY_AFTER_MS = 30_000;

export async function fetchImage(url: string, options: FetchImageOptions): Promise<FetchImageResult> {
  const backoff = options.backoffMs ?? 500;
  let attempt = 0;
  for (;;) {
    attempt++;
    const result = await fetchOnce(url, options, attempt);
    if (result.kind !== 'failed' || !result.retryable || attempt > options.retries) return result;
    if (options.signal?.aborted) return result;
    const wait = result.retryAfterMs ?? backoff * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
    await delay(Math.min(wait, MAX_RETRY_AFTER_MS), options.signal);
  }
}


async function fetchOnce(rawUrl: string, options: FetchImageOptions, attempt: number): Promise<FetchImageResult> {
  const { url, headers } = requestParts(rawUrl, options);
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const fail = (reason: string, detail: string, retryable: boolean, retryAfterMs?: number): FetchImageResult => ({
    kind: 'failed',
    reason,
    detail,
    retryable,
    attempts: attempt,
    retryAfterMs,
  });
  try {
    const res = await fetch(url, { headers, signal, redirect: 'follow' });
    const validators: Validators = {
      etag: res.headers.get('etag') ?? undefined,
      lastModified: res.headers.get('last-modified') ?? undefined,
    };
    if (res.status === 304) {
      await res.body?.cancel();
      return { kind: 'not_modified', validators: { ...options.validators, ...definedOnly(validators) }, attempts: attempt };
    }
    if (res.status < 200 || res.status >= 300) {
      await res.body?.cancel();
      const retryable = res.status === 429 || res.status >= 500 || res.status === 408;
      return fail(`http_${res.status}`, `HTTP ${res.status} ${res.statusText}`.trim(), retryable, retryAfter(res.headers.get('retry-after')));
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await res.body?.cancel();
      return fail('too_large', `Content-Length ${declared} exceeds the ${options.maxBytes}-byte cap`, false);
    }
    const body = await readCapped(res, options.maxBytes, options.onProgress);
    if (body === undefined) return fail('too_large', `body exceeds the ${options.maxBytes}-byte cap`, false);
    return {
      kind: 'ok',
      body,
      status: res.status,
      contentType: res.headers.get('content-type') ?? undefined,
      validators,
      attempts: attempt,
    };
  } catch (err) {
    if (timeout.aborted) return fail('timeout', `no complete response within ${options.timeoutMs} ms`, true);
    if (options.signal?.aborted) return fail('cancelled', 'request cancelled', false);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return fail('network', cause?.code ?? cause?.message ?? (err as Error).message, true);
  }
}

/** Moves user:password from the URL into a Basic header: fetch refuses credentials in URLs. */
function requestParts(rawUrl: string, options: FetchImageOptions): { url: string; headers: Record<string, string> } {
  const url = new URL(rawUrl);
  const headers: Record<string, string> = {
    accept: 'image/jpeg,image/png,image/webp,image/*;q=0.8,*/*;q=0.1',
    'user-agent': options.userAgent ?? 'visionflow-capture/0.1',
  };
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    url.username = '';
    url.password = '';
  }
  if (options.validators?.etag) headers['if-none-match'] = options.validators.etag;
  if (options.validators?.lastModified) headers['if-modified-since'] = options.validators.lastModified;
  return { url: url.toString(), headers };
}

async function readCapped(res: Response, maxBytes: number, onProgress?: () => void): Promise<Buffer | undefined> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    onProgress?.();
  }
  return Buffer.concat(chunks, total);
}

function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function definedOnly(v: Validators): Validators {
  const out: Validators = {};
  if (v.etag) out.etag = v.etag;
  if (v.lastModified) out.lastModified = v.lastModified;
  return out;
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
