/**
 * Dedupe accuracy: for each hash and max-distance threshold t, a capture keeps a frame
 * ("changed") when distance(base, frame) > t. Measured on the labelled sequence from
 * dedupe-sequence.ts: precision and recall of "changed", F1, and the false-keep rate
 * (share of same-scene frames kept = 1 - specificity). The baseline is imagehash's
 * average_hash computed by Pillow in Python on the same files.
 */
import { readFile } from 'node:fs/promises';
import { hammingDistance } from '../src/lib/hash/hamming';
import { HASH_KINDS, HashKind } from '../src/lib/hash/hash-kind';
import { perceptualHash } from '../src/lib/hash/perceptual-hash';
import { CAPTURE_DEFAULTS } from '../src/lib/camera/capture-options';
import { mapWithConcurrency } from './concurrency';
import { Frame } from './frames';
import { LabelledPair, PairLabel, VARIANTS } from './dedupe-sequence';
import { Machine } from './machine';
import { markdownTable } from './markdown-table';
import { PythonSession } from './python-baseline';
import { distribution, Distribution, round, wilson95 } from './stats';

export const THRESHOLDS = [0, 1, 2, 3, 4, 6, 8, 10, 12, 16] as const;
/**
 * A default may keep at most 1 % of same-scene captures (JPEG noise, sensor noise,
 * exposure drift). A camera polled every minute mostly sees an unchanged scene, so the
 * false-keep rate turns straight into dataset bloat: 7.7 % is about 110 extra frames a
 * day from a quiet camera, 1 % about 14.
 */
export const MAX_FALSE_KEEP_RATE = 0.01;

export interface ThresholdMetrics {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** null when nothing is predicted "changed" (0/0). */
  precision: number | null;
  recall: number;
  /** 95 % Wilson interval of the recall: the sequence is small, so read recall differences through it. */
  recallCi95: [number, number];
  f1: number | null;
  falseKeepRate: number;
  falseKeepCi95: [number, number];
}

export interface MethodAccuracy {
  method: string;
  distances: Record<PairLabel, Distribution>;
  /** Per kind of difference: distances and the share of frames kept (distance > t) at each threshold. */
  byGroup: Record<string, { label: PairLabel; n: number; distances: Distribution; keptAt: Record<string, number> }>;
  /** The same split by frame source (real photographs vs synthetic street scenes). */
  bySource: Record<string, Record<PairLabel, Distribution>>;
  thresholds: ThresholdMetrics[];
}

export interface DedupeResult {
  figure: string;
  machine: Machine;
  dataset: {
    bases: { id: string; source: string; origin: string }[];
    pairs: number;
    same: number;
    changed: number;
    /** Harder same-scene captures, reported per group only. */
    stress: number;
    variants: { name: string; label: PairLabel; group: string; scored: boolean }[];
  };
  thresholds: readonly number[];
  ours: Record<HashKind, MethodAccuracy>;
  baseline: ({ name: string; available: true; versions: Record<string, string> } & MethodAccuracy) | { name: string; available: false; reason: string };
  currentDefault: { hash: HashKind; maxDistance: number; metrics: ThresholdMetrics };
  /** Every pair with its distance under each method, for any analysis the tables do not cover. */
  pairs: { base: string; variant: string; label: PairLabel; group: string; scored: boolean; distances: Record<string, number> }[];
  recommendation: { rule: string; hash: HashKind; maxDistance: number; metrics: ThresholdMetrics } | null;
  /** The baseline's best threshold under the same rule. */
  baselineBest: { maxDistance: number; metrics: ThresholdMetrics } | null;
  /** Recall of the recommendation / recall of the baseline's best, both keeping <= MAX_FALSE_KEEP_RATE of same-scene frames. */
  ratio: number | null;
}

const BASELINE_NAME = 'PIL imagehash.average_hash';

