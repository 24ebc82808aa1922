/**
 * The `local` detector: no cloud. Given reference logo images per label, it finds
 * each logo in a frame by feature matching with geometric verification (ORB
 * features, brute-force Hamming matching with Lowe's ratio test, a RANSAC
 * homography, then a plausibility check of where the reference's corners land)
 * and answers in Rekognition's DetectCustomLabels shape.
 *
 * Confidence (0-100) comes from the RANSAC inliers: with n inliers out of m
 * ratio-test matches,
 *
 *     Confidence = 100 * n / (n + 10) * min(1, 0.5 + n / m)
 *
 * The first factor grows with the evidence (10 inliers = 50, 30 = 75, 90 = 90);
 * the second discounts a homography that explains less than half of the matches.
 * A match is only reported at all when it passes the geometric checks (at least
 * `minInliers` inliers, at least `minInlierRatio` of the matches), so with the
 * defaults the lowest possible confidence is 35 (10 inliers of 50 matches); true
 * logos of 100 px and more typically score 65-95.
 *
 * One detection per label per frame: the best-scoring reference of that label.
 * Several instances of the same logo in one frame are out of scope (the homography
 * locks onto one of them). Frames must come as bytes; this detector does not read S3.
 *
 * opencv.js objects live on the WebAssembly heap and are freed explicitly: per
 * frame in a MatScope, the references' descriptors when close() is called.
 */
import type { BoundingBox, Detection, Detector, FrameImage } from './detection';
import { decodeGrey, GreyImage } from './local-grey-image';
import { boundingBoxOf, DEFAULT_QUAD_LIMITS, projectCorners, quadProblem, QuadLimits } from './local-quad';
import { MatScope } from './orb-mat-scope';
import { CvBfMatcher, CvKeyPoint, CvMat, CvOrb, CvVector, loadOpenCv, OpenCv } from './orb-opencv-runtime';

export interface LogoReference {
  /** The label reported for this logo (several references may share a label). */
  label: string;
  /** The encoded reference image (JPEG, PNG, WebP), ideally cropped tight to the logo. */
  image: Buffer;
}

export interface LocalLogoDetectorOptions {
  /** Frames larger than this (longest side, px) are shrunk before matching. Default 1280. */
  maxFrameSide?: number;
  /** References larger than this (longest side, px) are shrunk once at creation. Default 640. */
  maxReferenceSide?: number;
  /** ORB features kept per frame. Default 2000. */
  frameFeatures?: number;
  /** ORB features kept per reference image. Default 1000. */
  referenceFeatures?: number;
  /** Lowe's ratio test: best match distance must be below this times the second best. Default 0.75. */
  ratio?: number;
  /** RANSAC reprojection threshold in (working) frame pixels. Default 5. */
  ransacThresholdPx?: number;
  /** Fewest RANSAC inliers for a detection. Default 10 (at least 8). */
  minInliers?: number;
  /** Smallest share of ratio-test matches that must be inliers. Default 0.2. */
  minInlierRatio?: number;
  /** How a logo may appear compared with its reference (scale, skew, size). */
  quadLimits?: Partial<QuadLimits>;
}

type Settings = Required<Omit<LocalLogoDetectorOptions, 'quadLimits'>> & { quadLimits: QuadLimits };

const DEFAULTS: Omit<Settings, 'quadLimits'> = {
  maxFrameSide: 1280,
  maxReferenceSide: 640,
  frameFeatures: 2000,
  referenceFeatures: 1000,
  ratio: 0.75,
  ransacThresholdPx: 5,
  minInliers: 10,
  minInlierRatio: 0.2,
};

/** RANSAC needs at least 4 correspondences; fewer than 8 is never a reliable logo. */
const MIN_MATCHES = 8;
/** Inlier count at which the evidence factor of the confidence reaches one half. */
const CONFIDENCE_HALF_AT = 10;
/** ORB ignores this many pixels at an image's border; references are padded by it. */
const ORB_EDGE_PX = 31;

/** One reference image's features, computed once. */
interface PreparedReference {
  label: string;
  width: number;
  height: number;
  /** x, y of each keypoint in the reference's pixels. */
  points: Float32Array;
  descriptors: CvMat;
}

