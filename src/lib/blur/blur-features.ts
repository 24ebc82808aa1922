/**
 * Cheap, strong blur features from raw grey pixels at a fixed analysis size (long
 * side 1024, the scale the synthetic blur strengths are calibrated at): multi-scale
 * Laplacian variance and Tenengrad, cross-scale energy ratios per tile (content
 * cancels out, blur does not), high-frequency spectral energy, and structure-tensor
 * coherence plus directional energy ratios, which tell motion (one direction loses
 * detail everywhere) from defocus (all directions do), and edge widths by orientation
 * (edge-width.ts), which do not depend on how much texture a scene has, with counts of
 * crisp edges by orientation, which find a small subject in focus.
 */
import { CRISP_LEVELS, EDGE_ORIENTATIONS, edgeWidths } from './edge-width';
import { mean, percentile, quantiles } from './feature-stats';
import { tileReblurEffect } from './reblur-effect';
import { spectralFeatures } from './spectral-features';
import { coherence, GreyImage, halve, tileStats, TileStats } from './tile-stats';

/** Long side, in pixels, images are analysed at (smaller images are used as they are). */
export const ANALYSIS_SIZE = 1024;
/** Tile side at full analysis scale; it halves with each pyramid level so tiles line up. */
const TILE = 64;
const SCALES = 4;
/** Smallest side we accept: two tiles at the finest scale. */
export const MIN_SIDE = 2 * TILE;

const EDGE_QUANTILES = [0.05, 0.1, 0.25, 0.5].map((q) => ({ q, name: `P${String(q * 100).padStart(2, '0')}` }));
/** Edges an orientation needs for its own width percentiles (else the image's stand in). */
const MIN_ORIENTATION_EDGES = 3;
/** Crisp-edge counts are scaled to this image area, so smaller images count alike. */
const CRISP_REFERENCE_AREA = 1024 * 768;
/** Crisp edges (per reference area) an orientation needs to count as having some. */
const CRISP_ORIENTATION_EDGES = 20;
const CRISP_NAMES = ['logCount', 'logSecondOrientation', 'logFourthOrientation', 'logAcrossStrongest', 'orientations'];

const PER_SCALE = ['logLapVarMean', 'logLapVarP90', 'logLapVarP50', 'logLapVarP10', 'logTenengradMean', 'tensorCoherence', 'tileCoherenceMean', 'directionalAnisotropy'];
export const FEATURE_NAMES: readonly string[] = [
  ...Array.from({ length: 3 }, (_, s) => PER_SCALE.map((f) => `s${s}.${f}`)).flat(),
  'lapRatio01Median',
  'lapRatio01P90',
  'lapRatio12Median',
  'lapRatio12P90',
  'tenRatio01Median',
  'coherenceGain03',
  'dirRatioSpread01',
  'dirRatioSpread02',
  'tileDirRatioSpreadMedian',
  'tileDirRatioSpreadP90',
  'tileWeakDirectionAgreement',
  ...[1, 2, 3].flatMap((s) => [`dirRatioMax${s - 1}${s}`, `dirRatioMin${s - 1}${s}`]),
  'tileDirRatioMax12Median',
  'tileDirRatioMin12Median',
  'tileDirRatioMax23Median',
  'tileDirRatioMin23Median',
  ...[1, 2].flatMap((s) => [`s${s}.reblurMin`, `s${s}.reblurMean`, `s${s}.reblurMax`, `s${s}.reblurMeanP90`, `s${s}.reblurSharpestMin`, `s${s}.reblurSharpestMax`]),
  'spectralHighOverLow',
  'spectralMidOverLow',
  'spectralCoherence',
  'spectralSectorAnisotropy',
  'logEdgeCount',
  ...EDGE_QUANTILES.map((q) => `logEdgeWidth${q.name}`),
  ...EDGE_QUANTILES.flatMap((q) => [`logEdgeWidth${q.name}NarrowestOrientation`, `logEdgeWidth${q.name}WidestOrientation`, `logEdgeWidth${q.name}OrientationSpread`]),
  ...CRISP_LEVELS.flatMap((l) => CRISP_NAMES.map((f) => `crispW${l.width}C${l.contrast}.${f}`)),
];

