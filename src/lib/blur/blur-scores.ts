/**
 * From the network's logits to what users read: calibrated class probabilities
 * (softmax at a temperature fitted on the validation split), the blur percentage
 * (probability of defocused or motion) and the verdict against a threshold.
 */
import { BLUR_CLASSES, BlurClass } from './blur-classes';

export const DEFAULT_BLUR_THRESHOLD = 50;

export interface BlurScores {
  class: BlurClass;
  probabilities: Record<BlurClass, number>;
  /** 0-100: calibrated probability that the image is blurred (defocused or motion). */
  blurPercent: number;
  blurred: boolean;
  threshold: number;
}

export function softmax(logits: ArrayLike<number>, temperature = 1): number[] {
  const scaled = Array.from(logits, (l) => l / temperature);
  const max = Math.max(...scaled);
  const exps = scaled.map((l) => Math.exp(l - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export function scoresFromLogits(logits: ArrayLike<number>, temperature: number, threshold = DEFAULT_BLUR_THRESHOLD): BlurScores {
  const p = softmax(logits, temperature);
  const best = p.indexOf(Math.max(...p));
  const blurPercent = round((1 - p[0]) * 100, 2);
  return {
    class: BLUR_CLASSES[best],
    probabilities: Object.fromEntries(BLUR_CLASSES.map((c, i) => [c, round(p[i], 4)])) as Record<BlurClass, number>,
    blurPercent,
    blurred: blurPercent >= threshold,
    threshold,
  };
}

/** Temperature minimising the negative log-likelihood of the true classes (grid search; 1 when there is nothing to fit). */
export function fitTemperature(logits: number[][], labels: number[]): number {
  if (labels.length === 0) return 1;
  let best = { t: 1, nll: Infinity };
  for (let i = 0; i <= 80; i++) {
    const t = Math.exp(Math.log(0.2) + (i / 80) * (Math.log(10) - Math.log(0.2)));
    let nll = 0;
    logits.forEach((l, j) => {
      nll -= Math.log(Math.max(softmax(l, t)[labels[j]], 1e-12));
    });
    if (nll < best.nll - 1e-9) best = { t, nll };
  }
  return round(best.t, 4);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
