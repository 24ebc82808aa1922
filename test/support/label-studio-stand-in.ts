/**
 * A stand-in Label Studio (1.23.x) on 127.0.0.1 for the parts a real local Label Studio
 * server cannot show: files behind the cloud `storage-data` URL form, `s3://` URIs resolved
 * by a redirect to a presigned URL on a SECOND host (standing for S3 or a CDN, which must
 * never receive the Label Studio token), and injected faults (429, 5xx, delays, odd bodies).
 *
 * Routes follow Label Studio 1.23.2 (label_studio/*\/urls.py of the installed release, and
 * answers of a real 1.23.2 server compared field by field):
 *
 *   POST /api/token/refresh/                     {refresh} (JSON or form) -> 200 {access}
 *   GET  /api/projects/{id}/                     project
 *   GET  /api/projects/{id}/export?exportType=JSON&download_all_tasks=&ids[]=
 *                                                the JSON export, Content-Type `application/.json`
 *   GET  /api/tasks/{id}/                        task (s3:// URIs resolved to /tasks/{id}/resolve/?fileuri=)
 *   GET  /tasks/{id}/resolve/?fileuri=<urlsafe base64>     303 to the presigned URL
 *        /tasks/{id}/presign/, /projects/{id}/resolve/, /projects/{id}/presign/ (same view)
 *   GET  the paths of `files`                    the bytes (e.g. /data/upload/{project}/{file},
 *                                                /storage-data/uploaded/?filepath=upload/..., /data/local-files/?d=...)
 *
 * Like Label Studio (APPEND_SLASH=False plus CommonMiddlewareAppendSlashWithoutRedirect) a path
 * that does not match is retried with a trailing slash, without a redirect; `/api/tasks/{id}/resolve/`
 * does not exist (Label Studio answers its 404 HTML page there). Auth: `Authorization: Token <key>`
 * (legacy) or `Authorization: Bearer <access JWT>` from the refresh endpoint. An expired or invalid
 * Bearer token is ignored by Label Studio's JWT middleware, so the answer is 401 "Authentication
 * credentials were not provided." with `WWW-Authenticate: Token`, exactly as the real server says.
 * Errors carry Label Studio's body {id, status_code, version, detail, exc_info[, validation_errors]}.
 *
 * The second host serves `otherHostFiles` without auth and the presigned S3 paths
 * (`/{bucket}/{key}?X-Amz-...&X-Amz-Signature=`); like S3 it refuses a presigned request that also
 * carries an Authorization header (400 InvalidArgument), an expired one (403) and a bad signature
 * (403), with S3's XML errors. Every request on both hosts is recorded with its Authorization header.
 */
import { closeServer, listenOnLoopback, readBody, sendStandInError } from './loopback-server';
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';

export interface StandInImage {
  body: Buffer;
  contentType?: string;
}

export interface LsStandInTask {
  id: number;
  /** data.image as the test wants it; `{self}` and `{other}` are replaced by the two hosts' base URLs. */
  image: string;
  /**
   * One entry per annotation: its `result` array. An object entry is merged into the annotation
   * instead (e.g. `{ result: [], was_cancelled: true }`).
   */
  annotations?: unknown[];
}

export interface LsStandInOptions {
  legacyToken: string;
  /** JWT refresh tokens accepted at /api/token/refresh/; access tokens issued expire after accessTtlSeconds (default 300). */
  personalTokens?: string[];
  accessTtlSeconds?: number;
  projectId: number;
  labelConfig?: string;
  tasks: LsStandInTask[];
  /** Files served by the stand-in (auth required): path (e.g. '/data/upload/3/a.jpg', '/storage-data/uploaded/?filepath=upload/3/b.jpg', '/data/local-files/?d=images/c.jpg') -> image */
  files: Record<string, StandInImage>;
  /** Files served by the SECOND host (no auth required; it records whether an Authorization header arrived): path -> image */
  otherHostFiles?: Record<string, StandInImage>;
  /**
   * s3:// URIs resolvable through GET /tasks/{id}/resolve/?fileuri=<base64 of the uri> (Label Studio's
   * route; /tasks/{id}/presign/ and the /projects/{id}/... forms too) -> 303 redirect to a presigned
   * URL on the SECOND host (with X-Amz-Signature query) that serves the bytes.
   */
  s3Objects?: Record<string, StandInImage>;
}

export interface LsStandInFaults {
  /**
   * Path prefix (matched against path + query, on both hosts) -> the first `times` requests answer
   * `status` (429 adds Retry-After, default 1 s). Counts restart when an entry is replaced.
   */
  errors?: Record<string, { status: number; times: number; retryAfterSeconds?: number }>;
  /** Path prefix (both hosts) -> wait this long before answering. */
  delayMs?: Record<string, number>;
  /** Exact path + query (both hosts) -> serve this instead, before auth (e.g. an HTML 200 login page, or a truncated body). */
  override?: Record<string, { status: number; body: Buffer | string; contentType?: string }>;
}

export interface LsStandInRequest {
  host: 'self' | 'other';
  method: string;
  /** As received, with the query. */
  path: string;
  /** The Authorization header as received, if any. */
  authorization?: string;
  /** Response status; 0 while the response is pending. */
  status: number;
}

