/**
 * A stand-in CVAT 2.x server on 127.0.0.1 for integration tests of the CVAT client.
 * It follows CVAT's published REST API (cvat/schema.yml in cvat-ai/cvat, read at
 * v2.17 and v2.26, plus the engine views of later releases) for the parts
 * visionflow uses:
 *
 *   POST /api/auth/login                        {username|email, password} -> 200 {key}
 *   GET  /api/server/about                      About {name, description, version}
 *   GET  /api/tasks?name=&search=&page=&page_size=&sort=&org=   PaginatedTaskReadList
 *   GET  /api/tasks/{id}                        TaskRead
 *   GET  /api/tasks/{id}/data/meta              DataMetaRead
 *   GET  /api/tasks/{id}/data/?type=frame&number=&quality=   the frame's bytes
 *   >= 2.16: POST /api/tasks/{id}/dataset/export?format=&save_images=true -> 202 {rq_id}
 *            GET  /api/requests/{rq_id}         Request {status, message, progress, result_url, ...}
 *            GET  /api/tasks/{id}/dataset/download?rq_id=   the zip (result_url, private in CVAT)
 *            GET  /api/tasks/{id}/dataset       410 Gone (as current CVAT)
 *   <  2.16: GET  /api/tasks/{id}/dataset?format=            202 ... 201
 *            GET  /api/tasks/{id}/dataset?format=&action=download   200 zip
 *
 * Like CVAT (DRF router with trailing_slash=False) paths have no trailing slash,
 * except the data endpoint whose route is `data/?$`. JSON answers carry CVAT's
 * `application/vnd.cvat+json`; errors use DRF's shapes ({"detail": ...} for auth and
 * not-found, ["message"] for validation errors, {"field": [...]} for serializers).
 * Faults are switched at runtime through `standIn.faults`; every request is recorded.
 */
import { closeServer, listenOnLoopback, readBody, sendStandInError } from './loopback-server';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { createStoredZip } from './zip-writer';

export interface StandInTask {
  id: number;
  name: string;
  /** Organization slug; such a task is visible only with `X-Organization: <slug>` or `?org=<slug>`. */
  organization?: string;
  /** In CVAT's order (frame number = index). width/height as CVAT reports them: after EXIF orientation. */
  frames: { name: string; body: Buffer; width: number; height: number }[];
}

export interface CvatStandInOptions {
  /** Reported by /api/server/about; decides the export flow (>= 2.16: requests API). Default '2.22.0'. */
  version?: string;
  username?: string;
  password?: string;
  /** Personal access tokens accepted as `Authorization: Bearer <token>`. */
  accessTokens?: string[];
  tasks: StandInTask[];
  /** Default page size of lists (CVAT: 10); `page_size` overrides it without a cap, 'all' included. */
  pageSize?: number;
  /**
   * New flow: how many GET /api/requests/{id} answer queued/started before finished (default 2).
   * Old flow: how many GET .../dataset answer 202 before 201 (at least 1, as CVAT always answers
   * the request that starts the export with 202).
   */
  exportPollsBeforeReady?: number;
  /** host[:port] CVAT puts into result_url (it builds it from its own host), default 'cvat.example:8080'. */
  externalHost?: string;
}

export interface CvatFaults {
  /** Every request, login included, answers 401 {"detail": "Invalid token."}. */
  unauthorized?: boolean;
  /**
   * Frame number (in any task) -> the first `times` requests for it answer `status` (with
   * Retry-After when retryAfterSeconds is set), later ones succeed. Key -1 applies to every
   * frame (one shared count). Counts restart when `faults` is assigned a new object.
   */
  frameErrors?: Record<number, { status: number; times: number; retryAfterSeconds?: number }>;
  /** Frame number -> wait this long before answering. */
  frameDelayMs?: Record<number, number>;
  /** The first `times` task lookups (list and detail) answer `status`. */
  taskListErrors?: { status: number; times: number };
  /** Frame number (in any task) -> the first `times` requests send the full Content-Length, half the body, then drop the connection. */
  truncateFrame?: Record<number, number>;
  /** Exports fail: the request turns 'failed' with a message (old flow: 500). */
  exportFails?: boolean;
  /** Serve a zip of exactly these entries (names as given, e.g. '../evil.jpg') instead of the real export. */
  exportZipEntries?: { name: string; body: Buffer }[];
}