/** The evidence for one reference in one frame, before the confidence threshold. */
export interface LogoMatch {
  label: string;
  confidence: number;
  inliers: number;
  matches: number;
  box: BoundingBox;
}

export class LocalLogoDetector implements Detector {
  private closed = false;

  private constructor(
    private readonly cv: OpenCv,
    private readonly settings: Settings,
    private readonly references: PreparedReference[],
    private readonly frameOrb: CvOrb,
    private readonly matcher: CvBfMatcher,
    /** Owns the references' descriptors and the ORB and matcher objects. */
    private readonly owned: MatScope,
  ) {}

  /** Load OpenCV (once per process), decode the references and compute their features. */
  static async create(references: LogoReference[], options: LocalLogoDetectorOptions = {}): Promise<LocalLogoDetector> {
    const settings = validateOptions(options);
    if (!Array.isArray(references) || references.length === 0) throw new Error('LocalLogoDetector needs at least one reference image ({ label, image })');
    references.forEach((r, i) => {
      if (typeof r?.label !== 'string' || r.label.trim() === '') throw new Error(`reference ${i}: label must be a non-empty string, got ${JSON.stringify(r?.label)}`);
      if (!Buffer.isBuffer(r.image)) throw new Error(`reference ${i} ('${r.label}'): image must be a Buffer of an encoded image`);
    });
    const greys = await Promise.all(references.map((r) => decodeGrey(r.image, settings.maxReferenceSide, `reference image for label '${r.label}'`)));

    const { cv } = await loadOpenCv();
    const owned = new MatScope();
    try {
      const refOrb = owned.track(new cv.ORB(settings.referenceFeatures));
      const prepared = references.map((r, i) => prepareReference(cv, refOrb, owned, r.label, greys[i], settings.minInliers));
      const frameOrb = owned.track(new cv.ORB(settings.frameFeatures));
      const matcher = owned.track(new cv.BFMatcher(cv.NORM_HAMMING, false));
      return new LocalLogoDetector(cv, settings, prepared, frameOrb, matcher, owned);
    } catch (err) {
      owned.deleteAll();
      throw err;
    }
  }

  /** Labels this detector knows, in reference order, without repeats. */
  get labels(): string[] {
    return [...new Set(this.references.map((r) => r.label))];
  }

  async detect(frame: FrameImage, minConfidence: number, signal?: AbortSignal): Promise<Detection[]> {
    if (typeof minConfidence !== 'number' || !(minConfidence >= 0 && minConfidence <= 100)) {
      throw new Error(`minConfidence must be a number from 0 to 100, got ${String(minConfidence)}`);
    }
    const matches = await this.match(frame, signal);
    return matches
      .filter((m) => m.confidence >= minConfidence)
      .map((m) => ({ Name: m.label, Confidence: m.confidence, Geometry: { BoundingBox: m.box } }));
  }

  /**
   * The best verified match per label with its evidence (inliers, ratio-test
   * matches), before any confidence threshold; best first. detect() is this,
   * filtered by minConfidence and shaped like DetectCustomLabels.
   */
  async match(frame: FrameImage, signal?: AbortSignal): Promise<LogoMatch[]> {
    if (this.closed) throw new Error('LocalLogoDetector is closed');
    if (!frame?.bytes) {
      if (frame?.s3) throw new Error(`the local detector reads frames as bytes, but this frame is only in S3 (s3://${frame.s3.bucket}/${frame.s3.key}); pass its bytes`);
      throw new Error('frame has neither bytes nor an S3 location');
    }
    signal?.throwIfAborted();
    const grey = await decodeGrey(frame.bytes, this.settings.maxFrameSide, 'frame');
    signal?.throwIfAborted();
    if (this.closed) throw new Error('LocalLogoDetector is closed');
    return MatScope.run((scope) => this.matchGrey(grey, scope));
  }

  /** Free the references' features. The detector cannot be used afterwards. */
  close(): void {
    this.closed = true;
    this.owned.deleteAll();
  }