export async function benchDedupeAccuracy(
  bases: readonly Frame[],
  pairs: readonly LabelledPair[],
  python: PythonSession,
  options: { concurrency: number; machine: Machine },
): Promise<DedupeResult> {
  const files = [...new Set(pairs.flatMap((p) => [p.base.path, p.variantPath]))];
  const ours = {} as Record<HashKind, MethodAccuracy>;
  const scoredBy = {} as Record<HashKind, Scored[]>;
  for (const kind of HASH_KINDS) {
    const hashes = await mapWithConcurrency(files, options.concurrency, async (f) => (await perceptualHash(await readFile(f), kind)).hash);
    scoredBy[kind] = scorePairs(`ours ${kind}`, pairs, new Map(files.map((f, i) => [f, hashes[i]])));
    ours[kind] = summarise(`ours ${kind}`, scoredBy[kind]);
  }
  let baseline: DedupeResult['baseline'];
  let baselineScored: Scored[] | undefined;
  const theirs = python.ok ? await python.value.baseline.hashes(files) : python;
  if (!python.ok || !theirs.ok) {
    baseline = { name: BASELINE_NAME, available: false, reason: theirs.ok ? 'not run' : theirs.reason };
  } else {
    baselineScored = scorePairs(BASELINE_NAME, pairs, new Map(Object.entries(theirs.value)));
    baseline = { name: BASELINE_NAME, available: true, versions: { ...python.value.versions }, ...summarise(BASELINE_NAME, baselineScored) };
  }
  const pairRows = pairs.map((p, i) => ({
    base: p.base.id,
    variant: p.variant.name,
    label: p.variant.label,
    group: p.variant.group,
    scored: !p.variant.stress,
    distances: Object.fromEntries([
      ...HASH_KINDS.map((k) => [k, scoredBy[k][i].distance]),
      ...(baselineScored ? [['imagehash', baselineScored[i].distance]] : []),
    ]) as Record<string, number>,
  }));
  const recommendation = recommend(ours);
  const theirBest = baseline.available ? bestUnderRule([{ name: 'imagehash', accuracy: baseline }]) : null;
  const baselineBest = theirBest && { maxDistance: theirBest.metrics.threshold, metrics: theirBest.metrics };
  const current = { hash: CAPTURE_DEFAULTS.hash, maxDistance: CAPTURE_DEFAULTS.maxDistance };
  return {
    figure: 'precision and recall of "changed" (keep the frame when hamming distance > t) on a labelled camera sequence',
    machine: options.machine,
    dataset: {
      bases: bases.map((b) => ({ id: b.id, source: b.source, origin: b.origin })),
      pairs: pairs.length,
      same: pairs.filter((p) => p.variant.label === 'same' && !p.variant.stress).length,
      changed: pairs.filter((p) => p.variant.label === 'changed').length,
      stress: pairs.filter((p) => p.variant.stress).length,
      variants: VARIANTS.map((v) => ({ name: v.name, label: v.label, group: v.group, scored: !v.stress })),
    },
    thresholds: THRESHOLDS,
    ours,
    baseline,
    currentDefault: { ...current, metrics: confusionAt(scoredBy[current.hash].filter((s) => !s.pair.variant.stress), current.maxDistance) },
    recommendation,
    baselineBest,
    ratio: recommendation && baselineBest && baselineBest.metrics.recall > 0 ? round(recommendation.metrics.recall / baselineBest.metrics.recall, 2) : null,
    pairs: pairRows,
  };
}

interface Scored {
  pair: LabelledPair;
  label: PairLabel;
  distance: number;
}

function scorePairs(method: string, pairs: readonly LabelledPair[], hashes: ReadonlyMap<string, string>): Scored[] {
  return pairs.map((p) => {
    const a = hashes.get(p.base.path);
    const b = hashes.get(p.variantPath);
    if (a === undefined || b === undefined) throw new Error(`${method}: no hash for ${a === undefined ? p.base.path : p.variantPath}`);
    return { pair: p, label: p.variant.label, distance: hammingDistance(a, b) };
  });
}

function summarise(method: string, all: readonly Scored[]): MethodAccuracy {
  const scored = all.filter((s) => !s.pair.variant.stress);
  const pairs = scored.map((s) => s.pair);
  const of = (label: PairLabel, rows = scored) => rows.filter((s) => s.label === label).map((s) => s.distance);
  const byGroup: MethodAccuracy['byGroup'] = {};
  for (const group of [...new Set(VARIANTS.map((v) => v.group))]) {
    const rows = all.filter((s) => s.pair.variant.group === group);
    const d = rows.map((r) => r.distance);
    byGroup[group] = {
      label: rows[0].label,
      n: rows.length,
      distances: distribution(d),
      keptAt: Object.fromEntries(THRESHOLDS.map((t) => [String(t), round(d.filter((x) => x > t).length / d.length, 3)])),
    };
  }
  const bySource: MethodAccuracy['bySource'] = {};
  for (const source of [...new Set(pairs.map((p) => p.base.source))]) {
    const rows = scored.filter((s) => s.pair.base.source === source);
    bySource[source] = { same: distribution(of('same', rows)), changed: distribution(of('changed', rows)) };
  }
  return {
    method,
    distances: { same: distribution(of('same')), changed: distribution(of('changed')) },
    byGroup,
    bySource,
    thresholds: THRESHOLDS.map((t) => confusionAt(scored, t)),
  };
}

export function confusionAt(scored: readonly { label: PairLabel; distance: number }[], threshold: number): ThresholdMetrics {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (const { label, distance } of scored) {
    const kept = distance > threshold;
    if (label === 'changed') {
      if (kept) tp++;
      else fn++;
    } else if (kept) fp++;
    else tn++;
  }
  const precision = tp + fp === 0 ? null : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision === null || precision + recall === 0 ? null : (2 * precision * recall) / (precision + recall);
  return {
    threshold,
    tp,
    fp,
    tn,
    fn,
    precision: precision === null ? null : round(precision, 3),
    recall: round(recall, 3),
    recallCi95: wilson95(tp, tp + fn),
    f1: f1 === null ? null : round(f1, 3),
    falseKeepRate: fp + tn === 0 ? 0 : round(fp / (fp + tn), 3),
    falseKeepCi95: wilson95(fp, fp + tn),
  };
}

const RULE = `highest recall of "changed" with false-keep rate <= ${MAX_FALSE_KEEP_RATE}; ties: lower false-keep rate, then phash > dhash > ahash, then the smaller threshold`;