export interface RecordedCvatRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  auth: 'token' | 'bearer' | 'basic' | 'none' | 'invalid';
  /** The organization the request named (X-Organization header or org query), '' when named empty. */
  org?: string;
  /** Response status; 0 while the response is still pending. */
  status: number;
  headers: http.IncomingHttpHeaders;
}

export interface CvatStandIn {
  /** http://127.0.0.1:PORT */
  url: string;
  requests: RecordedCvatRequest[];
  faults: CvatFaults;
  /** Requests for that frame that reached the data endpoint (faulted and truncated ones included). */
  frameDownloads(taskId: number, frame: number): number;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/vnd.cvat+json';
const ABOUT_NAME = 'Computer Vision Annotation Tool';
const ABOUT_DESCRIPTION = 'CVAT is completely re-designed and re-implemented version of Video Annotation Tool from Irvine, California, USA.';
/** Export formats the stand-in accepts (display names from /api/server/annotation/formats); all produce the CVAT-for-images zip. */
export const CVAT_EXPORT_FORMATS = ['CVAT for images 1.1', 'CVAT for video 1.1', 'COCO 1.0', 'Datumaro 1.0', 'YOLO 1.1', 'PASCAL VOC 1.1', 'ImageNet 1.0'];
const DJANGO_404 =
  '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n';
const GONE_EXPORT = `This endpoint is no longer supported.
To initiate the export process, use POST /api/tasks/id/dataset/export.
To check the process status, use GET /api/requests/rq_id,
where rq_id is obtained from the response of the previous request.
To download the prepared file, use the result_url obtained from the response of the previous request.
`;
const BASE_DATE = Date.UTC(2024, 4, 2, 9, 14, 7, 512);
const USER_ID = 1;

type AuthScheme = RecordedCvatRequest['auth'];

interface ExportJob {
  rqId: string;
  taskId: number;
  format: string;
  saveImages: boolean;
  polls: number;
  status: 'queued' | 'started' | 'finished' | 'failed';
  message: string;
  created: string;
  started: string | null;
  finished: string | null;
}

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: Buffer | null,
    readonly headers: Record<string, string> = {},
  ) {}
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return new HttpAnswer(status, Buffer.from(JSON.stringify(body)), { 'content-type': JSON_TYPE, ...headers });
}

function html(status: number, body: string): HttpAnswer {
  return new HttpAnswer(status, Buffer.from(body), { 'content-type': 'text/html; charset=utf-8' });
}

function notFound(): HttpAnswer {
  return json(404, { detail: 'Not found.' });
}

function unknownRoute(): HttpAnswer {
  return html(404, DJANGO_404);
}

function methodNotAllowed(method: string, allow: string[]): HttpAnswer {
  return json(405, { detail: `Method "${method}" not allowed.` }, { allow: [...allow, 'HEAD', 'OPTIONS'].join(', ') });
}

function unauthorized(detail: string): HttpAnswer {
  return json(401, { detail }, { 'www-authenticate': 'Token' });
}

/** What CVAT answers for an injected status: DRF's throttle body for 429, Django's error page for 5xx. */
function faultAnswer(status: number, retryAfterSeconds?: number): HttpAnswer {
  const headers: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };
  if (status === 429) {
    const detail = retryAfterSeconds === undefined ? 'Request was throttled.' : `Request was throttled. Expected available in ${retryAfterSeconds} seconds.`;
    return json(429, { detail }, headers);
  }
  if (status >= 500) {
    const text = status === 500 ? '\n<!doctype html>\n<html lang="en">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n' : `${status} ${http.STATUS_CODES[status] ?? 'Error'}\n`;
    const answer = html(status, text);
    return new HttpAnswer(answer.status, answer.body, { ...answer.headers, ...headers });
  }
  return json(status, { detail: http.STATUS_CODES[status] ?? 'Error' }, headers);
}

function parseVersion(version: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim().replace(/^v/, ''));
  if (!m) return [99, 0, 0];
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

function atLeast(version: [number, number, number], major: number, minor: number): boolean {
  return version[0] > major || (version[0] === major && version[1] >= minor);
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Python's urlencode(sorted(...)) as DRF's replace_query_param writes it. */
function pythonQuery(params: [string, string][]): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
  return [...params]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .join('&');
}

function toBool(value: string | null): boolean | undefined {
  if (value === null) return false;
  const v = value.toLowerCase();
  if (['true', 't', 'yes', 'y', 'on', '1'].includes(v)) return true;
  if (['false', 'f', 'no', 'n', 'off', '0', ''].includes(v)) return false;
  return undefined;
}

