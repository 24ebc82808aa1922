/**
 * Geometric verification of a logo match: where a homography puts the reference
 * image's corners in the frame, whether that quadrilateral is a plausible view of
 * a flat logo (convex, not mirrored, not collapsed, only mildly skewed), and the
 * axis-aligned box around it as fractions of the frame. Pure.
 */
import type { BoundingBox } from './detection';

export interface Point {
  x: number;
  y: number;
}

/** Limits on how a logo may appear compared with its reference image. */
export interface QuadLimits {
  /** Shortest allowed side, in frame pixels. */
  minSidePx: number;
  /** Allowed linear scale (sqrt of area ratio) of the quad to the reference. */
  minScale: number;
  maxScale: number;
  /** Largest ratio between opposite sides (perspective foreshortening). */
  maxOppositeSideRatio: number;
  /** Interior angles must lie within [minAngleDeg, 180 - minAngleDeg]. */
  minAngleDeg: number;
  /** Largest change of aspect ratio (width/height) from the reference, either way. */
  maxAspectChange: number;
}

export const DEFAULT_QUAD_LIMITS: QuadLimits = {
  minSidePx: 8,
  minScale: 0.1,
  maxScale: 10,
  maxOppositeSideRatio: 3,
  minAngleDeg: 35,
  maxAspectChange: 2,
};

/**
 * The corners of a width x height reference (top-left, top-right, bottom-right,
 * bottom-left) mapped by the row-major 3x3 homography `h`; undefined when a corner
 * maps to infinity or the corners land on different sides of the horizon.
 */
export function projectCorners(h: ArrayLike<number>, width: number, height: number): Point[] | undefined {
  const corners: Point[] = [
    { x: 0, y: 0 },
    { x: width, y: 0 },
    { x: width, y: height },
    { x: 0, y: height },
  ];
  const out: Point[] = [];
  let sign = 0;
  for (const { x, y } of corners) {
    const w = h[6] * x + h[7] * y + h[8];
    if (!Number.isFinite(w) || Math.abs(w) < 1e-9) return undefined;
    if (sign === 0) sign = Math.sign(w);
    else if (Math.sign(w) !== sign) return undefined;
    const px = (h[0] * x + h[1] * y + h[2]) / w;
    const py = (h[3] * x + h[4] * y + h[5]) / w;
    if (!Number.isFinite(px) || !Number.isFinite(py)) return undefined;
    out.push({ x: px, y: py });
  }
  return out;
}

/** Why `quad` is not a plausible view of a refWidth x refHeight logo, or undefined when it is. */
export function quadProblem(quad: Point[], refWidth: number, refHeight: number, limits: QuadLimits = DEFAULT_QUAD_LIMITS): string | undefined {
  if (quad.length !== 4) return `expected 4 corners, got ${quad.length}`;
  const sides = quad.map((p, i) => distance(p, quad[(i + 1) % 4]));
  const shortest = Math.min(...sides);
  if (shortest < limits.minSidePx) return `side of ${shortest.toFixed(1)} px is under ${limits.minSidePx} px`;

  // The reference corners run clockwise on screen (y down): every turn must too.
  for (let i = 0; i < 4; i++) {
    const a = quad[i];
    const b = quad[(i + 1) % 4];
    const c = quad[(i + 2) % 4];
    if (cross(a, b, c) <= 0) return 'corners are not convex in the reference order (folded or mirrored)';
  }
  for (let i = 0; i < 4; i++) {
    const angle = angleDeg(quad[(i + 3) % 4], quad[i], quad[(i + 1) % 4]);
    if (angle < limits.minAngleDeg || angle > 180 - limits.minAngleDeg) return `corner angle of ${angle.toFixed(0)} degrees is too sharp`;
  }
  const opposite = Math.max(sides[0] / sides[2], sides[2] / sides[0], sides[1] / sides[3], sides[3] / sides[1]);
  if (opposite > limits.maxOppositeSideRatio) return `opposite sides differ ${opposite.toFixed(1)}x (over ${limits.maxOppositeSideRatio}x)`;

  const scale = Math.sqrt(polygonArea(quad) / (refWidth * refHeight));
  if (scale < limits.minScale || scale > limits.maxScale) return `scale ${scale.toFixed(2)}x is outside ${limits.minScale}x-${limits.maxScale}x`;
  const aspect = (sides[0] + sides[2]) / (sides[1] + sides[3]) / (refWidth / refHeight);
  if (aspect > limits.maxAspectChange || aspect < 1 / limits.maxAspectChange) return `aspect ratio changed ${aspect.toFixed(2)}x`;
  return undefined;
}

/**
 * The axis-aligned box around `quad`, clipped to the width x height frame, as
 * fractions of the frame; undefined when less than 2 px of it is inside.
 */
export function boundingBoxOf(quad: Point[], width: number, height: number): BoundingBox | undefined {
  const left = Math.max(0, Math.min(...quad.map((p) => p.x)));
  const right = Math.min(width, Math.max(...quad.map((p) => p.x)));
  const top = Math.max(0, Math.min(...quad.map((p) => p.y)));
  const bottom = Math.min(height, Math.max(...quad.map((p) => p.y)));
  if (right - left < 2 || bottom - top < 2) return undefined;
  return { Width: (right - left) / width, Height: (bottom - top) / height, Left: left / width, Top: top / height };
}

/** Area of a simple polygon (shoelace formula). */
export function polygonArea(points: Point[]): number {
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i];
    const b = points[(i + 1) % points.length];
    twice += a.x * b.y - b.x * a.y;
  }
  return Math.abs(twice) / 2;
}

function distance(a: Point, b: Point): number {
  return Math.hypot(b.x - a.x, b.y - a.y);
}

/** z of (b - a) x (c - b): positive for a clockwise turn on screen (y down). */
function cross(a: Point, b: Point, c: Point): number {
  return (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x);
}

function angleDeg(prev: Point, at: Point, next: Point): number {
  const ux = prev.x - at.x;
  const uy = prev.y - at.y;
  const vx = next.x - at.x;
  const vy = next.y - at.y;
  const cos = (ux * vx + uy * vy) / (Math.hypot(ux, uy) * Math.hypot(vx, vy));
  return (Math.acos(Math.max(-1, Math.min(1, cos))) * 180) / Math.PI;
}
