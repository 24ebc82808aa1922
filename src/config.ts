/**
 * Environment (and `.env`) -> one validated Config. Every setting visionflow reads is
 * declared in SETTINGS so `.env.example`, the README table and the docker-compose
 * check all come from one list.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseDotenv } from 'dotenv';
import type { CvatSettings } from './lib/cvat/cvat-client';
import { parseDuration } from './lib/duration';
import { TASK_QUEUES, TaskQueue } from './task-queues';

export interface Setting {
  name: string;
  description: string;
  /** Default shown to users; undefined means "unset unless you set it". */
  default?: string;
  secret?: boolean;
}

export const SETTINGS: readonly Setting[] = [
  { name: 'VISIONFLOW_HOME', default: './.visionflow', description: 'State folder: embedded Temporal SQLite file, default local storage.' },
  { name: 'VISIONFLOW_STORAGE', default: 'file://<VISIONFLOW_HOME>/data', description: 'Default storage URL for pipeline output (file:///abs/dir or s3://bucket/prefix).' },
  { name: 'TEMPORAL_ADDRESS', description: 'host:port of a Temporal server. Unset: `npm start` runs an embedded dev server.' },
  { name: 'TEMPORAL_NAMESPACE', default: 'default', description: 'Temporal namespace.' },
  { name: 'TEMPORAL_API_KEY', secret: true, description: 'API key for Temporal Cloud (enables TLS).' },
  { name: 'TEMPORAL_TLS', default: 'false', description: 'Use TLS to reach TEMPORAL_ADDRESS.' },
  { name: 'TEMPORAL_CLI_PATH', description: 'Path of the `temporal` CLI used for the embedded dev server.' },
  { name: 'TEMPORAL_DEV_PORT', default: '7233', description: 'gRPC port of the embedded dev server.' },
  { name: 'TEMPORAL_UI_PORT', default: '8233', description: 'Web UI port of the embedded dev server.' },
  { name: 'VISIONFLOW_BLUR_MODELS', default: '<VISIONFLOW_STORAGE>/models/blur', description: 'Storage URL of the blur model registry (versions, default model).' },
  { name: 'VISIONFLOW_WEB_PORT', default: '3000', description: 'Port of the web page `npm start` serves (blur models: train, list, predict); 0 picks a free port.' },
  { name: 'VISIONFLOW_WORKER_QUEUES', default: TASK_QUEUES.join(','), description: 'Task queues this worker process polls.' },
  { name: 'VISIONFLOW_IO_CONCURRENCY', default: '50', description: 'Max concurrent activities on the visionflow (I/O) queue per worker.' },
  { name: 'VISIONFLOW_CPU_CONCURRENCY', default: '<number of cores>', description: 'Max concurrent activities on the visionflow-cpu queue per worker.' },
  { name: 'VISIONFLOW_WORKFLOW_BUNDLE', description: 'Path of a prebuilt workflow bundle (skips bundling at worker start).' },
  { name: 'VISIONFLOW_LOG_LEVEL', default: 'INFO', description: 'Worker log level: TRACE, DEBUG, INFO, WARN or ERROR.' },
  { name: 'S3_ENDPOINT', description: 'S3-compatible endpoint URL (MinIO: http://host:9000). Unset: AWS S3.' },
  { name: 'S3_FORCE_PATH_STYLE', default: 'false', description: 'Path-style bucket addressing (true for MinIO).' },
  { name: 'AWS_REGION', default: 'us-east-1', description: 'AWS region for S3.' },
  { name: 'AWS_ACCESS_KEY_ID', secret: true, description: 'S3 access key (or any source of the AWS default credential chain).' },
  { name: 'AWS_SECRET_ACCESS_KEY', secret: true, description: 'S3 secret key.' },
  { name: 'AWS_SESSION_TOKEN', secret: true, description: 'Optional session token for temporary credentials.' },
  { name: 'AWS_PROFILE', description: 'Named profile from ~/.aws (alternative to keys).' },
  { name: 'CVAT_HOST', description: 'CVAT server URL, e.g. https://app.cvat.ai (CVAT pipelines).' },
  { name: 'CVAT_ACCESS_TOKEN', secret: true, description: 'CVAT personal access token (sent as Authorization: Bearer).' },
  { name: 'CVAT_USERNAME', description: 'CVAT user for a login token (POST /api/auth/login) or basic auth.' },
  { name: 'CVAT_PASSWORD', secret: true, description: 'Password of CVAT_USERNAME.' },
  { name: 'CVAT_ORG', description: 'CVAT organization slug, sent as X-Organization.' },
  { name: 'FFMPEG_PATH', default: 'ffmpeg', description: 'ffmpeg binary for video pipelines.' },
  { name: 'FFPROBE_PATH', default: 'ffprobe', description: 'ffprobe binary for video pipelines.' },
  { name: 'REKOGNITION_ENDPOINT', description: 'Rekognition endpoint override (tests, VPC endpoints). Unset: AWS in AWS_REGION.' },
  { name: 'REKOGNITION_POLL_INTERVAL', default: '10s', description: 'How often to poll a model while it starts, stops or trains.' },
  { name: 'LABEL_STUDIO_URL', description: 'Label Studio base URL, e.g. http://localhost:8080 (Label Studio pipelines).' },
  { name: 'LABEL_STUDIO_TOKEN', secret: true, description: 'Label Studio token: legacy API token or personal access token (detected).' },
];