/**
 * The setting with the highest recall of "changed" among those that keep at most
 * MAX_FALSE_KEEP_RATE of same-scene frames; ties go to the lower false-keep rate, then
 * to the earlier candidate, then to the smaller threshold.
 */
function bestUnderRule<K extends string>(candidates: readonly { name: K; accuracy: MethodAccuracy }[]): { name: K; metrics: ThresholdMetrics } | null {
  let best: { name: K; metrics: ThresholdMetrics } | null = null;
  for (const { name, accuracy } of candidates) {
    for (const m of accuracy.thresholds) {
      if (m.falseKeepRate > MAX_FALSE_KEEP_RATE) continue;
      if (!best || m.recall > best.metrics.recall || (m.recall === best.metrics.recall && m.falseKeepRate < best.metrics.falseKeepRate)) {
        best = { name, metrics: m };
      }
    }
  }
  return best;
}

export function recommend(ours: Record<HashKind, MethodAccuracy>): DedupeResult['recommendation'] {
  const best = bestUnderRule(HASH_KINDS.map((k) => ({ name: k, accuracy: ours[k] })));
  return best && { rule: RULE, hash: best.name, maxDistance: best.metrics.threshold, metrics: best.metrics };
}

export function formatDedupe(r: DedupeResult): string {
  const methods: MethodAccuracy[] = [...HASH_KINDS.map((k) => r.ours[k]), ...(r.baseline.available ? [r.baseline] : [])];
  const pct = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v * 1000) / 10}%`);
  const prRows = r.thresholds.map((t) => [
    t,
    ...methods.flatMap((m) => {
      const x = m.thresholds.find((y) => y.threshold === t);
      return x ? [pct(x.precision), pct(x.recall), pct(x.falseKeepRate)] : ['', '', ''];
    }),
  ]);
  const headers = ['t', ...methods.flatMap((m) => [`${short(m.method)} P`, `${short(m.method)} R`, `${short(m.method)} keep-same`])];
  const distRows = methods.flatMap((m) =>
    (['same', 'changed'] as const).map((label) => {
      const d = m.distances[label];
      return [short(m.method), label, d.min, d.p10, d.median, d.p90, d.max];
    }));
  const groupRows = Object.entries(r.ours.phash.byGroup).map(([group, g]) => [
    group,
    g.label,
    g.n,
    ...methods.map((m) => `${m.byGroup[group].distances.min}/${m.byGroup[group].distances.median}/${m.byGroup[group].distances.max}`),
  ]);
  const lines = [
    `Dedupe accuracy: ${r.dataset.bases.length} base frames, ${r.dataset.same} same-scene and ${r.dataset.changed} changed captures; "changed" predicted when distance > t`,
    '',
    markdownTable(headers, prRows),
    '',
    'P = precision of "changed", R = recall of "changed", keep-same = same-scene frames kept (1 - specificity); stress groups are not scored',
    '',
    markdownTable(['method', 'class', 'min', 'p10', 'median', 'p90', 'max'], distRows),
    '',
    'Distance min/median/max by kind of difference:',
    '',
    markdownTable(['difference', 'label', 'n', ...methods.map((m) => short(m.method))], groupRows, ['l', 'l', 'r', ...methods.map(() => 'r' as const)]),
  ];
  for (const kind of [...new Set<HashKind>(['phash', r.recommendation?.hash ?? 'phash'])]) {
    const m = r.ours[kind];
    lines.push('', `Share of frames kept (distance > t), ${kind}:`, '', markdownTable(
      ['difference', 'label', ...r.thresholds.map((t) => `t=${t}`)],
      Object.entries(m.byGroup).map(([group, g]) => [group, g.label, ...r.thresholds.map((t) => pct(g.keptAt[String(t)]))]),
      ['l', 'l', ...r.thresholds.map(() => 'r' as const)],
    ));
  }
  if (!r.baseline.available) lines.push('', `baseline unavailable: ${r.baseline.reason}`);
  const c = r.currentDefault;
  lines.push('', `current default ${c.hash} t=${c.maxDistance}: precision ${pct(c.metrics.precision)}, recall ${pct(c.metrics.recall)}, same-scene kept ${pct(c.metrics.falseKeepRate)}`);
  if (r.recommendation) {
    const m = r.recommendation.metrics;
    lines.push(`rule-based pick (${r.recommendation.rule}): ${r.recommendation.hash} t=${r.recommendation.maxDistance}: precision ${pct(m.precision)}, recall ${pct(m.recall)}, same-scene kept ${pct(m.falseKeepRate)}`);
  }
  if (r.baselineBest) {
    const m = r.baselineBest.metrics;
    lines.push(`baseline under the same rule: imagehash t=${r.baselineBest.maxDistance}: recall ${pct(m.recall)}, same-scene kept ${pct(m.falseKeepRate)}; recall ratio ours/baseline ${r.ratio ?? 'n/a'}`);
  }
  return lines.join('\n');
}

function short(method: string): string {
  return method === BASELINE_NAME ? 'imagehash' : method.replace(/^ours /, '');
}
