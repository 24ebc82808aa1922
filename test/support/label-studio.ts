/**
 * A real Label Studio (the PyPI package, run from a virtualenv) on a free loopback port,
 * with a fresh data folder, one admin user, its legacy API token and a personal access
 * token (JWT refresh token), plus thin admin helpers that tests use to create projects,
 * upload images, annotate and export.
 *
 * The first start on a machine runs ~400 Django migrations (about 35 s). The migrated
 * database, without any user in it, is kept as a template under
 * ~/.cache/visionflow/label-studio-template/<version>-<interpreter hash>/ and copied into
 * every later run's fresh data folder, so later starts take a few seconds. Label Studio
 * checks for pending migrations at start and applies them, and a start from a template
 * that fails is retried once from an empty folder (and the template is dropped).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './free-port';

export interface LabelStudioServer {
  url: string;
  /** `Authorization: Token <legacyToken>` */
  legacyToken: string;
  /** A personal access token: a JWT refresh token; POST /api/token/refresh/ {refresh} gives a 5-minute access token for `Authorization: Bearer`. */
  personalToken: string;
  username: string;
  password: string;
  /** Where the data folder and label-studio.log live while the server runs. */
  dir: string;
  stop(): Promise<void>;
}

export interface StartLabelStudioOptions {
  /** Copy a cached migrated database into the data folder (default true). */
  useTemplate?: boolean;
  /** Progress lines (template build, fallbacks, start time). */
  log?: (line: string) => void;
}

export const LABEL_STUDIO_VENV = path.join(os.homedir(), '.cache', 'visionflow', 'label-studio-venv');
const TEMPLATE_ROOT = path.join(os.homedir(), '.cache', 'visionflow', 'label-studio-template');
const START_TIMEOUT_MS = 300_000;
const STOP_GRACE_MS = 10_000;

/** Boxes labelled car or bus on the task's `image`. */
export const DEFAULT_LABEL_CONFIG =
  '<View><Image name="image" value="$image"/><RectangleLabels name="label" toName="image"><Label value="car"/><Label value="bus"/></RectangleLabels></View>';

/** $LABEL_STUDIO_BIN, then `label-studio` on PATH, then the CI virtualenv. */
export function findLabelStudio(): string | { missing: string } {
  const explicit = process.env.LABEL_STUDIO_BIN;
  if (explicit) return fs.existsSync(explicit) ? explicit : { missing: `LABEL_STUDIO_BIN=${explicit} does not exist` };
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'label-studio');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  const venvBinary = path.join(LABEL_STUDIO_VENV, 'bin', 'label-studio');
  if (fs.existsSync(venvBinary)) return venvBinary;
  return {
    missing: `no label-studio binary (LABEL_STUDIO_BIN, PATH, ${venvBinary}); install with \`python3 -m venv ${LABEL_STUDIO_VENV} && ${LABEL_STUDIO_VENV}/bin/pip install label-studio\``,
  };
}

export async function startLabelStudio(options: StartLabelStudioOptions = {}): Promise<LabelStudioServer | { missing: string }> {
  const binary = findLabelStudio();
  if (typeof binary !== 'string') return binary;
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const template = options.useTemplate === false ? undefined : await migratedTemplate(binary, log);
  if (template) {
    try {
      const server = await launch(binary, template);
      log(`label-studio ready at ${server.url} in ${((Date.now() - started) / 1000).toFixed(1)} s (from template ${template})`);
      return server;
    } catch (err) {
      log(`label-studio did not start from template ${template}; dropping it and starting from an empty data folder: ${(err as Error).message}`);
      fs.rmSync(template, { recursive: true, force: true });
    }
  }
  const server = await launch(binary, undefined);
  log(`label-studio ready at ${server.url} in ${((Date.now() - started) / 1000).toFixed(1)} s (fresh data folder)`);
  return server;
}

