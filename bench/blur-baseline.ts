/**
 * The baseline of the `blur` part: variance of the Laplacian, the classic OpenCV
 * recipe `cv2.Laplacian(gray, cv2.CV_64F).var()` (3x3 kernel [0,1,0; 1,-4,1; 0,1,0],
 * borders reflected like OpenCV's default BORDER_REFLECT_101), with one threshold:
 * below it an image is "blurred". Computed here on the grey analysis image ours sees
 * (long side 1024), and, when the bench venv has OpenCV, by cv2 itself on the same
 * files as a cross-check and for its speed.
 */
import { spawnSync } from 'node:child_process';
import { GreyImage } from '../src/lib/blur/tile-stats';
import { Outcome } from './python-baseline';
import { prepareOpencv } from './video-opencv-baseline';

/** Variance of the 4-neighbour Laplacian over every pixel, borders reflected (BORDER_REFLECT_101), in float64 as CV_64F does. */
export function laplacianVariance(img: GreyImage): number {
  const { data, width: w, height: h } = img;
  if (w < 2 || h < 2) throw new Error(`laplacianVariance needs at least 2x2 pixels, got ${w}x${h}`);
  // reflect-101: index -1 reads 1, index n reads n-2
  const at = (x: number, y: number) => data[(y < 0 ? -y : y >= h ? 2 * h - 2 - y : y) * w + (x < 0 ? -x : x >= w ? 2 * w - 2 - x : x)];
  let sum = 0;
  let sumSq = 0;
  const add = (lap: number) => {
    sum += lap;
    sumSq += lap * lap;
  };
  for (let y = 0; y < h; y++) {
    const border = y === 0 || y === h - 1;
    if (border) {
      for (let x = 0; x < w; x++) add(at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4 * at(x, y));
      continue;
    }
    add(at(-1, y) + at(1, y) + at(0, y - 1) + at(0, y + 1) - 4 * at(0, y));
    let i = y * w + 1;
    for (let x = 1; x < w - 1; x++, i++) add(data[i - 1] + data[i + 1] + data[i - w] + data[i + w] - 4 * data[i]);
    add(at(w - 2, y) + at(w, y) + at(w - 1, y - 1) + at(w - 1, y + 1) - 4 * at(w - 1, y));
  }
  const n = w * h;
  const mean = sum / n;
  return Math.max(0, sumSq / n - mean * mean);
}

export interface ThresholdFit {
  /** An image is called blurred when its variance is below this. */
  threshold: number;
  /** Binary accuracy on the data the threshold was fitted on. */
  accuracy: number;
}

/**
 * The threshold with the best binary accuracy on `samples` (blurred when value < threshold):
 * every midpoint between neighbouring sorted values is tried, plus one below and one above
 * all of them; the first best (lowest) wins.
 */
export function fitThreshold(samples: readonly { value: number; blurred: boolean }[]): ThresholdFit {
  if (samples.length === 0) throw new Error('fitThreshold: no samples');
  const sorted = [...samples].sort((a, b) => a.value - b.value);
  const totalSharp = sorted.filter((s) => !s.blurred).length;
  // Threshold below everything: all called sharp.
  let best = { threshold: sorted[0].value - 1, correct: totalSharp };
  let blurredBelow = 0;
  let sharpBelow = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].blurred) blurredBelow++;
    else sharpBelow++;
    if (i + 1 < sorted.length && sorted[i + 1].value === sorted[i].value) continue;
    const threshold = i + 1 < sorted.length ? (sorted[i].value + sorted[i + 1].value) / 2 : sorted[i].value + 1;
    const correct = blurredBelow + (totalSharp - sharpBelow);
    if (correct > best.correct) best = { threshold, correct };
  }
  return { threshold: best.threshold, accuracy: best.correct / samples.length };
}

export interface OpencvLaplacian {
  versions: { python: string; opencv: string; numpy: string };
  /** cv2.Laplacian(gray, CV_64F).var() per file, in the order given. */
  values: number[];
  /** Per file, seconds inside Python for imread + cvtColor + (resize) + Laplacian + var, one OpenCV thread. */
  seconds: number[];
  /** cv2.Laplacian(...).var() of each grey PNG given as `greyFiles`, read as is: checks our kernel on identical pixels. */
  greyValues: number[];
}

/**
 * The recipe as users run it: cv2.imread, cvtColor BGR2GRAY, INTER_AREA down to a 1024 px
 * long side when larger, cv2.Laplacian(gray, cv2.CV_64F).var(); cv2.setNumThreads(1) so
 * its time is per core. `rounds` passes over the files after one warm-up pass; `seconds`
 * holds each file's median over the rounds. `greyFiles` (8-bit grey PNGs) are scored as
 * they are, without conversion or resize.
 */
const OPENCV_SCRIPT = `
import json, sys, time, cv2
req = json.loads(sys.stdin.read())
cv2.setNumThreads(1)
def score(f):
    g = cv2.cvtColor(cv2.imread(f), cv2.COLOR_BGR2GRAY)
    h, w = g.shape
    s = req["size"] / max(h, w)
    if s < 1:
        g = cv2.resize(g, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(g, cv2.CV_64F).var())
values = [score(f) for f in req["files"]]
times = [[] for _ in req["files"]]
for _ in range(req["rounds"]):
    for i, f in enumerate(req["files"]):
        t = time.perf_counter()
        score(f)
        times[i].append(time.perf_counter() - t)
grey = [float(cv2.Laplacian(cv2.imread(f, cv2.IMREAD_GRAYSCALE), cv2.CV_64F).var()) for f in req["grey"]]
print(json.dumps({"values": values, "seconds": [sorted(t)[len(t) // 2] for t in times] if req["rounds"] else [], "greyValues": grey}))
`;

export function opencvLaplacian(venvDir: string, files: readonly string[], size: number, rounds: number, greyFiles: readonly string[] = []): Outcome<OpencvLaplacian> {
  const cv = prepareOpencv(venvDir);
  if (!cv.ok) return cv;
  const run = spawnSync(cv.value.python, ['-c', OPENCV_SCRIPT], { input: JSON.stringify({ files, size, rounds, grey: greyFiles }), encoding: 'utf8', timeout: 600_000, maxBuffer: 64 * 2 ** 20 });
  if (run.status !== 0) {
    return { ok: false, reason: `python exited with ${run.status ?? run.signal}: ${(run.stderr || run.error?.message || '').trim().split('\n').slice(-2).join(' | ')}` };
  }
  try {
    const answer = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '') as Omit<OpencvLaplacian, 'versions'>;
    return { ok: true, value: { versions: cv.value.versions, ...answer } };
  } catch {
    return { ok: false, reason: `the OpenCV Laplacian script gave no answer: ${run.stderr.trim().split('\n').slice(-2).join(' | ') || '(no output)'}` };
  }
}
