/**
 * The blur model web page and its small JSON API, on plain node:http. Every route
 * goes through the programmatic API (`vf.blur`), exactly as the CLI does:
 *
 *   GET    /                                    the page (src/web/page.ts)
 *   GET    /api/blur/models                     registry listing
 *   GET    /api/blur/models/:version            one model's metadata
 *   POST   /api/blur/models/:version/default    make it the default model
 *   DELETE /api/blur/models/:version            delete it
 *   POST   /api/blur/trainings                  JSON {dataset, params, version?, setDefault?} -> 202
 *   GET    /api/blur/trainings                  recent trainBlurModel runs
 *   GET    /api/blur/trainings/:workflowId      live progress (workflow query)
 *   POST   /api/blur/trainings/:workflowId/cancel
 *   POST   /api/blur/predictions?model=&threshold=&name=   raw image bytes -> one prediction
 *
 * Errors are JSON `{error}`: 400 bad input, 403 foreign Host/Origin, 404 unknown route
 * or model, 405, 413 body too large, 415 wrong Content-Type, 500 anything else (its
 * message only, never a stack).
 *
 * There is no authentication, so the server binds 127.0.0.1 unless told otherwise
 * (`host`): only this machine reaches it. On loopback it also refuses other Host
 * names (DNS rebinding), and every state-changing request from another Origin
 * (a web page elsewhere posting to localhost).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { BlurInputError } from '../client/blur-client';
import type { TrainBlurModelInput, Visionflow } from '../client';
import { PAGE_HTML } from './page';

export interface WebServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Interface to bind; default 127.0.0.1 (no auth: not exposed unless asked). */
  host?: string;
  /** Largest image upload in bytes (default 50 MiB). */
  maxImageBytes?: number;
  /** Largest JSON body in bytes (default 1 MiB). */
  maxJsonBytes?: number;
  /** Where unexpected (500) errors are logged; default console.error. */
  log?: (line: string) => void;
}

export interface WebServer {
  /** e.g. http://127.0.0.1:3000 */
  url: string;
  close(): Promise<void>;
}