export interface LsStandIn {
  /** http://127.0.0.1:PORT of the Label Studio stand-in */
  url: string;
  /** http://127.0.0.1:PORT of the second host (S3 / CDN) */
  otherUrl: string;
  requests: LsStandInRequest[];
  faults: LsStandInFaults;
  /** JSON export as the stand-in serves it (download_all_tasks=true), with {self}/{other} replaced */
  exportTasks(): unknown[];
  close(): Promise<void>;
}

const LS_VERSION = '1.23.2';
const USER_ID = 1;
const USER_EMAIL = 'annotator@visionflow.test';
const BASE_DATE = Date.UTC(2025, 10, 3, 8, 21, 44, 318);
const S3_REGION = 'us-east-1';
const S3_ACCESS_KEY = 'AKIAVFSTANDIN0000001';
/** Label Studio's S3 storage default: presign_ttl = 1 minute (redirect max-age and X-Amz-Expires). */
const PRESIGN_TTL_SECONDS = 60;
const DEFAULT_LABEL_CONFIG =
  '<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image"><Label value="car"/><Label value="person"/></RectangleLabels></View>';
const NOT_FOUND_HTML = '<!doctype html>\n<html lang="en">\n<head>\n  <title>Label Studio</title>\n</head>\n<body>\n  <h1>404</h1><p>Page not found</p>\n</body>\n</html>\n';
const JSON_EXPORT_FORMATS = ['JSON', 'JSON_MIN', 'CSV', 'TSV', 'CONLL2003', 'COCO', 'COCO_WITH_IMAGES', 'VOC', 'YOLO', 'YOLO_WITH_IMAGES', 'YOLO_OBB', 'YOLO_OBB_WITH_IMAGES', 'BRUSH_TO_NUMPY', 'BRUSH_TO_PNG', 'ASR_MANIFEST', 'README'];
const TRUE_VALUES = new Set(['t', 'T', 'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', '1']);
const FALSE_VALUES = new Set(['f', 'F', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF', '0']);
const MIME: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  svg: 'image/svg+xml',
  json: 'application/json',
};

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: Buffer,
    readonly headers: Record<string, string> = {},
  ) {}
}

type Handled = 'handled';

/** Label Studio's error body (core.utils.common.custom_exception_handler). */
function lsError(status: number, detail: string, headers: Record<string, string> = {}, validationErrors?: Record<string, unknown>): HttpAnswer {
  const body: Record<string, unknown> = { id: randomUUID(), status_code: status, version: LS_VERSION, detail, exc_info: null };
  if (validationErrors) body.validation_errors = validationErrors;
  return json(status, body, headers);
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return new HttpAnswer(status, Buffer.from(JSON.stringify(body)), { 'content-type': 'application/json', ...headers });
}

/** DRF `Response(status=...)` without data: no body, no content type. */
function empty(status: number, allow = 'GET'): HttpAnswer {
  return new HttpAnswer(status, Buffer.alloc(0), { allow });
}

function html(status: number, body: string): HttpAnswer {
  return new HttpAnswer(status, Buffer.from(body), { 'content-type': 'text/html; charset=utf-8' });
}

function methodNotAllowed(method: string, allow: string): HttpAnswer {
  return lsError(405, `Method "${method}" not allowed.`, { allow });
}

