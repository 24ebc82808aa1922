/**
 * A blur kernel (point-spread function) on the pixel grid, and the second-moment
 * measure that tells an elongated motion streak from a round defocus disk.
 */
export interface Kernel {
  width: number;
  height: number;
  /** The tap that lands on the output pixel itself (column, row). */
  centerX: number;
  centerY: number;
  /** Row-major, width * height weights that sum to 1. */
  weights: Float32Array;
}

export interface SecondMoments {
  /** Weighted centroid relative to the centre tap. */
  meanX: number;
  meanY: number;
  /** Eigenvalues of the covariance (px²), major >= minor. */
  major: number;
  minor: number;
  /** Direction of the major axis, radians from +x towards +y. */
  angle: number;
  /**
   * major / minor with each tap read as a unit pixel square (variance 1/12 added on
   * both axes), so a one-pixel-wide line has a large but finite ratio; 1 = isotropic.
   */
  anisotropy: number;
}

/** Unit square's variance along any axis: treats taps as pixel areas, not points. */
const PIXEL_VARIANCE = 1 / 12;

export function secondMoments(kernel: Kernel): SecondMoments {
  const { width, height, weights } = kernel;
  let total = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const w = weights[y * width + x];
      total += w;
      sx += w * x;
      sy += w * y;
    }
  }
  const mx = sx / total;
  const my = sy / total;
  let cxx = 0;
  let cyy = 0;
  let cxy = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const w = weights[y * width + x];
      if (w === 0) continue;
      const dx = x - mx;
      const dy = y - my;
      cxx += w * dx * dx;
      cyy += w * dy * dy;
      cxy += w * dx * dy;
    }
  }
  cxx /= total;
  cyy /= total;
  cxy /= total;
  // Eigenvalues of the symmetric 2x2 covariance.
  const half = (cxx + cyy) / 2;
  const root = Math.sqrt(((cxx - cyy) / 2) ** 2 + cxy * cxy);
  const major = half + root;
  const minor = Math.max(0, half - root);
  return {
    meanX: mx - kernel.centerX,
    meanY: my - kernel.centerY,
    major,
    minor,
    angle: 0.5 * Math.atan2(2 * cxy, cxx - cyy),
    anisotropy: (major + PIXEL_VARIANCE) / (minor + PIXEL_VARIANCE),
  };
}

/** Divides by the sum so the blur keeps the image's brightness. */
export function normalizeKernel(kernel: Kernel): Kernel {
  let total = 0;
  for (const w of kernel.weights) total += w;
  if (!(total > 0) || !Number.isFinite(total)) throw new Error('blur kernel has no positive weight');
  const weights = kernel.weights.map((w) => w / total);
  return { ...kernel, weights };
}