/** Environment for label-studio: nothing inherited that points it at another database, host or user. */
function labelStudioEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(LABEL_STUDIO_|HEARTEX_)/.test(key) || ['HOST', 'PORT', 'DJANGO_DB', 'DATABASE_NAME', 'SENTRY_DSN'].includes(key)) continue;
    env[key] = value;
  }
  return {
    ...env,
    PYTHONUNBUFFERED: '1',
    LABEL_STUDIO_BASE_DATA_DIR: dataDir,
    LABEL_STUDIO_DJANGO_DB: 'sqlite',
    LABEL_STUDIO_DATABASE_NAME: path.join(dataDir, 'label_studio.sqlite3'),
    // No calls home from tests: PyPI version check, usage analytics, Sentry.
    LABEL_STUDIO_LATEST_VERSION_CHECK: 'false',
    LABEL_STUDIO_COLLECT_ANALYTICS: 'false',
    LABEL_STUDIO_SENTRY_DSN: '',
    LABEL_STUDIO_FRONTEND_SENTRY_DSN: '',
    ...extra,
  };
}

async function launch(binary: string, template: string | undefined): Promise<LabelStudioServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-label-studio-'));
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);
  if (template) for (const file of databaseFiles(template)) fs.copyFileSync(path.join(template, file), path.join(dataDir, file));
  const username = 'admin@example.com';
  const password = `vf-${randomHex(12)}`;
  const legacyToken = randomHex(20); // 40 characters: the most Label Studio's token column holds
  const port = await freePort();
  const logPath = path.join(dir, 'label-studio.log');
  const logFd = fs.openSync(logPath, 'a');
  const env = labelStudioEnv(dataDir, {
    LABEL_STUDIO_USERNAME: username,
    LABEL_STUDIO_PASSWORD: password,
    LABEL_STUDIO_USER_TOKEN: legacyToken,
    LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN: 'true',
    LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK: 'true',
  });
  // Its own process group, so stop() ends label-studio and anything it spawned.
  const child = spawn(binary, ['start', '--no-browser', '--port', String(port), '--host', '127.0.0.1', '--internal-host', '127.0.0.1'], {
    env,
    stdio: ['ignore', logFd, logFd],
    detached: true,
  });
  fs.closeSync(logFd);
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.on('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    await stopGroup(child);
  };
  try {
    const url = await waitUntilHealthy(child, logPath, port);
    const projects = await fetch(`${url}/api/projects`, { headers: { Authorization: `Token ${legacyToken}` } });
    if (projects.status !== 200) throw new Error(`the legacy token is refused: GET /api/projects -> ${projects.status} ${await projects.text()}`);
    const personalToken = await createPersonalToken(url, legacyToken);
    return {
      url,
      legacyToken,
      personalToken,
      username,
      password,
      dir,
      stop: async () => {
        await stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stop();
    const message = `label-studio (${binary}) did not start: ${(err as Error).message}\n--- ${logPath} (tail) ---\n${tail(logPath)}`;
    if (template) fs.rmSync(dir, { recursive: true, force: true }); // a fresh start follows; the tail is in the message
    throw new Error(message);
  }
}

/** Label Studio moves to the next port when its port is taken, so the address comes from its log. */
async function waitUntilHealthy(child: ChildProcess, logPath: string, port: number): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`it exited with ${child.exitCode ?? child.signalCode}`);
    const announced = /Starting development server at (http:\/\/[^\s/]+)/.exec(readLog(logPath));
    const url = announced?.[1] ?? `http://127.0.0.1:${port}`;
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return url;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`GET ${url}/health was not 200 within ${START_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Turns personal access tokens on for the organisation and creates one (its value is only shown at creation). */
async function createPersonalToken(url: string, legacyToken: string): Promise<string> {
  const headers = { Authorization: `Token ${legacyToken}`, 'Content-Type': 'application/json' };
  const settings = await fetch(`${url}/api/jwt/settings`, { method: 'POST', headers, body: JSON.stringify({ api_tokens_enabled: true, legacy_api_tokens_enabled: true }) });
  if (!settings.ok) throw new Error(`POST /api/jwt/settings -> ${settings.status} ${await settings.text()}`);
  const created = await fetch(`${url}/api/token/`, { method: 'POST', headers });
  const body = await created.text();
  if (created.status !== 201) throw new Error(`POST /api/token/ -> ${created.status} ${body}`);
  const token = (JSON.parse(body) as { token?: string }).token;
  if (!token) throw new Error(`POST /api/token/ gave no token: ${body}`);
  return token;
}

/**
 * A data folder whose database has every migration applied and no user, built once per
 * Label Studio version and Python interpreter with `label-studio version` (which migrates
 * and exits). Undefined when the version cannot be read or the build fails: start fresh.
 */
async function migratedTemplate(binary: string, log: (line: string) => void): Promise<string | undefined> {
  const key = templateKey(binary);
  if (!key) return undefined;
  const template = path.join(TEMPLATE_ROOT, key);
  if (databaseFiles(template).includes('label_studio.sqlite3')) return template;
  fs.mkdirSync(TEMPLATE_ROOT, { recursive: true });
  removeAbandonedBuilds();
  const staging = fs.mkdtempSync(path.join(TEMPLATE_ROOT, `.building-${key}-`));
  log(`building the label-studio database template ${template} (runs the migrations once, ~35 s)`);
  const logPath = path.join(staging, 'build.log');
  const logFd = fs.openSync(logPath, 'a');
  const child = spawn(binary, ['version'], { env: labelStudioEnv(staging), stdio: ['ignore', logFd, logFd], detached: true });
  fs.closeSync(logFd);
  const killOnExit = () => killGroup(child, 'SIGKILL');
  process.on('exit', killOnExit);
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), START_TIMEOUT_MS);
  const code = await new Promise<number | string | null>((resolve) => {
    child.once('exit', (c, signal) => resolve(c ?? signal));
    child.once('error', (e) => resolve(e.message));
  });
  clearTimeout(timer);
  process.off('exit', killOnExit);
  if (code !== 0 || !fs.existsSync(path.join(staging, 'label_studio.sqlite3'))) {
    log(`could not build the label-studio template (exit ${code}); starting from an empty data folder\n${tail(logPath)}`);
    fs.rmSync(staging, { recursive: true, force: true });
    return undefined;
  }
  // Keep only the database: the data folder's .env holds a SECRET_KEY each run should make anew.
  for (const entry of fs.readdirSync(staging)) if (!databaseFiles(staging).includes(entry)) fs.rmSync(path.join(staging, entry), { recursive: true, force: true });
  try {
    fs.renameSync(staging, template);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // another run finished first
  }
  return databaseFiles(template).includes('label_studio.sqlite3') ? template : undefined;
}

/** "<label-studio version>-<hash of the interpreter path>", read through the script's #! line. */
function templateKey(binary: string): string | undefined {
  try {
    const firstLine = fs.readFileSync(binary, 'utf8').split('\n', 1)[0];
    const interpreter = /^#!(\S+)$/.exec(firstLine.trim())?.[1];
    if (!interpreter || !fs.existsSync(interpreter)) return undefined;
    const version = execFileSync(interpreter, ['-c', 'import importlib.metadata as m; print(m.version("label-studio"))'], { encoding: 'utf8', timeout: 30_000 }).trim();
    if (!/^[\w.+-]+$/.test(version)) return undefined;
    return `${version}-${createHash('sha256').update(path.resolve(interpreter)).digest('hex').slice(0, 8)}`;
  } catch {
    return undefined;
  }
}

function removeAbandonedBuilds(): void {
  for (const entry of fs.readdirSync(TEMPLATE_ROOT)) {
    const full = path.join(TEMPLATE_ROOT, entry);
    if (entry.startsWith('.building-') && Date.now() - fs.statSync(full).mtimeMs > 3_600_000) fs.rmSync(full, { recursive: true, force: true });
  }
}

function databaseFiles(dir: string): string[] {
  try {
    return fs.readdirSync(dir).filter((f) => /^label_studio\.sqlite3(-wal|-shm|-journal)?$/.test(f));
  } catch {
    return [];
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone
  }
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined) return;
  const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));
  killGroup(child, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const stubborn = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), STOP_GRACE_MS)))]);
  clearTimeout(timer);
  // SIGKILL the group whether or not the leader took SIGTERM: nothing it spawned may outlive it.
  killGroup(child, 'SIGKILL');
  if (stubborn) await exited;
}

function readLog(logPath: string): string {
  try {
    return fs.readFileSync(logPath, 'utf8');
  } catch {
    return '';
  }
}

function tail(logPath: string, lines = 40): string {
  return readLog(logPath).trimEnd().split('\n').slice(-lines).join('\n');
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export interface LabelStudioTask {
  id: number;
  data: Record<string, unknown>;
  [field: string]: unknown;
}

/** Thin admin helpers for tests (legacy token auth). Every non-2xx answer throws with the method, path, status and body. */
export class LabelStudioAdmin {
  constructor(
    readonly url: string,
    private readonly legacyToken: string,
  ) {}

  async createProject(title: string, labelConfig: string = DEFAULT_LABEL_CONFIG): Promise<{ id: number }> {
    const project = await this.json<{ id: number }>('POST', '/api/projects', { title, label_config: labelConfig });
    return { id: project.id };
  }

  /**
   * Uploads the files in one request (one multipart field per file: Label Studio keeps only
   * the last file of a repeated field) and returns their tasks in the given order. Tasks are
   * matched through the upload ids, not the stored names, which Label Studio rewrites
   * ("a b (1).jpg" becomes "<8 hex>-a_b_1.jpg").
   */
  async importImages(projectId: number, files: { name: string; body: Buffer }[]): Promise<{ id: number; image: string; name: string }[]> {
    if (files.length === 0) return [];
    const form = new FormData();
    files.forEach((file, i) => form.append(`file${i}`, new Blob([new Uint8Array(file.body)]), file.name));
    const imported = await this.json<{ task_count?: number; file_upload_ids?: number[] }>('POST', `/api/projects/${projectId}/import`, form);
    const uploadIds = imported.file_upload_ids ?? [];
    if (uploadIds.length !== files.length || imported.task_count !== files.length) {
      throw new Error(`import into project ${projectId}: sent ${files.length} files, got ${imported.task_count} tasks and uploads ${JSON.stringify(uploadIds)}`);
    }
    const uploads = await this.json<{ id: number; file: string; size?: number }[]>('GET', `/api/projects/${projectId}/file-uploads?ids=${encodeURIComponent(JSON.stringify(uploadIds))}`);
    const tasks = await this.listTasks(projectId);
    return files.map((file, i) => {
      const upload = uploads.find((u) => u.id === uploadIds[i]);
      if (!upload) throw new Error(`upload ${uploadIds[i]} (${file.name}) is not listed in project ${projectId}`);
      if (upload.size !== undefined && upload.size !== file.body.length) throw new Error(`upload ${upload.id} is ${upload.size} bytes, ${file.name} is ${file.body.length}`);
      const task = tasks.find((t) => typeof t.data.image === 'string' && new URL(t.data.image, this.url).pathname === `/data/${upload.file}`);
      if (!task) throw new Error(`no task in project ${projectId} shows upload ${upload.file} (${file.name})`);
      return { id: task.id, image: task.data.image as string, name: file.name };
    });
  }

  /** Every task of the project, page by page. */
  async listTasks(projectId: number): Promise<LabelStudioTask[]> {
    const tasks: LabelStudioTask[] = [];
    for (let page = 1; ; page++) {
      const res = await this.json<{ total: number; tasks: LabelStudioTask[] }>('GET', `/api/tasks?project=${projectId}&page=${page}&page_size=100`);
      tasks.push(...res.tasks);
      if (res.tasks.length === 0 || tasks.length >= res.total) return tasks;
    }
  }

  async annotate(taskId: number, result: unknown[]): Promise<{ id: number }> {
    const annotation = await this.json<{ id: number }>('POST', `/api/tasks/${taskId}/annotations`, { result });
    return { id: annotation.id };
  }

  async exportJson(projectId: number, allTasks = true): Promise<unknown[]> {
    return this.json<unknown[]>('GET', `/api/projects/${projectId}/export?exportType=JSON&download_all_tasks=${allTasks}`);
  }

  private async json<T>(method: string, urlPath: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Token ${this.legacyToken}` };
    let payload: RequestInit['body'];
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const res = await fetch(`${this.url}${urlPath}`, { method, headers, body: payload, signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`Label Studio ${method} ${urlPath} -> ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }
}