  private matchGrey(grey: GreyImage, scope: MatScope): LogoMatch[] {
    const { cv } = this;
    const { keypoints, descriptors } = orbFeatures(cv, this.frameOrb, grey, scope);
    if (descriptors.rows < 2) return [];
    const framePoints = pointsOf(keypoints, ORB_EDGE_PX);

    const best = new Map<string, LogoMatch>();
    for (const ref of this.references) {
      const found = this.matchReference(ref, descriptors, framePoints, grey, scope);
      if (found && found.confidence > (best.get(ref.label)?.confidence ?? -1)) best.set(ref.label, found);
    }
    return [...best.values()].sort((a, b) => b.confidence - a.confidence);
  }

  private matchReference(ref: PreparedReference, frameDescriptors: CvMat, framePoints: Float32Array, grey: GreyImage, scope: MatScope): LogoMatch | undefined {
    const { cv, settings } = this;
    const pairs = scope.track(new cv.DMatchVectorVector());
    this.matcher.knnMatch(ref.descriptors, frameDescriptors, pairs, 2);

    // Ratio test, keeping one reference feature per frame feature (the closest).
    const byFramePoint = new Map<number, { refIdx: number; distance: number }>();
    for (let i = 0; i < pairs.size(); i++) {
      const pair = scope.track(pairs.get(i)); // get() returns a new copy on the heap
      if (pair.size() < 2) continue;
      const first = pair.get(0);
      const second = pair.get(1);
      if (first.distance >= settings.ratio * second.distance) continue;
      const seen = byFramePoint.get(first.trainIdx);
      if (!seen || first.distance < seen.distance) byFramePoint.set(first.trainIdx, { refIdx: first.queryIdx, distance: first.distance });
    }
    const m = byFramePoint.size;
    if (m < Math.max(MIN_MATCHES, settings.minInliers)) return undefined;

    const src = scope.track(new cv.Mat(m, 1, cv.CV_32FC2));
    const dst = scope.track(new cv.Mat(m, 1, cv.CV_32FC2));
    let k = 0;
    for (const [frameIdx, { refIdx }] of byFramePoint) {
      src.data32F[2 * k] = ref.points[2 * refIdx];
      src.data32F[2 * k + 1] = ref.points[2 * refIdx + 1];
      dst.data32F[2 * k] = framePoints[2 * frameIdx];
      dst.data32F[2 * k + 1] = framePoints[2 * frameIdx + 1];
      k++;
    }
    const inlierMask = scope.track(new cv.Mat());
    const h = scope.track(cv.findHomography(src, dst, cv.RANSAC, settings.ransacThresholdPx, inlierMask));
    if (h.empty() || inlierMask.rows !== m) return undefined;
    let n = 0;
    for (let i = 0; i < m; i++) if (inlierMask.data[i]) n++;
    if (n < settings.minInliers || n < settings.minInlierRatio * m) return undefined;

    const quad = projectCorners(h.data64F, ref.width, ref.height);
    if (!quad || quadProblem(quad, ref.width, ref.height, settings.quadLimits)) return undefined;
    const box = boundingBoxOf(quad, grey.width, grey.height);
    if (!box) return undefined;
    return { label: ref.label, confidence: confidenceOf(n, m), inliers: n, matches: m, box };
  }
}

/**
 * 0-100 from n RANSAC inliers among m ratio-test matches:
 * 100 * n / (n + 10) * min(1, 0.5 + n / m), rounded to 0.1.
 */
export function confidenceOf(inliers: number, matches: number): number {
  if (inliers <= 0 || matches <= 0) return 0;
  const evidence = inliers / (inliers + CONFIDENCE_HALF_AT);
  const consistency = Math.min(1, 0.5 + inliers / matches);
  return Math.round(1000 * evidence * consistency) / 10;
}