const DEFAULT_HOST = '127.0.0.1';
const MiB = 1024 * 1024;
/** Bytes of a refused (413) body read and dropped before the connection is closed instead. */
const DISCARD_LIMIT = 256 * MiB;
/** Image types the predictor reads, with the file extension the upload is stored under. */
const IMAGE_TYPES: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/jpg': 'jpg',
  'image/pjpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/tiff': 'tif',
  'image/avif': 'avif',
};
const IMAGE_NAME = /\.(jpe?g|png|webp|tiff?|avif)$/i;
/** Model versions and training ids as the registry and blur-client name them. */
const VERSION = '([A-Za-z0-9][A-Za-z0-9._-]{0,63})';
const TRAINING_ID = '(blur-train-[A-Za-z0-9][A-Za-z0-9._-]{0,63})';
const TRAIN_KEYS = new Set(['dataset', 'params', 'version', 'setDefault']);
const PARAM_KEYS = new Set(['epochs', 'batchSize', 'learningRate', 'hidden', 'l2', 'seed', 'validation', 'test']);
/** Non-retryable workflow failures that mean "bad input" (type -> HTTP status). */
const INPUT_FAILURES: Record<string, number> = {
  BlurModelNotFound: 404,
  NoImages: 400,
  InvalidBlurPrediction: 400,
  InvalidBlurTraining: 400,
  InvalidBlurDataset: 400,
  BlurModelExists: 400,
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Request {
  req: http.IncomingMessage;
  url: URL;
  params: string[];
}

interface Reply {
  status: number;
  body: unknown;
}

interface Route {
  method: string;
  path: RegExp;
  handle(r: Request): Promise<Reply>;
}

export async function startWebServer(vf: Pick<Visionflow, 'blur'>, options: WebServerOptions): Promise<WebServer> {
  const host = options.host ?? DEFAULT_HOST;
  const maxImageBytes = options.maxImageBytes ?? 50 * MiB;
  const maxJsonBytes = options.maxJsonBytes ?? 1 * MiB;
  const log = options.log ?? ((line: string) => console.error(line));
  const blur = vf.blur;
  const ok = (body: unknown, status = 200): Reply => ({ status, body });

  const routes: Route[] = [
    { method: 'GET', path: /^\/api\/blur\/models$/, handle: async () => ok({ models: await blur.models() }) },
    { method: 'GET', path: new RegExp(`^/api/blur/models/${VERSION}$`), handle: async (r) => ok(await blur.model(r.params[0])) },
    {
      method: 'POST',
      path: new RegExp(`^/api/blur/models/${VERSION}/default$`),
      handle: async (r) => {
        await blur.setDefaultModel(r.params[0]);
        return ok({ default: r.params[0] });
      },
    },
    {
      method: 'DELETE',
      path: new RegExp(`^/api/blur/models/${VERSION}$`),
      handle: async (r) => {
        await blur.deleteModel(r.params[0]);
        return ok({ deleted: r.params[0] });
      },
    },
    {
      method: 'POST',
      path: /^\/api\/blur\/trainings$/,
      handle: async (r) => {
        const input = trainingInput(await readJson(r.req, maxJsonBytes));
        const started = await blur.startTraining(input);
        return ok({ workflowId: started.workflowId, version: started.version }, 202);
      },
    },
    { method: 'GET', path: /^\/api\/blur\/trainings$/, handle: async () => ok({ runs: await blur.trainingRuns() }) },
    {
      method: 'GET',
      path: new RegExp(`^/api/blur/trainings/${TRAINING_ID}$`),
      handle: async (r) => ok({ workflowId: r.params[0], ...(await blur.trainingProgress(r.params[0])) }),
    },
    {
      method: 'POST',
      path: new RegExp(`^/api/blur/trainings/${TRAINING_ID}/cancel$`),
      handle: async (r) => {
        await blur.cancelTraining(r.params[0]);
        return ok({ cancelling: r.params[0] }, 202);
      },
    },
    {
      method: 'POST',
      path: /^\/api\/blur\/predictions$/,
      handle: async (r) => {
        const { model, threshold, name } = predictionQuery(r.url, r.req.headers['content-type']);
        const bytes = await readBody(r.req, maxImageBytes);
        if (bytes.length === 0) throw new HttpError(400, 'the request body is empty: send the image bytes');
        const source = await blur.storeUpload(bytes, name);
        const result = await blur.predict({ source, model, threshold });
        const prediction = result.predictions?.[0];
        if (!prediction) throw new Error(`the prediction of ${name} returned no row`);
        if ('error' in prediction) return ok({ error: prediction.error, model: result.model, prediction }, 400);
        return ok({ model: result.model, threshold: result.threshold, prediction });
      },
    },
  ];

  const loopback = isLoopback(host);
  const server = http.createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      checkCaller(req, loopback);
      if (url.pathname === '/' || url.pathname === '/index.html') {
        if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowed(['GET', 'HEAD']);
        return sendPage(res, req.method === 'HEAD');
      }
      const matching = routes.map((route) => ({ route, m: route.path.exec(url.pathname) })).filter((x) => x.m);
      if (matching.length === 0) throw new HttpError(404, `no route ${req.method} ${url.pathname}`);
      const hit = matching.find((x) => x.route.method === req.method);
      if (!hit) throw methodNotAllowed(matching.map((x) => x.route.method));
      const reply = await hit.route.handle({ req, url, params: hit.m!.slice(1) });
      sendJson(res, reply.status, reply.body);
    } catch (err) {
      const { status, message, headers } = describeError(err);
      if (status >= 500) log(`web: ${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      sendJson(res, status, { error: message }, headers);
      if (status === 413) discardBody(req, res);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? DEFAULT_HOST : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Polling pages keep connections alive; end them so close() returns now.
        server.closeAllConnections();
      }),
  };
}

/** JSON body of POST /api/blur/trainings -> the API's input; types checked here, ranges by the API. */
function trainingInput(body: unknown): TrainBlurModelInput {
  if (!isObject(body)) throw new HttpError(400, 'the training request must be a JSON object: {"dataset": "...", "params": {...}}');
  const unknown = Object.keys(body).filter((k) => !TRAIN_KEYS.has(k));
  if (unknown.length) throw new HttpError(400, `unknown field(s) ${unknown.join(', ')}; expected ${[...TRAIN_KEYS].join(', ')}`);
  const { dataset, params, version, setDefault } = body;
  if (typeof dataset !== 'string' || dataset.trim() === '') throw new HttpError(400, 'dataset: a storage URL (s3://bucket/prefix, file:///dir) or a local folder path is required');
  if (version !== undefined && version !== null && typeof version !== 'string') throw new HttpError(400, `version must be a string, got ${JSON.stringify(version)}`);
  if (setDefault !== undefined && typeof setDefault !== 'boolean') throw new HttpError(400, `setDefault must be true or false, got ${JSON.stringify(setDefault)}`);
  if (params !== undefined && !isObject(params)) throw new HttpError(400, 'params must be a JSON object');
  const checked: Record<string, number | number[]> = {};
  for (const [key, value] of Object.entries(params ?? {})) {
    if (!PARAM_KEYS.has(key)) throw new HttpError(400, `unknown training parameter '${key}'; expected ${[...PARAM_KEYS].join(', ')}`);
    if (value === null || value === undefined) continue;
    const good = key === 'hidden' ? Array.isArray(value) && value.every((v) => typeof v === 'number') : typeof value === 'number' && Number.isFinite(value);
    if (!good) throw new HttpError(400, `params.${key} must be ${key === 'hidden' ? 'an array of layer sizes' : 'a number'}, got ${JSON.stringify(value)}`);
    checked[key] = value as number | number[];
  }
  return {
    dataset: dataset.trim(),
    params: checked,
    ...(typeof version === 'string' && version.trim() !== '' ? { version: version.trim() } : {}),
    ...(setDefault ? { setDefault: true } : {}),
  };
}

function predictionQuery(url: URL, contentType: string | undefined): { model?: string; threshold?: number; name: string } {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const rawName = url.searchParams.get('name')?.trim() || 'upload';
  let name = rawName;
  if (IMAGE_TYPES[type]) {
    if (!IMAGE_NAME.test(name)) name = `${name}.${IMAGE_TYPES[type]}`;
  } else if (type === 'application/octet-stream' && IMAGE_NAME.test(name)) {
    // a file the browser could not type, named like an image: the predictor decides
  } else {
    throw new HttpError(415, `Content-Type '${type || '(none)'}' is not a supported image: send JPEG, PNG, WebP, TIFF or AVIF bytes with their image/* type`);
  }
  const model = url.searchParams.get('model')?.trim() || undefined;
  const rawThreshold = url.searchParams.get('threshold')?.trim();
  let threshold: number | undefined;
  if (rawThreshold) {
    threshold = Number(rawThreshold);
    if (!Number.isFinite(threshold)) throw new HttpError(400, `threshold must be a percentage from 0 to 100, got '${rawThreshold}'`);
  }
  return { model, threshold, name };
}

async function readJson(req: http.IncomingMessage, limit: number): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, `Content-Type must be application/json, got '${type || '(none)'}'`);
  const body = await readBody(req, limit);
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** The whole body, refused with 413 as soon as it is known to exceed `limit`. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => new HttpError(413, `the request body is larger than the limit of ${formatBytes(limit)}`);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish(tooLarge());
      } else {
        chunks.push(chunk);
      }
    };
    req.on('data', onData);
    req.once('end', () => finish());
    req.once('error', (err) => finish(new HttpError(400, `the request body could not be read: ${err.message}`)));
    req.once('close', () => finish(new HttpError(400, 'the client closed the connection before the end of the body')));
  });
}

/**
 * After a 413 the client may still be sending. Closing at once would reset the
 * connection, and a reset can destroy the 413 before the client reads it; so the rest
 * is read and dropped, up to DISCARD_LIMIT, beyond which the connection is closed.
 */
function discardBody(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.complete) return;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > DISCARD_LIMIT) {
    res.once('finish', () => req.destroy());
    return;
  }
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DISCARD_LIMIT) req.destroy();
  });
  req.resume();
}

