/**
 * The OpenCV (opencv.js, WebAssembly) runtime as the local logo detector uses it:
 * loaded lazily, once per process, and typed down to the few classes and functions
 * we call, so the rest of the code does not depend on which @techstark/opencv-js
 * build is installed.
 *
 * Loading handles the package's export forms: a Promise of the module (newer
 * builds), a module that is already initialised, and an Emscripten module that
 * becomes ready with `onRuntimeInitialized`. The Emscripten module also has a
 * `then` that returns itself; awaiting it directly never settles, so the module
 * is always handed out wrapped in a plain object.
 *
 * The Emscripten glue registers process-wide `uncaughtException` and
 * `unhandledRejection` handlers on load (the latter aborts the WebAssembly
 * runtime on any unhandled rejection anywhere in the process); those are removed
 * again so loading OpenCV does not change how the worker process handles errors.
 */
import type { EventEmitter } from 'node:events';

/** Anything opencv.js allocates on its heap: must be freed with delete(). */
export interface CvDeletable {
  delete(): void;
  isDeleted(): boolean;
}

export interface CvMat extends CvDeletable {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
  readonly data32F: Float32Array;
  readonly data64F: Float64Array;
  empty(): boolean;
}

export interface CvKeyPoint {
  pt: { x: number; y: number };
  size: number;
  angle: number;
  response: number;
  octave: number;
}

export interface CvDMatch {
  queryIdx: number;
  trainIdx: number;
  distance: number;
}

export interface CvVector<T> extends CvDeletable {
  size(): number;
  get(i: number): T;
}

/** ORB with OpenCV's defaults apart from the feature count (scale 1.2, 8 levels, 31 px patches). */
export interface CvOrb extends CvDeletable {
  detectAndCompute(image: CvMat, mask: CvMat, keypoints: CvVector<CvKeyPoint>, descriptors: CvMat): void;
}

export interface CvBfMatcher extends CvDeletable {
  knnMatch(query: CvMat, train: CvMat, matches: CvVector<CvVector<CvDMatch>>, k: number): void;
}

export interface OpenCv {
  Mat: { new (): CvMat; new (rows: number, cols: number, type: number): CvMat };
  KeyPointVector: new () => CvVector<CvKeyPoint>;
  DMatchVectorVector: new () => CvVector<CvVector<CvDMatch>>;
  ORB: new (nfeatures: number) => CvOrb;
  BFMatcher: new (normType: number, crossCheck: boolean) => CvBfMatcher;
  findHomography(src: CvMat, dst: CvMat, method: number, ransacReprojThreshold: number, mask: CvMat): CvMat;
  copyMakeBorder(src: CvMat, dst: CvMat, top: number, bottom: number, left: number, right: number, borderType: number): void;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  CV_8UC1: number;
  CV_32FC2: number;
  NORM_HAMMING: number;
  RANSAC: number;
  BORDER_REPLICATE: number;
}

interface EmscriptenModule {
  Mat?: unknown;
  onRuntimeInitialized?: () => void;
}

const READY_TIMEOUT_MS = 60_000;
const GLUE_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

let loading: Promise<{ cv: OpenCv }> | undefined;

/**
 * The OpenCV runtime, loaded on first use; later calls share the same load.
 * Wrapped in `{ cv }` on purpose: the module itself is a self-resolving thenable,
 * so returning it from an async function or resolving a promise with it hangs.
 */
export function loadOpenCv(): Promise<{ cv: OpenCv }> {
  if (!loading) {
    loading = load();
    // A failed load (e.g. the package is missing) may be retried by a later call.
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

/**
 * Where a fresh 16 MB block lands on the WebAssembly heap right now. The
 * allocator reuses freed memory, so this address only moves up while memory
 * stays allocated: comparing it before and after many calls detects leaks of
 * objects nobody tracked (the heap's size alone does not, it starts at 128 MB).
 */
export function openCvHeapMark(cv: OpenCv): number {
  const at = cv._malloc(16 * 1024 * 1024);
  cv._free(at);
  return at;
}

async function load(): Promise<{ cv: OpenCv }> {
  const events: EventEmitter = process;
  const before = new Map(GLUE_EVENTS.map((e) => [e, new Set(events.listeners(e))]));
  let exported: unknown;
  try {
    // Not `await import(...)`: the CommonJS interop object copies the module's
    // self-returning `then`, so awaiting it would never settle.
    exported = module.require('@techstark/opencv-js');
  } finally {
    for (const e of GLUE_EVENTS) {
      for (const l of events.listeners(e)) if (!before.get(e)!.has(l)) events.removeListener(e, l as (...args: unknown[]) => void);
    }
  }
  const mod = (isPromise(exported) ? await exported : exported) as EmscriptenModule | undefined;
  if (!mod || (typeof mod !== 'object' && typeof mod !== 'function')) throw new Error('@techstark/opencv-js did not export an OpenCV module');
  if (typeof mod.Mat !== 'function') await runtimeInitialized(mod);
  if (typeof mod.Mat !== 'function') throw new Error('@techstark/opencv-js finished loading without cv.Mat; is the installed build complete?');
  return { cv: mod as unknown as OpenCv };
}

/** A real Promise (from any realm), not merely a thenable like the Emscripten module. */
function isPromise(x: unknown): x is Promise<unknown> {
  return Object.prototype.toString.call(x) === '[object Promise]';
}

function runtimeInitialized(mod: EmscriptenModule): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`OpenCV's WebAssembly runtime was not ready after ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    timer.unref?.();
    const previous = mod.onRuntimeInitialized;
    mod.onRuntimeInitialized = () => {
      clearTimeout(timer);
      previous?.();
      resolve();
    };
  });
}