export function blurFeatures(img: GreyImage): Float32Array {
  if (Math.min(img.width, img.height) < MIN_SIDE) {
    throw new Error(`image is ${img.width}x${img.height}; blur analysis needs at least ${MIN_SIDE} px on each side`);
  }
  const tilesX = Math.floor(img.width / TILE);
  const tilesY = Math.floor(img.height / TILE);
  const pyramid: GreyImage[] = [img];
  for (let s = 1; s < SCALES; s++) pyramid.push(halve(pyramid[s - 1]));
  const stats = pyramid.map((level, s) => tileStats(level, TILE >> s, tilesX, tilesY));
  // Textured tiles: the upper half by coarse-scale gradient energy, which blur barely changes.
  const coarse = stats[SCALES - 1].tenengrad;
  const textured = upperHalf(coarse);

  const out: number[] = [];
  for (const st of stats.slice(0, 3)) out.push(...scaleFeatures(st, textured));
  out.push(...logRatioStats(stats[0].lapVar, stats[1].lapVar, textured));
  out.push(...logRatioStats(stats[1].lapVar, stats[2].lapVar, textured));
  out.push(percentile(textured.map((t) => Math.log((stats[0].tenengrad[t] + 1) / (stats[1].tenengrad[t] + 1))), 0.5));
  out.push(tileCoherenceMean(stats[0], textured) - tileCoherenceMean(stats[SCALES - 1], textured));
  out.push(spread(directionRatios(stats[0].directional, stats[1].directional)));
  out.push(spread(directionRatios(stats[0].directional, stats[2].directional)));
  out.push(...tileDirectionFeatures(stats[0], stats[2], textured));
  // The least and the most blurred direction between neighbouring scales (rotation-invariant).
  for (let s = 1; s < SCALES; s++) {
    const r = directionRatios(stats[s - 1].directional, stats[s].directional);
    out.push(Math.max(...r), Math.min(...r));
  }
  out.push(...tileDirectionExtremes(stats[1], stats[2], textured), ...tileDirectionExtremes(stats[2], stats[3], textured));
  for (let s = 1; s < 3; s++) out.push(...reblurFeatures(tileReblurEffect(pyramid[s], TILE >> s, tilesX, textured)));
  out.push(...spectralFeatures(img, TILE, tilesX, textured, coarse));
  out.push(...edgeFeatures(img));
  return Float32Array.from(out);
}

function scaleFeatures(st: TileStats, textured: number[]): number[] {
  const lv = Array.from(st.lapVar);
  const [e0, e45, e90, e135] = st.directional;
  const emax = Math.max(e0, e45, e90, e135);
  const emin = Math.min(e0, e45, e90, e135);
  return [
    log(mean(lv)),
    ...quantiles(lv, [0.9, 0.5, 0.1]).map(log),
    log(mean(Array.from(st.tenengrad))),
    normalizedTensorCoherence(st, textured),
    tileCoherenceMean(st, textured),
    emax > 0 ? 1 - emin / emax : 0,
  ];
}

/** Coherence of the average of per-tile unit-trace tensors: high when every tile loses the same direction. */
function normalizedTensorCoherence(st: TileStats, tiles: number[]): number {
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (const t of tiles) {
    const tr = st.jxx[t] + st.jyy[t];
    if (tr <= 1e-9) continue;
    xx += st.jxx[t] / tr;
    yy += st.jyy[t] / tr;
    xy += st.jxy[t] / tr;
  }
  return coherence(xx, yy, xy);
}

function tileCoherenceMean(st: TileStats, tiles: number[]): number {
  return mean(tiles.map((t) => coherence(st.jxx[t], st.jyy[t], st.jxy[t])));
}

function logRatioStats(fine: Float64Array, coarse: Float64Array, tiles: number[]): [number, number] {
  const ratios = tiles.map((t) => Math.log((fine[t] + 1) / (coarse[t] + 1)));
  const [p50, p90] = quantiles(ratios, [0.5, 0.9]);
  return [p50, p90];
}

/**
 * Width percentiles of all edges, and per percentile the narrowest and widest edge
 * orientation (rotation-invariant) and their gap: the sharpest edges give focus away,
 * the gap gives motion away.
 */