export const SETTING_NAMES = new Set(SETTINGS.map((s) => s.name));

export interface S3Settings {
  endpoint?: string;
  forcePathStyle: boolean;
  region: string;
}

export interface Config {
  home: string;
  storage: string;
  temporal: {
    /** Undefined: use the embedded dev server. */
    address?: string;
    namespace: string;
    apiKey?: string;
    tls: boolean;
    cliPath?: string;
    devPort: number;
    uiPort: number;
  };
  worker: {
    queues: TaskQueue[];
    ioConcurrency: number;
    cpuConcurrency: number;
    workflowBundle?: string;
    logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  };
  s3: S3Settings;
  /** Undefined when CVAT_HOST is unset. */
  cvat?: CvatSettings;
  labelStudio: { url?: string; token?: string };
  rekognition: { endpoint?: string; region: string; pollMs: number };
  /** Storage URL of the blur model registry. */
  blurModels: string;
  web: { port: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** `.env` file to read; values already in the environment win. Default: ./.env */
  dotenvPath?: string;
  cwd?: string;
}

/** Reads `.env` (if present) under the given environment and validates everything. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const dotenvPath = options.dotenvPath ?? path.join(cwd, '.env');
  const fromFile = fs.existsSync(dotenvPath) ? parseDotenv(fs.readFileSync(dotenvPath)) : {};
  const merged: NodeJS.ProcessEnv = { ...fromFile, ...env };
  return parseConfig(merged, cwd);
}

export function parseConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}: expected an integer from ${min} to ${max}, got '${raw}'`);
      return fallback;
    }
    return n;
  };
  const duration = (name: string, fallback: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    try {
      const ms = parseDuration(raw, name);
      if (ms >= 10) return ms;
    } catch {
      // reported below
    }
    problems.push(`${name}: expected a duration such as 500ms, 10s or 1m, got '${raw}'`);
    return fallback;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    problems.push(`${name}: expected true or false, got '${raw}'`);
    return fallback;
  };

  const home = path.resolve(cwd, get('VISIONFLOW_HOME') ?? '.visionflow');

  let storage = get('VISIONFLOW_STORAGE') ?? fileUrlOf(path.join(home, 'data'));
  try {
    storage = normalizeStorageUrl(storage, cwd);
  } catch (err) {
    problems.push(`VISIONFLOW_STORAGE: ${(err as Error).message}`);
  }

  let blurModels = `${storage}/models/blur`;
  const blurModelsRaw = get('VISIONFLOW_BLUR_MODELS');
  if (blurModelsRaw !== undefined) {
    try {
      blurModels = normalizeStorageUrl(blurModelsRaw, cwd);
    } catch (err) {
      problems.push(`VISIONFLOW_BLUR_MODELS: ${(err as Error).message}`);
    }
  }

  const address = get('TEMPORAL_ADDRESS');
  if (address !== undefined) {
    const m = /^[A-Za-z0-9.\-_[\]:]+:(\d{1,5})$/.exec(address);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) problems.push(`TEMPORAL_ADDRESS: expected host:port with a port from 1 to 65535, got '${address}'`);
  }
  const namespace = get('TEMPORAL_NAMESPACE') ?? 'default';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(namespace)) {
    problems.push(`TEMPORAL_NAMESPACE: not a valid namespace name: '${namespace}'`);
  }

  const queuesRaw = get('VISIONFLOW_WORKER_QUEUES') ?? TASK_QUEUES.join(',');
  const queues = queuesRaw.split(',').map((q) => q.trim()).filter(Boolean);
  const unknown = queues.filter((q) => !(TASK_QUEUES as readonly string[]).includes(q));
  if (unknown.length > 0 || queues.length === 0) {
    problems.push(`VISIONFLOW_WORKER_QUEUES: expected a comma-separated subset of ${TASK_QUEUES.join(', ')}, got '${queuesRaw}'`);
  }

  const logLevel = (get('VISIONFLOW_LOG_LEVEL') ?? 'INFO').toUpperCase();
  if (!['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'].includes(logLevel)) {
    problems.push(`VISIONFLOW_LOG_LEVEL: expected TRACE, DEBUG, INFO, WARN or ERROR, got '${logLevel}'`);
  }

  const endpoint = get('S3_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
    problems.push(`S3_ENDPOINT: expected an http(s) URL such as http://127.0.0.1:9000, got '${endpoint}'`);
  }

  const bundle = get('VISIONFLOW_WORKFLOW_BUNDLE');
  if (bundle !== undefined && !fs.existsSync(bundle)) {
    problems.push(`VISIONFLOW_WORKFLOW_BUNDLE: no file at '${bundle}'`);
  }

  const cvatHost = get('CVAT_HOST');
  if (cvatHost !== undefined && !/^https?:\/\/[^/]+/.test(cvatHost)) {
    problems.push(`CVAT_HOST: expected an http(s) URL such as https://app.cvat.ai, got '${cvatHost}'`);
  }
  if (cvatHost !== undefined && !get('CVAT_ACCESS_TOKEN') && !(get('CVAT_USERNAME') && get('CVAT_PASSWORD'))) {
    problems.push('CVAT_HOST is set but there are no credentials: set CVAT_ACCESS_TOKEN, or CVAT_USERNAME and CVAT_PASSWORD');
  }
  if ((get('CVAT_USERNAME') === undefined) !== (get('CVAT_PASSWORD') === undefined)) {
    problems.push('CVAT_USERNAME and CVAT_PASSWORD: set both or neither');
  }

  const rekognitionEndpoint = get('REKOGNITION_ENDPOINT');
  if (rekognitionEndpoint !== undefined && !/^https?:\/\/[^/]+/.test(rekognitionEndpoint)) {
    problems.push(`REKOGNITION_ENDPOINT: expected an http(s) URL, got '${rekognitionEndpoint}'`);
  }
  const lsUrl = get('LABEL_STUDIO_URL');
  if (lsUrl !== undefined && !/^https?:\/\/[^/]+/.test(lsUrl)) {
    problems.push(`LABEL_STUDIO_URL: expected an http(s) URL such as http://localhost:8080, got '${lsUrl}'`);
  }

  const config: Config = {
    home,
    storage,
    temporal: {
      address,
      namespace,
      apiKey: get('TEMPORAL_API_KEY'),
      tls: bool('TEMPORAL_TLS', false),
      cliPath: get('TEMPORAL_CLI_PATH'),
      devPort: int('TEMPORAL_DEV_PORT', 7233, 1, 65535),
      uiPort: int('TEMPORAL_UI_PORT', 8233, 1, 65535),
    },
    worker: {
      queues: queues.filter((q): q is TaskQueue => (TASK_QUEUES as readonly string[]).includes(q)),
      ioConcurrency: int('VISIONFLOW_IO_CONCURRENCY', 50, 1, 10000),
      cpuConcurrency: int('VISIONFLOW_CPU_CONCURRENCY', Math.max(1, os.availableParallelism()), 1, 1024),
      workflowBundle: bundle,
      logLevel: logLevel as Config['worker']['logLevel'],
    },
    s3: {
      endpoint,
      forcePathStyle: bool('S3_FORCE_PATH_STYLE', false),
      region: get('AWS_REGION') ?? get('AWS_DEFAULT_REGION') ?? 'us-east-1',
    },
    cvat: cvatHost
      ? {
          host: cvatHost,
          accessToken: get('CVAT_ACCESS_TOKEN'),
          username: get('CVAT_USERNAME'),
          password: get('CVAT_PASSWORD'),
          org: get('CVAT_ORG'),
        }
      : undefined,
    labelStudio: { url: lsUrl, token: get('LABEL_STUDIO_TOKEN') },
    rekognition: { endpoint: get('REKOGNITION_ENDPOINT'), region: get('AWS_REGION') ?? get('AWS_DEFAULT_REGION') ?? 'us-east-1', pollMs: duration('REKOGNITION_POLL_INTERVAL', 10_000) },
    blurModels,
    web: { port: int('VISIONFLOW_WEB_PORT', 3000, 0, 65535) },
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** The Temporal address clients and workers use: the configured one or the embedded dev server. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.devPort}`;
}

/**
 * Accepts `file:///abs`, `s3://bucket/prefix` or a plain path (made absolute against
 * `cwd`) and returns a canonical storage URL without a trailing slash.
 */
export function normalizeStorageUrl(input: string, cwd = process.cwd()): string {
  const value = input.trim();
  if (value.startsWith('s3://')) {
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(\/.*)?$/.exec(value);
    if (!m) throw new Error(`'${input}' is not a valid s3://bucket/prefix URL (bucket names are 3-63 lowercase letters, digits, dots or dashes)`);
    const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
    if (prefix.split('/').some((seg) => seg === '..' || seg === '.')) {
      throw new Error(`'${input}' has '.' or '..' in its prefix`);
    }
    return prefix ? `s3://${m[1]}/${prefix}` : `s3://${m[1]}`;
  }
  if (value.startsWith('file://')) {
    if (!value.startsWith('file:///')) throw new Error(`'${input}' must be an absolute file:///path URL`);
    let p: string;
    try {
      p = fileURLToPath(value);
    } catch (err) {
      throw new Error(`'${input}' is not a valid file:// URL: ${(err as Error).message}`);
    }
    return fileUrlOf(p);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new Error(`'${input}' has an unsupported scheme; use file:///abs/dir or s3://bucket/prefix`);
  }
  if (value === '') throw new Error('storage location is empty');
  return fileUrlOf(path.resolve(cwd, value));
}

/** Canonical file URL of an absolute path: percent-encoded ('#', '%', spaces), no trailing slash. */
export function fileUrlOf(absolutePath: string): string {
  const trimmed = absolutePath.length > 1 ? absolutePath.replace(/\/+$/, '') : absolutePath;
  return pathToFileURL(trimmed).href;
}