function mimeOf(name: string, body: Buffer): string {
  if (body[0] === 0xff && body[1] === 0xd8) return 'image/jpeg';
  if (body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  const ext = name.toLowerCase().split('.').pop();
  return ext === 'png' ? 'image/png' : ext === 'bmp' ? 'image/bmp' : ext === 'webp' ? 'image/webp' : ext === 'tif' || ext === 'tiff' ? 'image/tiff' : 'image/jpeg';
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** "CVAT for images 1.1" -> "CVAT_for_images_1~1", as CVAT's request ids spell formats. */
function formatToken(format: string): string {
  return format.replace(/ /g, '_').replace(/\./g, '~');
}

export async function startCvatStandIn(options: CvatStandInOptions): Promise<CvatStandIn> {
  const versionString = options.version ?? '2.22.0';
  const version = parseVersion(versionString);
  const requestsApi = atLeast(version, 2, 16);
  const username = options.username ?? 'admin';
  const password = options.password ?? 'admin-password';
  const accessTokens = new Set(options.accessTokens ?? []);
  const pageSize = options.pageSize ?? 10;
  const pollsBeforeReady = Math.max(0, options.exportPollsBeforeReady ?? 2);
  const externalHost = options.externalHost ?? 'cvat.example:8080';
  const loginKey = randomBytes(20).toString('hex');

  const tasks = new Map<number, StandInTask>();
  for (const task of options.tasks) {
    if (tasks.has(task.id)) throw new Error(`stand-in: two tasks with id ${task.id}`);
    tasks.set(task.id, task);
  }
  const orgIds = new Map<string, number>();
  for (const task of options.tasks) if (task.organization && !orgIds.has(task.organization)) orgIds.set(task.organization, orgIds.size + 1);

  const requests: RecordedCvatRequest[] = [];
  const frameCounts = new Map<string, number>();
  const faultUses = new WeakMap<object, number>();
  const truncations = new WeakMap<object, Map<number, number>>();
  const exportJobs = new Map<string, ExportJob>();
  const legacyJobs = new Map<string, { polls: number }>();
  const zipCache = new Map<string, Buffer>();
  const timers = new Set<NodeJS.Timeout>();
  let faults: CvatFaults = {};

  /** True while the fault entry still has uses left; counts this use. */
  function useFault(entry: object, times: number): boolean {
    const used = faultUses.get(entry) ?? 0;
    if (used >= times) return false;
    faultUses.set(entry, used + 1);
    return true;
  }

  function authenticate(header: string | undefined): { scheme: AuthScheme; error?: string } {
    if (!header) return { scheme: 'none', error: 'Authentication credentials were not provided.' };
    const parts = header.trim().split(/\s+/);
    const keyword = parts[0].toLowerCase();
    if (keyword === 'token') {
      if (parts.length === 1) return { scheme: 'invalid', error: 'Invalid token header. No credentials provided.' };
      if (parts.length > 2) return { scheme: 'invalid', error: 'Invalid token header. Token string should not contain spaces.' };
      return parts[1] === loginKey ? { scheme: 'token' } : { scheme: 'invalid', error: 'Invalid token.' };
    }
    if (keyword === 'bearer') {
      if (parts.length !== 2) return { scheme: 'invalid', error: 'Invalid token header.' };
      return accessTokens.has(parts[1]) ? { scheme: 'bearer' } : { scheme: 'invalid', error: 'Invalid token.' };
    }
    if (keyword === 'basic') {
      if (parts.length === 1) return { scheme: 'invalid', error: 'Invalid basic header. No credentials provided.' };
      if (parts.length > 2) return { scheme: 'invalid', error: 'Invalid basic header. Credentials string should not contain spaces.' };
      const decoded = Buffer.from(parts[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return { scheme: 'invalid', error: 'Invalid basic header. Credentials not correctly base64 encoded.' };
      return decoded.slice(0, colon) === username && decoded.slice(colon + 1) === password
        ? { scheme: 'basic' }
        : { scheme: 'invalid', error: 'Invalid username/password.' };
    }
    // DRF ignores other schemes, so the request counts as unauthenticated.
    return { scheme: 'invalid', error: 'Authentication credentials were not provided.' };
  }

  function taskRead(task: StandInTask, base: string): object {
    const id = task.id;
    const size = task.frames.length;
    return {
      url: `${base}/api/tasks/${id}`,
      id,
      name: task.name,
      project_id: null,
      mode: 'annotation',
      owner: { url: `${base}/api/users/${USER_ID}`, id: USER_ID, username, first_name: '', last_name: '' },
      assignee: null,
      bug_tracker: '',
      created_date: iso(BASE_DATE + id * 3_600_000),
      updated_date: iso(BASE_DATE + id * 3_600_000 + 86_400_000),
      overlap: 0,
      segment_size: size,
      status: 'annotation',
      data_chunk_size: size ? 36 : null,
      data_compressed_chunk_type: 'imageset',
      data_original_chunk_type: 'imageset',
      guide_id: null,
      size,
      image_quality: 70,
      data: size ? 1000 + id : null,
      dimension: '2d',
      subset: '',
      organization: task.organization ? orgIds.get(task.organization)! : null,
      target_storage: null,
      source_storage: null,
      jobs: { count: size ? 1 : 0, completed: 0, validation: 0, url: `${base}/api/jobs?task_id=${id}` },
      labels: { url: `${base}/api/labels?task_id=${id}` },
      assignee_updated_date: null,
      validation_mode: null,
      consensus_enabled: false,
    };
  }

  function dataMeta(task: StandInTask): object {
    const size = task.frames.length;
    return {
      chunks_updated_date: iso(BASE_DATE + task.id * 3_600_000 + 60_000),
      chunk_size: 36,
      size,
      image_quality: 70,
      start_frame: 0,
      stop_frame: size - 1,
      frame_filter: '',
      frames: task.frames.map((f) => ({ width: f.width, height: f.height, name: f.name, related_files: 0, has_related_context: false })),
      deleted_frames: [],
      included_frames: null,
    };
  }

  function annotationsXml(task: StandInTask): string {
    const size = task.frames.length;
    const created = iso(BASE_DATE + task.id * 3_600_000).replace('Z', '+00:00');
    const images = task.frames.map((f, i) => {
      const [xtl, ytl, xbr, ybr] = [f.width * 0.2, f.height * 0.3, f.width * 0.55, f.height * 0.7].map((v) => v.toFixed(2));
      return (
        `  <image id="${i}" name="${xmlEscape(f.name)}" width="${f.width}" height="${f.height}">\n` +
        `    <box label="car" source="manual" occluded="0" xtl="${xtl}" ytl="${ytl}" xbr="${xbr}" ybr="${ybr}" z_order="0">\n    </box>\n` +
        `  </image>\n`
      );
    });
    return (
      '<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n  <meta>\n    <task>\n' +
      `      <id>${task.id}</id>\n      <name>${xmlEscape(task.name)}</name>\n      <size>${size}</size>\n      <mode>annotation</mode>\n` +
      `      <overlap>0</overlap>\n      <bugtracker></bugtracker>\n      <created>${created}</created>\n      <updated>${created}</updated>\n` +
      `      <subset>default</subset>\n      <start_frame>0</start_frame>\n      <stop_frame>${size - 1}</stop_frame>\n      <frame_filter></frame_filter>\n` +
      `      <segments>\n        <segment>\n          <id>${task.id}</id>\n          <start>0</start>\n          <stop>${size - 1}</stop>\n` +
      `          <url>http://${externalHost}/api/jobs/${task.id}</url>\n        </segment>\n      </segments>\n` +
      `      <owner>\n        <username>${xmlEscape(username)}</username>\n        <email></email>\n      </owner>\n      <assignee></assignee>\n` +
      '      <labels>\n        <label>\n          <name>car</name>\n          <color>#fa3253</color>\n          <type>rectangle</type>\n          <attributes>\n          </attributes>\n        </label>\n      </labels>\n' +
      `    </task>\n    <dumped>${created}</dumped>\n  </meta>\n${images.join('')}</annotations>\n`
    );
  }

  function exportZip(task: StandInTask, saveImages: boolean): Buffer {
    if (faults.exportZipEntries) return createStoredZip(faults.exportZipEntries);
    const key = `${task.id}|${saveImages}`;
    let zip = zipCache.get(key);
    if (!zip) {
      const entries: { name: string; body: Buffer }[] = [{ name: 'annotations.xml', body: Buffer.from(annotationsXml(task)) }];
      if (saveImages) for (const f of task.frames) entries.push({ name: `images/${f.name}`, body: f.body });
      zip = createStoredZip(entries);
      zipCache.set(key, zip);
    }
    return zip;
  }

  function zipAnswer(task: StandInTask, format: string, saveImages: boolean): HttpAnswer {
    const stamp = new Date(BASE_DATE + task.id * 3_600_000 + 86_400_000).toISOString().slice(0, 19).replace(/[-T:]/g, '_');
    const filename = `task_${task.name}-${stamp}-${format.toLowerCase()}${saveImages ? '' : '-annotations'}.zip`.replace(/[^\w.\- ~]/g, '_');
    return new HttpAnswer(200, exportZip(task, saveImages), { 'content-type': 'application/zip', 'content-disposition': `attachment; filename="${filename}"` });
  }

  function requestBody(job: ExportJob): object {
    const finished = job.status === 'finished';
    return {
      status: job.status,
      message: job.message,
      id: job.rqId,
      operation: { type: `export:${job.saveImages ? 'dataset' : 'annotations'}`, target: 'task', project_id: null, task_id: job.taskId, job_id: null, format: job.format, function_id: null },
      progress: finished ? 1 : job.status === 'started' ? 0.5 : job.status === 'failed' ? null : 0,
      created_date: job.created,
      started_date: job.started,
      finished_date: job.finished,
      expiry_date: finished ? iso(Date.parse(job.finished!) + 86_400_000) : null,
      owner: { id: USER_ID, username },
      result_url: finished ? `http://${externalHost}/api/tasks/${job.taskId}/dataset/download?rq_id=${encodeURIComponent(job.rqId)}` : null,
      result_id: null,
    };
  }

  function pollExport(job: ExportJob): void {
    if (job.status === 'finished' || job.status === 'failed') return;
    job.polls++;
    const now = iso(Date.now());
    if (job.polls > pollsBeforeReady) {
      job.started ??= now;
      job.finished = now;
      if (faults.exportFails) {
        job.status = 'failed';
        job.message = `Export of task ${job.taskId} in format '${job.format}' failed: stand-in fault (exportFails)`;
      } else {
        job.status = 'finished';
      }
    } else if (job.polls > 1) {
      job.status = 'started';
      job.started ??= now;
    }
  }

  async function route(req: http.IncomingMessage, url: URL, record: RecordedCvatRequest, res: http.ServerResponse): Promise<HttpAnswer | 'handled'> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const base = `http://${req.headers.host ?? url.host}`;

    const auth = path === '/api/auth/login' ? undefined : authenticate(req.headers.authorization);
    if (auth) record.auth = auth.scheme;
    if (faults.unauthorized) return unauthorized('Invalid token.');

    if (path === '/api/auth/login') {
      if (method !== 'POST') return methodNotAllowed(method, ['POST']);
      return login(req);
    }

    if (!path.startsWith('/api/')) return unknownRoute();
    if (auth?.error) return unauthorized(auth.error);

    // Organization context: X-Organization header and/or ?org= (same value), or ?org_id=.
    const header = req.headers['x-organization'];
    const orgHeader = Array.isArray(header) ? header[0] : header;
    const orgQuery = url.searchParams.get('org');
    const orgIdQuery = url.searchParams.get('org_id');
    if (orgIdQuery !== null && (orgQuery !== null || orgHeader !== undefined)) {
      return json(400, ['You cannot specify "org_id" query parameter with "org" query parameter or "X-Organization" HTTP header at the same time.']);
    }
    if (orgQuery !== null && orgHeader !== undefined && orgQuery !== orgHeader) {
      return json(400, ['You cannot specify "org" query parameter and "X-Organization" HTTP header with different values.']);
    }
    let org = orgQuery ?? orgHeader;
    if (orgIdQuery !== null) org = orgIdQuery === '' ? '' : [...orgIds].find(([, id]) => String(id) === orgIdQuery)?.[0] ?? `#${orgIdQuery}`;
    record.org = org;
    if (org && !orgIds.has(org)) return notFound();
    const visible = (task: StandInTask | undefined): task is StandInTask => task !== undefined && (task.organization ?? '') === (org ?? '');

    if (path === '/api/server/about') {
      if (method !== 'GET') return methodNotAllowed(method, ['GET']);
      return json(200, { name: ABOUT_NAME, description: ABOUT_DESCRIPTION, version: versionString });
    }

    if (path === '/api/tasks') {
      if (method !== 'GET') return methodNotAllowed(method, ['GET', 'POST']);
      if (faults.taskListErrors && useFault(faults.taskListErrors, faults.taskListErrors.times)) return faultAnswer(faults.taskListErrors.status);
      return listTasks(url, base, visible);
    }

    if (requestsApi) {
      const rq = /^\/api\/requests\/([^/]+)$/.exec(path);
      if (rq) {
        if (method !== 'GET') return methodNotAllowed(method, ['GET']);
        const job = exportJobs.get(decodeURIComponent(rq[1]));
        if (!job) return notFound();
        pollExport(job);
        return json(200, requestBody(job));
      }
    }

    const m = /^\/api\/tasks\/(\d+)(\/.*)?$/.exec(path);
    if (!m) return unknownRoute();
    const rest = m[2] ?? '';
    const known = ['', '/data', '/data/', '/data/meta', '/dataset', ...(requestsApi ? ['/dataset/export', '/dataset/download'] : [])];
    if (!known.includes(rest)) return unknownRoute();
    const task = tasks.get(Number(m[1]));

    if (rest === '') {
      if (method !== 'GET') return methodNotAllowed(method, ['GET', 'PATCH', 'DELETE']);
      if (faults.taskListErrors && useFault(faults.taskListErrors, faults.taskListErrors.times)) return faultAnswer(faults.taskListErrors.status);
      return visible(task) ? json(200, taskRead(task, base)) : notFound();
    }
    if (rest === '/data/meta') {
      if (method !== 'GET') return methodNotAllowed(method, ['GET', 'PATCH']);
      if (!visible(task) || task.frames.length === 0) return notFound();
      return json(200, dataMeta(task));
    }
    if (rest === '/data' || rest === '/data/') {
      if (method !== 'GET') return methodNotAllowed(method, ['GET', 'POST']);
      if (!visible(task)) return notFound();
      return frame(task, url, req, res);
    }
    if (rest === '/dataset') {
      if (method !== 'GET') return methodNotAllowed(method, ['GET']);
      if (!visible(task)) return notFound();
      if (requestsApi) return new HttpAnswer(410, Buffer.from(GONE_EXPORT), { 'content-type': 'text/html; charset=utf-8' });
      return legacyExport(task, url);
    }
    if (rest === '/dataset/export') {
      if (method !== 'POST') return methodNotAllowed(method, ['POST']);
      if (!visible(task)) return notFound();
      return startExport(task, url);
    }
    // '/dataset/download'
    if (method !== 'GET') return methodNotAllowed(method, ['GET']);
    if (!visible(task)) return notFound();
    const rqId = url.searchParams.get('rq_id');
    if (!rqId) return json(400, { rq_id: ['This field is required.'] });
    const job = exportJobs.get(rqId);
    if (!job || job.taskId !== task.id) return notFound();
    if (job.status !== 'finished') return json(400, [`Export has not finished (status '${job.status}')`]);
    return zipAnswer(task, job.format, job.saveImages);
  }

  async function login(req: http.IncomingMessage): Promise<HttpAnswer> {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const raw = await readBody(req);
    if (type !== 'application/json') return json(415, { detail: `Unsupported media type "${type}" in request.` });
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
    } catch (err) {
      return json(400, { detail: `JSON parse error - ${(err as Error).message}` });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return json(400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
    if (typeof body.password !== 'string' || body.password === '') return json(400, { password: ['This field is required.'] });
    const user = typeof body.username === 'string' && body.username ? body.username : undefined;
    const email = typeof body.email === 'string' && body.email ? body.email : undefined;
    if (!user && !email) return json(400, { non_field_errors: ['Must include either "username" or "email" and "password".'] });
    const userOk = user === username || (!user && email === `${username}@cvat.example`);
    if (!userOk || body.password !== password) return json(400, { non_field_errors: ['Unable to log in with provided credentials.'] });
    return json(200, { key: loginKey }, { 'set-cookie': `sessionid=${randomBytes(16).toString('hex')}; HttpOnly; Path=/; SameSite=Lax` });
  }

  function listTasks(url: URL, base: string, visible: (t: StandInTask | undefined) => t is StandInTask): HttpAnswer {
    const q = url.searchParams;
    let list = [...tasks.values()].filter(visible);
    // Simple filters are exact equality (django-filter 'exact'), as CVAT's SimpleFilter.
    const name = q.get('name');
    if (name !== null) list = list.filter((t) => t.name === name);
    const exact: Record<string, (t: StandInTask) => string> = {
      status: () => 'annotation',
      mode: () => 'annotation',
      dimension: () => '2d',
      subset: () => '',
      owner: () => username,
    };
    for (const [key, get] of Object.entries(exact)) {
      const v = q.get(key);
      if (v !== null) list = list.filter((t) => get(t) === v);
    }
    for (const key of ['project_id', 'assignee', 'project_name', 'tracker_link', 'validation_mode']) if (q.get(key) !== null) list = [];
    // search: DRF SearchFilter, every term icontains one of the search fields.
    const search = q.get('search');
    if (search) {
      const terms = search.split(/[\s,]+/).filter(Boolean).map((s) => s.toLowerCase());
      list = list.filter((t) => {
        const fields = [t.name, 'annotation', 'annotation', '2d', '', username].map((s) => s.toLowerCase());
        return terms.every((term) => fields.some((f) => f.includes(term)));
      });
    }
    const sort = (q.get('sort') ?? '-id').split(',').filter(Boolean);
    list.sort((a, b) => {
      for (const key of sort) {
        const desc = key.startsWith('-');
        const field = desc ? key.slice(1) : key;
        const av = field === 'name' ? a.name : a.id;
        const bv = field === 'name' ? b.name : b.id;
        if (av !== bv) return (av < bv ? -1 : 1) * (desc ? -1 : 1);
      }
      return 0;
    });

    const sizeParam = q.get('page_size');
    let size = pageSize;
    if (sizeParam === 'all') size = Number.MAX_SAFE_INTEGER;
    else if (sizeParam !== null && /^-?\d+$/.test(sizeParam) && Number(sizeParam) > 0) size = Number(sizeParam);
    const pageParam = q.get('page') ?? '1';
    const pages = Math.max(1, Math.ceil(list.length / size));
    const page = pageParam === 'last' ? pages : /^\d+$/.test(pageParam) ? Number(pageParam) : NaN;
    if (!(page >= 1 && page <= pages)) return json(404, { detail: 'Invalid page.' });
    const params = [...q.entries()].filter(([k]) => k !== 'page');
    const link = (n: number | null) => {
      if (n === null) return null;
      const query = pythonQuery(n === 1 ? params : [...params, ['page', String(n)]]);
      return `${base}${url.pathname}${query ? `?${query}` : ''}`;
    };
    return json(200, {
      count: list.length,
      next: link(page < pages ? page + 1 : null),
      previous: link(page > 1 ? page - 1 : null),
      results: list.slice((page - 1) * size, page * size).map((t) => taskRead(t, base)),
    });
  }

  async function frame(task: StandInTask, url: URL, req: http.IncomingMessage, res: http.ServerResponse): Promise<HttpAnswer | 'handled'> {
    const q = url.searchParams;
    const type = q.get('type');
    const numberParam = q.get('number');
    const quality = q.get('quality') ?? 'compressed';
    if (!type || !['chunk', 'frame', 'preview', 'context_image'].includes(type)) return json(400, ['Data type not specified or has wrong value']);
    if (type === 'chunk' || type === 'frame' || type === 'preview') {
      if (numberParam === null && type !== 'preview') return json(400, ['Number is not specified']);
      if (!['compressed', 'original'].includes(quality)) return json(400, ['Wrong quality value']);
    }
    if (type !== 'frame') return json(400, `The CVAT stand-in serves only type=frame (asked for type=${type})`);
    if (!/^-?\d+$/.test(numberParam ?? '')) return json(400, ['A valid integer is required.']);
    const n = Number(numberParam);
    const size = task.frames.length;
    if (n < 0 || n >= size) return json(400, `Invalid frame '${n}'. The frame number should be in the [0, ${size}] range`);

    const key = `${task.id}:${n}`;
    frameCounts.set(key, (frameCounts.get(key) ?? 0) + 1);

    const delay = faults.frameDelayMs?.[n];
    if (delay && delay > 0) {
      const alive = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve(!res.destroyed);
        }, delay);
        timers.add(timer);
        res.once('close', () => {
          clearTimeout(timer);
          timers.delete(timer);
          resolve(false);
        });
      });
      if (!alive) return 'handled';
    }

    for (const k of [n, -1]) {
      const fault = faults.frameErrors?.[k];
      if (fault && useFault(fault, fault.times)) return faultAnswer(fault.status, fault.retryAfterSeconds);
    }

    const f = task.frames[n];
    if (faults.truncateFrame && useTruncation(faults.truncateFrame, n)) {
      res.writeHead(200, { 'content-type': mimeOf(f.name, f.body), 'content-length': String(f.body.length) });
      res.write(f.body.subarray(0, Math.floor(f.body.length / 2)), () => setImmediate(() => req.socket.destroy()));
      return 'handled';
    }
    return new HttpAnswer(200, f.body, { 'content-type': mimeOf(f.name, f.body) });
  }

  /** True (and counted) while frame n of this truncateFrame setting still has truncations left. */
  function useTruncation(setting: Record<number, number>, n: number): boolean {
    const times = setting[n] ?? 0;
    let used = truncations.get(setting);
    if (!used) truncations.set(setting, (used = new Map()));
    const count = used.get(n) ?? 0;
    if (count >= times) return false;
    used.set(n, count + 1);
    return true;
  }

  function checkFormat(url: URL): string | HttpAnswer {
    const format = url.searchParams.get('format') ?? '';
    if (!CVAT_EXPORT_FORMATS.includes(format)) return json(400, ['Unknown format specified for the request']);
    return format;
  }

  function startExport(task: StandInTask, url: URL): HttpAnswer {
    const format = checkFormat(url);
    if (format instanceof HttpAnswer) return format;
    const saveImages = toBool(url.searchParams.get('save_images'));
    if (saveImages === undefined) return json(400, { save_images: ['Must be a valid boolean.'] });
    if (task.frames.length === 0) return json(400, ['Exporting without data is not allowed']);
    const rqId = `action=export&target=task&target_id=${task.id}&user_id=${USER_ID}&format=${formatToken(format)}&subresource=${saveImages ? 'dataset' : 'annotations'}`;
    const running = exportJobs.get(rqId);
    if (running && (running.status === 'queued' || running.status === 'started')) return json(409, { rq_id: rqId });
    exportJobs.set(rqId, { rqId, taskId: task.id, format, saveImages, polls: 0, status: 'queued', message: '', created: iso(Date.now()), started: null, finished: null });
    return json(202, { rq_id: rqId });
  }

  function legacyExport(task: StandInTask, url: URL): HttpAnswer {
    const format = checkFormat(url);
    if (format instanceof HttpAnswer) return format;
    const action = url.searchParams.get('action');
    if (action !== null && action !== 'download') return json(400, [`Unexpected action '${action}' specified for the request`]);
    if (task.frames.length === 0) return json(400, ['Exporting without data is not allowed']);
    const key = `${task.id}|${format}`;
    const job = legacyJobs.get(key);
    if (!job) {
      legacyJobs.set(key, { polls: 1 });
      return new HttpAnswer(202, null);
    }
    job.polls++;
    if (job.polls <= Math.max(1, pollsBeforeReady)) return new HttpAnswer(202, null);
    if (faults.exportFails) {
      legacyJobs.delete(key);
      return json(500, `Export of task ${task.id} in format '${format}' failed: stand-in fault (exportFails)`);
    }
    if (action === 'download') {
      legacyJobs.delete(key);
      return zipAnswer(task, format, true);
    }
    return new HttpAnswer(201, null);
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const record: RecordedCvatRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams.entries()),
      auth: req.headers.authorization ? 'invalid' : 'none',
      status: 0,
      headers: req.headers,
    };
    requests.push(record);
    res.on('close', () => {
      record.status = res.statusCode;
    });
    route(req, url, record, res)
      .then((answer) => {
        if (answer === 'handled' || res.destroyed) return;
        const body = answer.body ?? Buffer.alloc(0);
        res.writeHead(answer.status, { 'content-length': String(body.length), vary: 'Accept, Origin', ...answer.headers });
        res.end(req.method === 'HEAD' ? undefined : body);
      })
      .catch((err: Error) => sendStandInError(res, err));
  });
  server.keepAliveTimeout = 1000;
  const url = await listenOnLoopback(server);

  return {
    url,
    requests,
    get faults() {
      return faults;
    },
    set faults(next: CvatFaults) {
      faults = next ?? {};
    },
    frameDownloads: (taskId, frameNumber) => frameCounts.get(`${taskId}:${frameNumber}`) ?? 0,
    close: () => closeServer(server, timers),
  };
}

