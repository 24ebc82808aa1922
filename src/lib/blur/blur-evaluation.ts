/**
 * Metrics of a blur classifier on a labelled split: 3-class and binary (blurred or
 * not) accuracy, per-class precision/recall, and the confusion matrix. Pure.
 */
import { BLUR_CLASSES, BlurClass } from './blur-classes';

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface BlurEvaluation {
  images: number;
  accuracy: number;
  binaryAccuracy: number;
  /** Threshold (blur percentage) the binary accuracy was measured at. */
  threshold: number;
  perClass: Record<BlurClass, ClassMetrics>;
  /** confusion[true class][predicted class], in BLUR_CLASSES order. */
  confusion: number[][];
}

export function evaluateBlur(truth: number[], predicted: number[], blurPercent: number[], threshold: number): BlurEvaluation {
  const k = BLUR_CLASSES.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let binaryCorrect = 0;
  truth.forEach((t, i) => {
    confusion[t][predicted[i]]++;
    if (t === predicted[i]) correct++;
    if (t !== 0 === blurPercent[i] >= threshold) binaryCorrect++;
  });
  const perClass = Object.fromEntries(
    BLUR_CLASSES.map((c, j) => {
      const tp = confusion[j][j];
      const support = confusion[j].reduce((a, b) => a + b, 0);
      const predictedAs = confusion.reduce((a, row) => a + row[j], 0);
      const precision = predictedAs ? tp / predictedAs : 0;
      const recall = support ? tp / support : 0;
      return [c, { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support }];
    }),
  ) as Record<BlurClass, ClassMetrics>;
  const n = truth.length;
  return { images: n, accuracy: n ? correct / n : 0, binaryAccuracy: n ? binaryCorrect / n : 0, threshold, perClass, confusion };
}