function edgeFeatures(img: GreyImage): number[] {
  const { count, widths, orientations, crisp } = edgeWidths(img);
  const byOrientation: number[][] = Array.from({ length: EDGE_ORIENTATIONS }, () => []);
  widths.forEach((v, i) => byOrientation[orientations[i]].push(v));
  const logWidth = (v: number) => Math.log(v + 1);
  const qs = EDGE_QUANTILES.map(({ q }) => q);
  const overall = quantiles(widths, qs);
  const orientationWidths = byOrientation.map((ws) => (ws.length >= MIN_ORIENTATION_EDGES ? quantiles(ws, qs) : overall));
  const out = [Math.log(count + 1), ...overall.map(logWidth)];
  for (const k of qs.keys()) {
    const perOrientation = orientationWidths.map((ws) => logWidth(ws[k]));
    const narrowest = Math.min(...perOrientation);
    const widest = Math.max(...perOrientation);
    out.push(narrowest, widest, widest - narrowest);
  }
  const scale = CRISP_REFERENCE_AREA / (img.width * img.height);
  for (const counts of crisp) out.push(...crispFeatures(counts.map((c) => c * scale)));
  return out;
}

/**
 * From crisp edges per orientation: how many in all, in the second and fourth most
 * crisp orientations and across the most crisp one, and in how many orientations. A
 * shake keeps edges crisp only along its path; a sharp photo has them across it too.
 */
function crispFeatures(bins: number[]): number[] {
  const n = EDGE_ORIENTATIONS;
  const sorted = [...bins].sort((a, b) => b - a);
  const top = bins.indexOf(sorted[0]);
  const across = bins[(top + n / 2) % n] + 0.5 * (bins[(top + n / 2 - 1) % n] + bins[(top + n / 2 + 1) % n]);
  const total = bins.reduce((a, b) => a + b, 0);
  return [Math.log1p(total), Math.log1p(sorted[1]), Math.log1p(sorted[3]), Math.log1p(across), bins.filter((c) => c >= CRISP_ORIENTATION_EDGES).length];
}

/**
 * Per direction, how much fine-scale energy is left relative to the coarse scale:
 * content anisotropy cancels out, while motion blur removes detail along one
 * direction only, so the ratios spread apart; defocus lowers them all alike.
 */
function directionRatios(fine: ArrayLike<number>, coarse: ArrayLike<number>): number[] {
  return Array.from({ length: 4 }, (_, d) => Math.log((fine[d] + 0.01) / (coarse[d] + 0.01)));
}

function spread(xs: number[]): number {
  return Math.max(...xs) - Math.min(...xs);
}

/** Median and p90 of the per-tile direction-ratio spread, and how many tiles lose the same direction most. */
function tileDirectionFeatures(fine: TileStats, coarse: TileStats, tiles: number[]): number[] {
  const spreads: number[] = [];
  const weakest = [0, 0, 0, 0];
  for (const t of tiles) {
    const r = directionRatios(
      fine.tileDirectional.map((d) => d[t]),
      coarse.tileDirectional.map((d) => d[t]),
    );
    spreads.push(spread(r));
    weakest[r.indexOf(Math.min(...r))]++;
  }
  return [...quantiles(spreads, [0.5, 0.9]), Math.max(...weakest) / Math.max(1, tiles.length)];
}

function tileDirectionExtremes(fine: TileStats, coarse: TileStats, tiles: number[]): number[] {
  const maxima: number[] = [];
  const minima: number[] = [];
  for (const t of tiles) {
    const r = directionRatios(
      fine.tileDirectional.map((d) => d[t]),
      coarse.tileDirectional.map((d) => d[t]),
    );
    maxima.push(Math.max(...r));
    minima.push(Math.min(...r));
  }
  return [percentile(maxima, 0.5), percentile(minima, 0.5)];
}

/**
 * Over all textured tiles: the weakest, mean and strongest direction's effect; over
 * the sharpest quarter of tiles (a photo's subject, not its bokeh): the p90 mean
 * effect and the mean weakest and strongest directions.
 */
function reblurFeatures(effect: number[][]): number[] {
  const dirs = [0, 1, 2, 3].map((d) => mean(effect.map((e) => e[d])));
  const means = effect.map((e) => mean(e));
  const order = means.map((m, i) => ({ m, i })).sort((a, b) => b.m - a.m);
  const sharpest = order.slice(0, Math.max(1, Math.ceil(order.length / 4))).map((o) => effect[o.i]);
  return [
    Math.min(...dirs),
    mean(dirs),
    Math.max(...dirs),
    percentile(means, 0.9),
    mean(sharpest.map((e) => Math.min(...e))),
    mean(sharpest.map((e) => Math.max(...e))),
  ];
}

function upperHalf(values: Float64Array): number[] {
  const order = Array.from(values.keys()).sort((a, b) => values[b] - values[a] || a - b);
  return order.slice(0, Math.max(1, Math.ceil(order.length / 2)));
}

function log(x: number): number {
  return Math.log(x + 0.01);
}