/**
 * On loopback, only loopback Host names are served (a foreign name pointing at
 * 127.0.0.1 is a DNS-rebinding attempt); anywhere, a request that changes something
 * must come from this page's own origin, or from a non-browser client (no Origin).
 */
function checkCaller(req: http.IncomingMessage, loopback: boolean): void {
  const hostHeader = req.headers.host ?? '';
  if (loopback) {
    const hostname = hostHeader.replace(/:\d+$/, '').toLowerCase();
    if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(hostname)) throw new HttpError(403, `this server only answers to localhost (Host '${hostHeader}')`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && req.method !== 'GET' && req.method !== 'HEAD') {
    let originHost: string | undefined;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = undefined;
    }
    if (originHost !== hostHeader) throw new HttpError(403, `cross-origin requests are refused (Origin '${origin}')`);
  }
}

function describeError(err: unknown): { status: number; message: string; headers?: Record<string, string> } {
  if (err instanceof HttpError) return { status: err.status, message: err.message, headers: err.headers };
  if (err instanceof BlurInputError) return { status: /^no blur model/.test(err.message) ? 404 : 400, message: err.message };
  if (err instanceof WorkflowNotFoundError) return { status: 404, message: `no such training run: ${err.message}` };
  if (err instanceof WorkflowFailedError) {
    for (let e: unknown = err.cause; e instanceof Error; e = e.cause) {
      if (e instanceof ApplicationFailure && e.type && INPUT_FAILURES[e.type]) return { status: INPUT_FAILURES[e.type], message: e.message };
    }
    return { status: 500, message: redact(rootMessage(err)) };
  }
  return { status: 500, message: redact(err instanceof Error ? err.message : String(err)) };
}

function methodNotAllowed(allowed: string[]): HttpError {
  return new HttpError(405, `method not allowed; use ${allowed.join(' or ')}`, { Allow: allowed.join(', ') });
}

function rootMessage(err: Error): string {
  let e: Error = err;
  while (e.cause instanceof Error) e = e.cause;
  return e.message;
}

/** Credentials in URLs never leave the server (user:password@host). */
function redact(message: string): string {
  return message.replace(/\/\/[^/\s:@]+:[^/\s@]+@/g, '//***@');
}

const COMMON_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...COMMON_HEADERS, ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function sendPage(res: http.ServerResponse, headOnly: boolean): void {
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(PAGE_HTML),
    // Everything is inline and same-origin: nothing is fetched from elsewhere.
    'Content-Security-Policy':
      "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'X-Frame-Options': 'DENY',
  });
  res.end(headOnly ? undefined : PAGE_HTML);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

function formatBytes(n: number): string {
  return n >= MiB ? `${Math.round((n / MiB) * 10) / 10} MiB` : `${Math.round(n / 1024)} KiB`;
}
