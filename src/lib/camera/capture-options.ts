/**
 * Options of a camera capture, their defaults and validation. Pure (no Node
 * built-ins) so the workflow, the client and the CLI all apply the same rules.
 */
import { HASH_KINDS, HashKind, isHashKind } from '../hash/hash-kind';

export interface CaptureOptions {
  /** Folder name and workflow id suffix: letters, digits, '.', '_' and '-'. */
  cameraId: string;
  url: string;
  /** Storage URL; images go under <destination>/<cameraId>/. Empty: the worker's VISIONFLOW_STORAGE. */
  destination: string;
  everyMs: number;
  hash: HashKind;
  /** Keep an image only when its distance to every recent kept hash is above this. */
  maxDistance: number;
  /** How many recent kept hashes a new image is compared with. */
  window: number;
  /** Stop after this many kept images (0: never). */
  maxImages: number;
  fetchTimeoutMs: number;
  maxBytes: number;
  retries: number;
  minWidth: number;
  minHeight: number;
  minBytes: number;
  /** Reject near-black frames whose mean luma (0-255) is below this; 0 keeps them. */
  rejectDarkBelow: number;
  /** Reject images the blur model scores at or above this blur percentage (1-100); 0 keeps them. */
  rejectBlurry: number;
  /** Blur model version for rejectBlurry; empty: the registry's default model at each tick. */
  blurModel: string;
}

export type CaptureInput = Pick<CaptureOptions, 'cameraId' | 'url'> & Partial<CaptureOptions>;

/** Defaults chosen from bench/dedupe measurements (see bench/README.md). */
export const CAPTURE_DEFAULTS: Omit<CaptureOptions, 'cameraId' | 'url' | 'destination'> = {
  everyMs: 60_000,
  hash: 'phash',
  maxDistance: 2,
  window: 1,
  maxImages: 0,
  fetchTimeoutMs: 20_000,
  maxBytes: 20 * 1024 * 1024,
  retries: 2,
  minWidth: 64,
  minHeight: 48,
  minBytes: 512,
  rejectDarkBelow: 0,
  rejectBlurry: 0,
  blurModel: '',
};

/** Threshold `--reject-blurry` uses when given without a value: the blur model's own default. */
export const DEFAULT_REJECT_BLURRY = 50;

export const MIN_INTERVAL_MS = 1000;
export const CAMERA_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function normalizeCaptureOptions(input: CaptureInput): CaptureOptions {
  const o: CaptureOptions = { destination: '', ...CAPTURE_DEFAULTS, ...stripUndefined(input) } as CaptureOptions;
  const problems: string[] = [];
  if (typeof o.cameraId !== 'string' || !CAMERA_ID_PATTERN.test(o.cameraId)) {
    problems.push(`cameraId '${String(o.cameraId)}' must be 1-128 letters, digits, '.', '_' or '-' and start with a letter or digit`);
  }
  if (typeof o.url !== 'string' || !/^https?:\/\/[^\s/]+/i.test(o.url)) {
    problems.push(`url '${String(o.url)}' must be an http:// or https:// URL`);
  }
  if (typeof o.destination !== 'string' || (o.destination !== '' && !/^(file:\/\/\/|s3:\/\/)/.test(o.destination))) {
    problems.push(`destination '${String(o.destination)}' must be a file:///abs/dir or s3://bucket/prefix URL`);
  }
  if (!isHashKind(o.hash)) problems.push(`hash '${String(o.hash)}' must be one of ${HASH_KINDS.join(', ')}`);
  const int = (name: keyof CaptureOptions, min: number, max: number) => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
    }
  };
  int('everyMs', MIN_INTERVAL_MS, 365 * 86_400_000);
  int('maxDistance', 0, 64);
  int('window', 1, 1000);
  int('maxImages', 0, Number.MAX_SAFE_INTEGER);
  int('fetchTimeoutMs', 100, 600_000);
  int('maxBytes', 1024, 1024 * 1024 * 1024);
  int('retries', 0, 10);
  int('minWidth', 1, 100_000);
  int('minHeight', 1, 100_000);
  int('minBytes', 0, 1024 * 1024 * 1024);
  int('rejectDarkBelow', 0, 255);
  if (typeof o.rejectBlurry !== 'number' || !(o.rejectBlurry >= 0 && o.rejectBlurry <= 100)) problems.push(`rejectBlurry must be a blur percentage from 0 (off) to 100, got ${String(o.rejectBlurry)}`);
  if (typeof o.blurModel !== 'string' || (o.blurModel !== '' && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(o.blurModel))) problems.push(`blurModel '${String(o.blurModel)}' is not a model version name`);
  if (problems.length > 0) throw new Error(`invalid capture options: ${problems.join('; ')}`);
  return o;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