function s3Error(status: number, code: string, message: string, resource: string): HttpAnswer {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`;
  return new HttpAnswer(status, Buffer.from(body), { 'content-type': 'application/xml', 'x-amz-request-id': requestId });
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** Python's base64.urlsafe_b64encode: '-' and '_', with '=' padding. */
function urlsafeB64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function iso(ms: number): string {
  // Django/DRF: microseconds and a Z suffix.
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function mimeOf(name: string, body: Buffer): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  if (ext && MIME[ext]) return MIME[ext];
  if (body.length >= 3 && body[0] === 0xff && body[1] === 0xd8 && body[2] === 0xff) return 'image/jpeg';
  if (body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (body.subarray(0, 4).toString('latin1') === 'RIFF' && body.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return 'application/octet-stream';
}

/** Label Studio (Django) parses the query: compare path + decoded parameters, not the raw text. */
function requestKey(pathAndQuery: string): string {
  const url = new URL(pathAndQuery, 'http://x');
  const params = [...url.searchParams.entries()].map(([k, v]) => `${k}=${v}`);
  let path = url.pathname;
  try {
    path = decodeURIComponent(path);
  } catch {
    // keep the raw path
  }
  return `${path}?${params.join('&')}`;
}

/** Python's base64.urlsafe_b64decode(...).decode(): both alphabets, padding required, UTF-8 strict. */
function decodeFileUri(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9+/=_-]/g, '').replace(/-/g, '+').replace(/_/g, '/');
  const data = cleaned.replace(/=+$/, '');
  if (data.length % 4 === 1 || cleaned.length % 4 !== 0 || /=/.test(data)) return safeUnquote(value);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(cleaned, 'base64'));
  } catch {
    return safeUnquote(value);
  }
}

function safeUnquote(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function parseBool(value: string | null, fallback: boolean): boolean | undefined {
  if (value === null) return fallback;
  if (TRUE_VALUES.has(value)) return true;
  if (FALSE_VALUES.has(value)) return false;
  return undefined;
}

/** Serves `body`, honouring a single `Range: bytes=` (RangedFileResponse / S3 both do). */
function bytesAnswer(req: http.IncomingMessage, body: Buffer, headers: Record<string, string>): HttpAnswer {
  const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? '').trim());
  if (range && (range[1] || range[2])) {
    const size = body.length;
    let start: number;
    let end: number;
    if (range[1] === '') {
      start = Math.max(0, size - Number(range[2]));
      end = size - 1;
    } else {
      start = Number(range[1]);
      end = range[2] === '' ? size - 1 : Math.min(Number(range[2]), size - 1);
    }
    if (start >= size || start > end) {
      return new HttpAnswer(416, Buffer.alloc(0), { 'content-range': `bytes */${size}` });
    }
    return new HttpAnswer(206, body.subarray(start, end + 1), { ...headers, 'accept-ranges': 'bytes', 'content-range': `bytes ${start}-${end}/${size}` });
  }
  return new HttpAnswer(200, body, headers);
}

function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

function xmlAttributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([A-Za-z_][\w.-]*)\s*=\s*"([^"]*)"/g)) out[m[1]] = m[2].replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  return out;
}

/**
 * control_weights and parsed_label_config as Label Studio derives them from a label config, for
 * flat configs (object tags with name/value, control tags with toName and <Label value=""/> children).
 */
function parseLabelConfig(config: string): { control_weights: Record<string, unknown>; parsed_label_config: Record<string, unknown> } {
  const objects = new Map<string, { type: string; valueType: null; value: string }>();
  for (const m of config.matchAll(/<([A-Z][A-Za-z]*)\b([^>]*?)\/?>/g)) {
    const attrs = xmlAttributes(m[2]);
    if (attrs.name && attrs.value?.startsWith('$') && !attrs.toName) objects.set(attrs.name, { type: m[1], valueType: null, value: attrs.value.slice(1) });
  }
  const parsed: Record<string, unknown> = {};
  const weights: Record<string, unknown> = {};
  for (const m of config.matchAll(/<([A-Z][A-Za-z]*)\b([^>]*?)(\/?)>/g)) {
    const attrs = xmlAttributes(m[2]);
    if (!attrs.name || !attrs.toName) continue;
    const type = m[1];
    const toName = attrs.toName.split(',');
    const end = m[3] ? m.index! + m[0].length : config.indexOf(`</${type}>`, m.index);
    const inner = m[3] || end < 0 ? '' : config.slice(m.index! + m[0].length, end);
    const labels: string[] = [];
    const labelsAttrs: Record<string, Record<string, string>> = {};
    for (const l of inner.matchAll(/<(?:Label|Choice)\b([^>]*?)\/?>/g)) {
      const la = xmlAttributes(l[1]);
      const value = la.value ?? la.alias;
      if (value === undefined) continue;
      labels.push(value);
      labelsAttrs[value] = la;
    }
    parsed[attrs.name] = { type, to_name: toName, inputs: toName.filter((n) => objects.has(n)).map((n) => objects.get(n)), labels, labels_attrs: labelsAttrs };
    weights[attrs.name] = { overall: 1, type, labels: Object.fromEntries(labels.map((l) => [l, 1])) };
  }
  return { control_weights: weights, parsed_label_config: parsed };
}


export async function startLabelStudioStandIn(options: LsStandInOptions): Promise<LsStandIn> {
  if (!options.legacyToken) throw new Error('startLabelStudioStandIn: legacyToken must be a non-empty string');
  if (!Number.isInteger(options.projectId) || options.projectId < 1) throw new Error(`startLabelStudioStandIn: projectId must be a positive integer, got ${options.projectId}`);
  const seen = new Set<number>();
  for (const t of options.tasks) {
    if (!Number.isInteger(t.id) || t.id < 1) throw new Error(`startLabelStudioStandIn: task id must be a positive integer, got ${t.id}`);
    if (seen.has(t.id)) throw new Error(`startLabelStudioStandIn: duplicate task id ${t.id}`);
    seen.add(t.id);
  }
  for (const uri of Object.keys(options.s3Objects ?? {})) {
    if (!/^s3:\/\/[^/]+\/.+/.test(uri)) throw new Error(`startLabelStudioStandIn: s3Objects key must look like s3://bucket/key, got '${uri}'`);
  }
  const accessTtlMs = (options.accessTtlSeconds ?? 300) * 1000;
  const personalTokens = new Set(options.personalTokens ?? []);
  const labelConfig = options.labelConfig ?? DEFAULT_LABEL_CONFIG;
  const jwtSecret = randomBytes(32);
  const presignSecret = randomBytes(32);
  /** jti -> expiry in ms (the JWT's exp claim is whole seconds, as simplejwt writes it). */
  const accessTokens = new Map<string, number>();
  const requests: LsStandInRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const faultUses = new WeakMap<object, number>();
  const unique = new Map<string, string>();
  let faults: LsStandInFaults = {};
  let selfUrl = '';
  let otherUrl = '';

  const files = new Map<string, StandInImage>();
  for (const [p, img] of Object.entries(options.files)) files.set(requestKey(p), img);
  const otherFiles = new Map<string, StandInImage>();
  for (const [p, img] of Object.entries(options.otherHostFiles ?? {})) otherFiles.set(requestKey(p), img);
  const s3Objects = new Map(Object.entries(options.s3Objects ?? {}));

  // ---- task and export bodies -------------------------------------------------------------

  const substitute = (s: string) => s.split('{self}').join(selfUrl).split('{other}').join(otherUrl);
  const taskCreated = (index: number) => BASE_DATE + index * 61_000;
  const uniqueId = (key: string) => {
    let id = unique.get(key);
    if (!id) unique.set(key, (id = randomUUID()));
    return id;
  };

  interface Annotation {
    id: number;
    result: unknown[];
    was_cancelled: boolean;
    ground_truth: boolean;
    created_at: string;
    updated_at: string;
    lead_time: number | null;
    extra: Record<string, unknown>;
  }

  const annotationsByTask = new Map<number, Annotation[]>();
  {
    let nextId = 1;
    options.tasks.forEach((task, index) => {
      const list: Annotation[] = (task.annotations ?? []).map((entry, k) => {
        const created = iso(taskCreated(index) + 30_000 + k * 1_000);
        // lead_time is null for annotations created through the API (as the real server shows them).
        const base: Annotation = { id: nextId++, result: [], was_cancelled: false, ground_truth: false, created_at: created, updated_at: created, lead_time: null, extra: {} };
        if (Array.isArray(entry)) return { ...base, result: entry };
        if (entry && typeof entry === 'object') {
          const { result, was_cancelled, ground_truth, ...extra } = entry as Record<string, unknown>;
          return {
            ...base,
            result: Array.isArray(result) ? result : [],
            was_cancelled: was_cancelled === true,
            ground_truth: ground_truth === true,
            extra,
          };
        }
        throw new Error(`startLabelStudioStandIn: task ${task.id} annotation ${k} must be a result array or an object, got ${typeof entry}`);
      });
      annotationsByTask.set(task.id, list);
    });
  }

  function fileUploadName(image: string): string | undefined {
    const m = /\/data\/upload\/\d+\/([^/?#]+)$/.exec(image) ?? /[?&]filepath=upload\/\d+\/([^&#]+)/.exec(image);
    return m ? decodeURIComponent(m[1]) : undefined;
  }

  function exportTask(task: LsStandInTask, index: number): Record<string, unknown> {
    const image = substitute(task.image);
    const annotations = annotationsByTask.get(task.id) ?? [];
    const created = taskCreated(index);
    const out: Record<string, unknown> = {
      id: task.id,
      annotations: annotations.map((a) => ({
        id: a.id,
        completed_by: USER_ID,
        result: a.result,
        was_cancelled: a.was_cancelled,
        ground_truth: a.ground_truth,
        created_at: a.created_at,
        updated_at: a.updated_at,
        draft_created_at: null,
        lead_time: a.lead_time,
        prediction: {},
        result_count: a.result.length,
        unique_id: uniqueId(`annotation:${a.id}`),
        import_id: null,
        last_action: null,
        bulk_created: false,
        task: task.id,
        project: options.projectId,
        updated_by: USER_ID,
        parent_prediction: null,
        parent_annotation: null,
        last_created_by: null,
        ...a.extra,
      })),
    };
    // Label Studio leaves file_upload out when the task has no uploaded file.
    const upload = fileUploadName(image);
    if (upload !== undefined) out.file_upload = upload;
    Object.assign(out, {
      drafts: [],
      predictions: [],
      data: { image },
      meta: {},
      created_at: iso(created),
      updated_at: iso(annotations.length ? created + 40_000 : created),
      allow_skip: true,
      inner_id: index + 1,
      total_annotations: annotations.filter((a) => !a.was_cancelled).length,
      cancelled_annotations: annotations.filter((a) => a.was_cancelled).length,
      total_predictions: 0,
      comment_count: 0,
      unresolved_comment_count: 0,
      last_comment_updated_at: null,
      project: options.projectId,
      updated_by: annotations.length ? USER_ID : null,
      comment_authors: [],
    });
    return out;
  }

  function exportTasks(): Record<string, unknown>[] {
    return options.tasks.map(exportTask);
  }

  /** GET /api/tasks/{id}/: TaskSerializer with resolve_uri (s3:// URIs become the resolve proxy URL). */
  function taskDetail(task: LsStandInTask, index: number, resolveUri: boolean): Record<string, unknown> {
    const exported = exportTask(task, index);
    const annotations = annotationsByTask.get(task.id) ?? [];
    let image = exported.data ? (exported.data as { image: string }).image : '';
    if (resolveUri && s3Objects.has(image)) {
      // settings.HOSTNAME is '' unless LABEL_STUDIO_HOST is a full URL: the proxy URL is relative.
      image = `/tasks/${task.id}/resolve/?fileuri=${urlsafeB64(image)}`;
    }
    const finished = annotations.filter((a) => !a.was_cancelled);
    return {
      id: task.id,
      predictions: [],
      annotations: annotations.map((a) => ({
        id: a.id,
        result: a.result,
        created_username: ` ${USER_EMAIL}, ${USER_ID}`,
        created_ago: '0\u00a0minutes',
        completed_by: { id: USER_ID, first_name: '', last_name: '', avatar: null, email: USER_EMAIL, initials: USER_EMAIL.slice(0, 2) },
        was_cancelled: a.was_cancelled,
        ground_truth: a.ground_truth,
        created_at: a.created_at,
        updated_at: a.updated_at,
        draft_created_at: null,
        lead_time: a.lead_time,
        import_id: null,
        last_action: null,
        bulk_created: false,
        task: task.id,
        project: options.projectId,
        updated_by: USER_ID,
        parent_prediction: null,
        parent_annotation: null,
        last_created_by: null,
        ...a.extra,
      })),
      drafts: [],
      annotators: annotations.length ? [USER_ID] : [],
      inner_id: index + 1,
      cancelled_annotations: annotations.length - finished.length,
      total_annotations: finished.length,
      total_predictions: 0,
      completed_at: finished.length ? finished[0].created_at : null,
      annotations_results: '',
      predictions_results: '',
      predictions_score: null,
      file_upload: exported.file_upload ?? null,
      storage_filename: null,
      annotations_ids: annotations.map((a) => a.id).join(', '),
      predictions_model_versions: '',
      avg_lead_time: null,
      draft_exists: false,
      updated_by: annotations.length ? [{ user_id: USER_ID }] : [],
      data: { image },
      meta: {},
      created_at: exported.created_at,
      updated_at: exported.updated_at,
      is_labeled: finished.length > 0,
      overlap: 1,
      comment_count: 0,
      unresolved_comment_count: 0,
      last_comment_updated_at: null,
      project: options.projectId,
      comment_authors: [],
    };
  }

  function projectBody(): Record<string, unknown> {
    const all = [...annotationsByTask.values()].flat();
    const withAnnotations = [...annotationsByTask.values()].filter((l) => l.length > 0).length;
    const finished = [...annotationsByTask.values()].filter((l) => l.some((a) => !a.was_cancelled)).length;
    return {
      id: options.projectId,
      title: `Stand-in project ${options.projectId}`,
      description: '',
      label_config: labelConfig,
      expert_instruction: '',
      show_instruction: false,
      show_skip_button: true,
      enable_empty_annotation: true,
      show_annotation_history: false,
      organization: 1,
      color: '#FFFFFF',
      maximum_annotations: 1,
      is_published: false,
      model_version: '',
      is_draft: false,
      created_by: { id: USER_ID, first_name: '', last_name: '', email: USER_EMAIL, avatar: null },
      created_at: iso(BASE_DATE - 3_600_000),
      min_annotations_to_start_training: 0,
      start_training_on_annotation_update: false,
      show_collab_predictions: true,
      num_tasks_with_annotations: withAnnotations,
      task_number: options.tasks.length,
      useful_annotation_number: all.filter((a) => !a.was_cancelled).length,
      ground_truth_number: all.filter((a) => a.ground_truth).length,
      skipped_annotations_number: all.filter((a) => a.was_cancelled).length,
      total_annotations_number: all.length,
      total_predictions_number: 0,
      sampling: 'Sequential sampling',
      show_ground_truth_first: false,
      annotator_evaluation_enabled: false,
      show_overlap_first: false,
      overlap_cohort_percentage: 100,
      task_data_login: null,
      task_data_password: null,
      ...parseLabelConfig(labelConfig),
      evaluate_predictions_automatically: false,
      config_has_control_tags: true,
      skip_queue: 'REQUEUE_FOR_OTHERS',
      reveal_preannotations_interactively: false,
      pinned_at: null,
      finished_task_number: finished,
      queue_total: options.tasks.length,
      queue_done: finished,
      config_suitable_for_bulk_annotation: false,
      state: null,
    };
  }

  // ---- tokens --------------------------------------------------------------------------------

  function signJwt(payload: Record<string, unknown>): string {
    const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const body = b64url(JSON.stringify(payload));
    const sig = createHmac('sha256', jwtSecret).update(`${head}.${body}`).digest('base64url');
    return `${head}.${body}.${sig}`;
  }

  function issueAccess(): string {
    const now = Date.now();
    const expiresAt = now + accessTtlMs;
    const jti = randomBytes(16).toString('hex');
    accessTokens.set(jti, expiresAt);
    return signJwt({ token_type: 'access', exp: Math.floor(expiresAt / 1000), iat: Math.floor(now / 1000), jti, user_id: String(USER_ID) });
  }

  function validAccess(token: string): boolean {
    const parts = token.split('.');
    if (parts.length !== 3) return false;
    const expected = createHmac('sha256', jwtSecret).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    let claims: Record<string, unknown>;
    try {
      claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return false;
    }
    if (claims.token_type !== 'access' || typeof claims.jti !== 'string') return false;
    const expiresAt = accessTokens.get(claims.jti);
    return expiresAt !== undefined && Date.now() < expiresAt;
  }

  /**
   * Label Studio: the JWT middleware accepts a valid `Bearer` access token and silently ignores an
   * invalid or expired one; then DRF's TokenAuthentication reads `Token <key>`. Returns an error
   * answer, or undefined when authenticated.
   */
  function authenticate(header: string | undefined): HttpAnswer | undefined {
    const challenge = { 'www-authenticate': 'Token' };
    const parts = (header ?? '').split(/\s+/).filter(Boolean);
    if (parts.length === 2 && parts[0] === 'Bearer' && validAccess(parts[1])) return undefined;
    if (parts.length === 0 || parts[0].toLowerCase() !== 'token') return lsError(401, 'Authentication credentials were not provided.', challenge);
    if (parts.length === 1) return lsError(401, 'Invalid token header. No credentials provided.', challenge);
    if (parts.length > 2) return lsError(401, 'Invalid token header. Token string should not contain spaces.', challenge);
    if (parts[1] !== options.legacyToken) return lsError(401, 'Invalid token.', challenge);
    return undefined;
  }

  async function refresh(req: http.IncomingMessage): Promise<HttpAnswer> {
    const raw = (await readBody(req)).toString('utf8');
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    let value: unknown;
    if (type === 'application/json') {
      let body: unknown;
      try {
        body = raw === '' ? {} : JSON.parse(raw);
      } catch (err) {
        return lsError(400, `JSON parse error - ${(err as Error).message}`);
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return lsError(400, 'Validation error', {}, { non_field_errors: [`Invalid data. Expected a dictionary, but got ${Array.isArray(body) ? 'list' : typeof body}.`] });
      }
      value = (body as Record<string, unknown>).refresh;
    } else if (type === 'application/x-www-form-urlencoded' || type === '') {
      value = new URLSearchParams(raw).get('refresh') ?? undefined;
    } else {
      return lsError(415, `Unsupported media type "${type}" in request.`);
    }
    if (value === undefined || value === null) return lsError(400, 'Validation error', {}, { refresh: ['This field is required.'] });
    if (typeof value !== 'string' || value.trim() === '') return lsError(400, 'Validation error', {}, { refresh: ['This field may not be blank.'] });
    if (!personalTokens.has(value)) return lsError(401, 'Token is invalid', { 'www-authenticate': 'Bearer realm="api"' });
    return json(200, { access: issueAccess() }, { allow: 'POST, OPTIONS' });
  }

  // ---- presigned URLs ------------------------------------------------------------------------

  function presignSignature(path: string, date: string, expires: string, contentType: string): string {
    return createHmac('sha256', presignSecret).update(`GET\n${path}\n${date}\n${expires}\n${contentType}`).digest('hex');
  }

  function presignedUrl(uri: string): string {
    const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
    const path = `/${m[1]}/${m[2].split('/').map(encodeURIComponent).join('/')}`;
    const date = amzDate(Date.now());
    const expires = String(PRESIGN_TTL_SECONDS);
    const ext = /\.([A-Za-z0-9]+)$/.exec(m[2])?.[1]?.toLowerCase();
    const contentType = ext && MIME[ext] ? MIME[ext] : '';
    const q = new URLSearchParams();
    if (contentType) q.set('response-content-type', contentType);
    q.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA256');
    q.set('X-Amz-Credential', `${S3_ACCESS_KEY}/${date.slice(0, 8)}/${S3_REGION}/s3/aws4_request`);
    q.set('X-Amz-Date', date);
    q.set('X-Amz-Expires', expires);
    q.set('X-Amz-SignedHeaders', 'host');
    q.set('X-Amz-Signature', presignSignature(path, date, expires, contentType));
    return `${otherUrl}${path}?${q.toString()}`;
  }

  /** GET /tasks/{id}/resolve/ and friends (io_storages.proxy_api, presign=True: 303 to the presigned URL). */
  function resolve(kind: 'tasks' | 'projects', id: number, url: URL, method: string): HttpAnswer {
    if (method !== 'GET') return methodNotAllowed(method, 'GET');
    const fileuri = url.searchParams.get('fileuri');
    if (fileuri === null) return empty(400);
    const known = kind === 'tasks' ? options.tasks.some((t) => t.id === id) : id === options.projectId;
    if (!known) return empty(404);
    const uri = decodeFileUri(fileuri);
    if (!s3Objects.has(uri)) return empty(404);
    return new HttpAnswer(303, Buffer.alloc(0), {
      location: presignedUrl(uri),
      'content-type': 'text/html; charset=utf-8',
      'cache-control': `no-store, max-age=${PRESIGN_TTL_SECONDS}`,
      allow: 'GET',
    });
  }

  // ---- faults --------------------------------------------------------------------------------

  function matchPrefix<T>(table: Record<string, T> | undefined, pathAndQuery: string): T | undefined {
    if (!table) return undefined;
    let best: string | undefined;
    for (const prefix of Object.keys(table)) if (pathAndQuery.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
    return best === undefined ? undefined : table[best];
  }

  function faultAnswer(host: 'self' | 'other', status: number, retryAfterSeconds?: number): HttpAnswer {
    const headers: Record<string, string> = {};
    if (status === 429 || retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds ?? 1);
    let answer: HttpAnswer;
    if (host === 'other') {
      if (status === 503 || status === 429) answer = s3Error(status, 'SlowDown', 'Please reduce your request rate.', '');
      else if (status >= 500) answer = s3Error(status, 'InternalError', 'We encountered an internal error. Please try again.', '');
      else answer = s3Error(status, 'AccessDenied', 'Access Denied', '');
    } else if (status === 429) {
      answer = lsError(429, `Request was throttled. Expected available in ${retryAfterSeconds ?? 1} seconds.`);
    } else if (status === 502 || status === 503 || status === 504) {
      const text = { 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' }[status];
      answer = html(status, `<html>\r\n<head><title>${status} ${text}</title></head>\r\n<body>\r\n<center><h1>${status} ${text}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`);
    } else {
      answer = lsError(status, status >= 500 ? 'Label Studio stand-in fault' : 'Label Studio stand-in fault (client error)');
    }
    return new HttpAnswer(answer.status, answer.body, { ...answer.headers, ...headers });
  }

  /** Waits `ms`; false when the client went away meanwhile. */
  function wait(ms: number, res: http.ServerResponse): Promise<boolean> {
    return new Promise<boolean>((resolveWait) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.off('close', onClose);
        resolveWait(!res.destroyed);
      }, ms);
      const onClose = () => {
        clearTimeout(timer);
        timers.delete(timer);
        resolveWait(false);
      };
      timers.add(timer);
      res.once('close', onClose);
    });
  }

  async function applyFaults(host: 'self' | 'other', pathAndQuery: string, res: http.ServerResponse): Promise<HttpAnswer | Handled | undefined> {
    const delay = matchPrefix(faults.delayMs, pathAndQuery);
    if (delay && delay > 0 && !(await wait(delay, res))) return 'handled';
    const override = faults.override?.[pathAndQuery];
    if (override) {
      const body = Buffer.isBuffer(override.body) ? override.body : Buffer.from(override.body);
      return new HttpAnswer(override.status, body, { 'content-type': override.contentType ?? (Buffer.isBuffer(override.body) ? 'application/octet-stream' : 'text/html; charset=utf-8') });
    }
    const error = matchPrefix(faults.errors, pathAndQuery);
    if (error) {
      const used = faultUses.get(error) ?? 0;
      if (used < error.times) {
        faultUses.set(error, used + 1);
        return faultAnswer(host, error.status, error.retryAfterSeconds);
      }
    }
    return undefined;
  }

  // ---- routing -------------------------------------------------------------------------------

  function unknownFile(path: string, url: URL): HttpAnswer {
    if (path.startsWith('/data/upload/')) {
      // Label Studio 1.23.2: FileUpload lookup returns None -> AttributeError -> 500.
      return lsError(500, "'NoneType' object has no attribute 'has_permission'", { allow: 'GET, HEAD, OPTIONS' });
    }
    if (path === '/storage-data/uploaded/') return empty(url.searchParams.get('filepath') === null ? 404 : 403);
    if (path === '/data/local-files/') return new HttpAnswer(404, Buffer.from(`Error opening file ${url.searchParams.get('d') ?? ''}`), { 'content-type': 'text/html; charset=utf-8' });
    return html(404, NOT_FOUND_HTML);
  }

  async function routeSelf(req: http.IncomingMessage, url: URL): Promise<HttpAnswer | Handled> {
    const method = req.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';

    // Files first: exact path + query as the test listed them (query compared decoded).
    const file = files.get(requestKey(url.pathname + url.search));
    if (file) {
      const denied = authenticate(req.headers.authorization);
      if (denied) return denied;
      if (!read) return methodNotAllowed(method, 'GET, HEAD, OPTIONS');
      const name = url.searchParams.get('filepath') ?? url.searchParams.get('d') ?? url.pathname;
      return bytesAnswer(req, file.body, { 'content-type': file.contentType ?? mimeOf(name, file.body) });
    }

    // Django-style routing; a miss is retried with a trailing slash (CommonMiddlewareAppendSlashWithoutRedirect).
    for (const path of url.pathname.endsWith('/') ? [url.pathname] : [url.pathname, `${url.pathname}/`]) {
      const answer = await routePath(path, req, url, method);
      if (answer) return answer;
    }
    return html(404, NOT_FOUND_HTML);
  }

  async function routePath(path: string, req: http.IncomingMessage, url: URL, method: string): Promise<HttpAnswer | undefined> {
    if (path === '/api/token/refresh/') {
      if (method !== 'POST') return methodNotAllowed(method, 'POST, OPTIONS');
      return refresh(req);
    }

    let m = /^\/api\/projects\/(\d+)\/$/.exec(path);
    if (m) {
      const denied = authenticate(req.headers.authorization);
      if (denied) return denied;
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(method, 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
      if (Number(m[1]) !== options.projectId) return lsError(404, 'No Project matches the given query.');
      return json(200, projectBody(), { allow: 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS' });
    }

    m = /^\/api\/projects\/(\d+)\/export$/.exec(path);
    if (m) {
      const denied = authenticate(req.headers.authorization);
      if (denied) return denied;
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(method, 'GET, HEAD, OPTIONS');
      if (Number(m[1]) !== options.projectId) return lsError(404, 'No Project matches the given query.');
      return exportAnswer(url);
    }

    m = /^\/api\/tasks\/(\d+)\/$/.exec(path);
    if (m) {
      const denied = authenticate(req.headers.authorization);
      if (denied) return denied;
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(method, 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
      const index = options.tasks.findIndex((t) => t.id === Number(m![1]));
      if (index < 0) return lsError(404, 'No Task matches the given query.');
      const resolveUri = parseBool(url.searchParams.get('resolve_uri'), true) ?? true;
      return json(200, taskDetail(options.tasks[index], index, resolveUri), { allow: 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS' });
    }

    m = /^\/(tasks|projects)\/(\d+)\/(resolve|presign)\/$/.exec(path);
    if (m) {
      const denied = authenticate(req.headers.authorization);
      if (denied) return new HttpAnswer(denied.status, denied.body, { ...denied.headers, allow: 'GET' });
      return resolve(m[1] as 'tasks' | 'projects', Number(m[2]), url, method);
    }

    if (path.startsWith('/data/upload/') || path === '/storage-data/uploaded/' || path === '/data/local-files/') {
      const denied = authenticate(req.headers.authorization);
      if (denied) return denied;
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(method, 'GET, HEAD, OPTIONS');
      return unknownFile(path, url);
    }
    return undefined;
  }

  function exportAnswer(url: URL): HttpAnswer {
    const q = url.searchParams;
    const errors: Record<string, string[]> = {};
    const all = parseBool(q.get('download_all_tasks'), false);
    if (all === undefined) errors.download_all_tasks = ['Must be a valid boolean.'];
    for (const key of ['download_resources', 'interpolate_key_frames']) if (parseBool(q.get(key), false) === undefined) errors[key] = ['Must be a valid boolean.'];
    if (Object.keys(errors).length) return lsError(400, 'Validation error', {}, errors);
    const exportType = q.get('exportType') || q.get('export_type') || 'JSON';
    if (exportType !== 'JSON') {
      // Label Studio's converter raises on an unknown format (500 with an empty detail); the known
      // others are real formats this stand-in does not produce.
      if (!JSON_EXPORT_FORMATS.includes(exportType)) return lsError(500, '');
      return lsError(400, `The Label Studio stand-in serves only exportType=JSON (asked for ${exportType})`);
    }
    const ids = q.getAll('ids[]').map(Number);
    const tasks = exportTasks().filter((t, i) => {
      if (ids.length && !ids.includes(t.id as number)) return false;
      return all || (annotationsByTask.get(options.tasks[i].id) ?? []).length > 0;
    });
    const body = Buffer.from(JSON.stringify(tasks));
    const md5 = createHash('md5').update(JSON.stringify(body.toString('utf8'))).digest('hex');
    const stamp = new Date().toISOString().slice(0, 16).replace(/[T:]/g, '-');
    const filename = `project-${options.projectId}-at-${stamp}-${md5.slice(0, 8)}.json`;
    return new HttpAnswer(200, body, {
      // Label Studio builds it as f'application/{ext}' with ext '.json'.
      'content-type': 'application/.json',
      'content-disposition': `attachment; filename="${filename}"`,
      filename,
      allow: 'GET, HEAD, OPTIONS',
    });
  }

  function routeOther(req: http.IncomingMessage, url: URL): HttpAnswer {
    const method = req.method ?? 'GET';
    const pathAndQuery = url.pathname + url.search;
    const file = otherFiles.get(requestKey(pathAndQuery));
    if (file) {
      if (method !== 'GET' && method !== 'HEAD') return s3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', url.pathname);
      const etag = `"${createHash('md5').update(file.body).digest('hex')}"`;
      return bytesAnswer(req, file.body, { 'content-type': file.contentType ?? mimeOf(url.pathname, file.body), etag, 'accept-ranges': 'bytes' });
    }

    let key: string;
    try {
      key = decodeURIComponent(url.pathname);
    } catch {
      return s3Error(400, 'InvalidURI', "Couldn't parse the specified URI.", url.pathname);
    }
    const m = /^\/([^/]+)\/(.+)$/.exec(key);
    const uri = m ? `s3://${m[1]}/${m[2]}` : '';
    const object = s3Objects.get(uri);
    const q = url.searchParams;
    if (!object) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.', key);
    if (method !== 'GET' && method !== 'HEAD') return s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', key);
    if (q.get('X-Amz-Algorithm') === null) return s3Error(403, 'AccessDenied', 'Access Denied', key);
    if (req.headers.authorization !== undefined) {
      return s3Error(400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified', key);
    }
    const date = q.get('X-Amz-Date') ?? '';
    const expires = q.get('X-Amz-Expires') ?? '';
    const contentType = q.get('response-content-type') ?? '';
    const expected = presignSignature(url.pathname, date, expires, contentType);
    if (q.get('X-Amz-Signature') !== expected) {
      return s3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', key);
    }
    if (!(Date.now() < parseAmzDate(date) + Number(expires) * 1000)) return s3Error(403, 'AccessDenied', 'Request has expired', key);
    const etag = `"${createHash('md5').update(object.body).digest('hex')}"`;
    return bytesAnswer(req, object.body, {
      'content-type': contentType || object.contentType || mimeOf(key, object.body),
      etag,
      'accept-ranges': 'bytes',
      'last-modified': new Date(BASE_DATE).toUTCString(),
    });
  }

  // ---- servers -------------------------------------------------------------------------------

  function serve(host: 'self' | 'other'): http.Server {
    const server = http.createServer((req, res) => {
      const raw = req.url ?? '/';
      const url = new URL(raw, 'http://127.0.0.1');
      const authorization = req.headers.authorization;
      const record: LsStandInRequest = { host, method: req.method ?? 'GET', path: raw, status: 0 };
      if (authorization !== undefined) record.authorization = authorization;
      requests.push(record);
      res.on('close', () => {
        // 0 when nothing was sent (the client went away during a delay).
        record.status = res.headersSent ? res.statusCode : 0;
      });
      const pathAndQuery = url.pathname + url.search;
      (async (): Promise<HttpAnswer | Handled> => {
        const faulted = await applyFaults(host, pathAndQuery, res);
        if (faulted) return faulted;
        return host === 'self' ? routeSelf(req, url) : routeOther(req, url);
      })()
        .then((answer) => {
          if (answer === 'handled' || res.destroyed) return;
          res.writeHead(answer.status, { 'content-length': String(answer.body.length), ...answer.headers });
          res.end(req.method === 'HEAD' ? undefined : answer.body);
        })
        .catch((err: Error) => sendStandInError(res, err));
    });
    server.keepAliveTimeout = 1000;
    return server;
  }

  const selfServer = serve('self');
  const otherServer = serve('other');
  selfUrl = await listenOnLoopback(selfServer);
  otherUrl = await listenOnLoopback(otherServer);

  return {
    url: selfUrl,
    otherUrl,
    requests,
    get faults() {
      return faults;
    },
    set faults(next: LsStandInFaults) {
      faults = next ?? {};
    },
    exportTasks,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.all([closeServer(selfServer), closeServer(otherServer)]);
    },
  };
}