function prepareReference(cv: OpenCv, orb: CvOrb, owned: MatScope, label: string, grey: GreyImage, minInliers: number): PreparedReference {
  return MatScope.run((scope) => {
    const { keypoints, descriptors } = orbFeatures(cv, orb, grey, scope);
    // Keep the features on the logo itself, in the unpadded reference's pixels.
    const all = pointsOf(keypoints, ORB_EDGE_PX);
    const keep: number[] = [];
    for (let i = 0; i < keypoints.size(); i++) {
      const x = all[2 * i];
      const y = all[2 * i + 1];
      if (x >= 0 && y >= 0 && x < grey.width && y < grey.height) keep.push(i);
    }
    if (keep.length < Math.max(MIN_MATCHES, minInliers)) {
      throw new Error(
        `reference image for label '${label}' (${grey.width}x${grey.height}) has only ${keep.length} ORB features, fewer than the ${Math.max(MIN_MATCHES, minInliers)} a match needs; ` +
          'use a larger or more detailed crop of the logo (flat colours and smooth gradients have no corners to match)',
      );
    }
    const cols = descriptors.cols;
    const kept = owned.track(new cv.Mat(keep.length, cols, cv.CV_8UC1));
    const points = new Float32Array(keep.length * 2);
    keep.forEach((from, to) => {
      kept.data.set(descriptors.data.subarray(from * cols, (from + 1) * cols), to * cols);
      points[2 * to] = all[2 * from];
      points[2 * to + 1] = all[2 * from + 1];
    });
    return { label, width: grey.width, height: grey.height, points, descriptors: kept };
  });
}

/**
 * ORB keypoints and descriptors of a grey image. The image is first padded by
 * ORB_EDGE_PX replicated pixels, because ORB finds nothing within that distance
 * of an edge: a logo in a frame's corner, or the edge of a tight reference crop,
 * would otherwise lose most of its features. Replication adds no corners.
 */
function orbFeatures(cv: OpenCv, orb: CvOrb, grey: GreyImage, scope: MatScope): { keypoints: CvVector<CvKeyPoint>; descriptors: CvMat } {
  const image = scope.track(new cv.Mat(grey.height, grey.width, cv.CV_8UC1));
  image.data.set(grey.data);
  const padded = scope.track(new cv.Mat());
  cv.copyMakeBorder(image, padded, ORB_EDGE_PX, ORB_EDGE_PX, ORB_EDGE_PX, ORB_EDGE_PX, cv.BORDER_REPLICATE);
  const noMask = scope.track(new cv.Mat());
  const keypoints = scope.track(new cv.KeyPointVector());
  const descriptors = scope.track(new cv.Mat());
  orb.detectAndCompute(padded, noMask, keypoints, descriptors);
  return { keypoints, descriptors };
}

/** x, y of each keypoint, shifted back by the padding. */
function pointsOf(keypoints: CvVector<CvKeyPoint>, padding: number): Float32Array {
  const out = new Float32Array(keypoints.size() * 2);
  for (let i = 0; i < keypoints.size(); i++) {
    const { pt } = keypoints.get(i);
    out[2 * i] = pt.x - padding;
    out[2 * i + 1] = pt.y - padding;
  }
  return out;
}

function validateOptions(options: LocalLogoDetectorOptions): Settings {
  if (options === null || typeof options !== 'object') throw new Error(`LocalLogoDetector options must be an object, got ${String(options)}`);
  const s = { ...DEFAULTS, ...stripUndefined(options), quadLimits: { ...DEFAULT_QUAD_LIMITS, ...stripUndefined(options.quadLimits ?? {}) } } as Settings;
  const int = (name: keyof typeof DEFAULTS, min: number, max: number) => {
    const v = s[name];
    if (!Number.isInteger(v) || v < min || v > max) throw new Error(`LocalLogoDetector option ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  };
  const num = (name: keyof typeof DEFAULTS, min: number, max: number) => {
    const v = s[name];
    if (typeof v !== 'number' || !(v >= min && v <= max)) throw new Error(`LocalLogoDetector option ${name} must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  };
  int('maxFrameSide', 64, 16384);
  int('maxReferenceSide', 32, 16384);
  int('frameFeatures', 100, 100_000);
  int('referenceFeatures', 50, 100_000);
  num('ratio', 0.1, 1);
  num('ransacThresholdPx', 0.5, 100);
  int('minInliers', MIN_MATCHES, 10_000);
  num('minInlierRatio', 0, 1);
  for (const [name, v] of Object.entries(s.quadLimits)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`LocalLogoDetector option quadLimits.${name} must be a non-negative number, got ${JSON.stringify(v)}`);
  }
  return s;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
