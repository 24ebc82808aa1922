/**
 * The local (no cloud) logo detector: generated, textured logos composited onto
 * street scenes and ffmpeg testsrc2 frames at known places, scales and angles. It
 * must find each placement (box IoU >= 0.5), report nothing on frames without the
 * logo or with another logo, answer in DetectCustomLabels' shape, free every
 * OpenCV object it allocates, and reject bad input with errors that say what is wrong.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import type { BoundingBox, Detection } from '../../src/lib/detection/detection';
import { confidenceOf, LocalLogoDetector } from '../../src/lib/detection/local-logo-detector';
import { boundingBoxOf, projectCorners, quadProblem } from '../../src/lib/detection/local-quad';
import { liveOpenCvObjects } from '../../src/lib/detection/orb-mat-scope';
import { loadOpenCv, openCvHeapMark } from '../../src/lib/detection/orb-opencv-runtime';
import { reencodeWithNoise, scene } from '../support/scenes';
import { acmeLogoPng } from '../support/logo-video';

const GLUE_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
const listenersAtStart = GLUE_EVENTS.map((e) => process.listenerCount(e));

/** A badge with texture ORB can latch on to: checkered bands, a star, bold text. */
const acmeLogo = acmeLogoPng;

/** A different logo: rounded badge, ring and triangle, italic serif text. */
function zenoLogo(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="120">
    <rect width="200" height="120" rx="20" fill="#2a7a3a"/>
    <circle cx="40" cy="60" r="28" fill="none" stroke="#fff" stroke-width="6"/><polygon points="40,38 58,74 22,74" fill="#fd4"/>
    <text x="78" y="74" font-family="DejaVu Serif, serif" font-style="italic" font-size="38" fill="#fff">Zeno</text>
    <path d="M80 90 L190 90 L185 98 L85 98 Z" fill="#fd4"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Frames of ffmpeg's testsrc2 pattern (the pipeline tests' video source), as PNG. */
function testsrc2Frames(dir: string, width: number, height: number, count: number): Buffer[] {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=1`, '-frames:v', String(count), path.join(dir, `ts-${width}-%02d.png`)]);
  return Array.from({ length: count }, (_, i) => fs.readFileSync(path.join(dir, `ts-${width}-${String(i + 1).padStart(2, '0')}.png`)));
}

interface Placement {
  scale?: number;
  angle?: number;
  shear?: number;
  left: number;
  top: number;
}

/** `logo` drawn onto `background` (JPEG out, like extracted frames) and the box it covers. */
async function place(background: Buffer, logo: Buffer, p: Placement): Promise<{ frame: Buffer; box: BoundingBox }> {
  const meta = await sharp(logo).metadata();
  const scale = p.scale ?? 1;
  let art = await sharp(logo).resize(Math.round(meta.width! * scale), Math.round(meta.height! * scale)).png().toBuffer();
  const clear = { r: 0, g: 0, b: 0, alpha: 0 };
  if (p.angle) art = await sharp(art).rotate(p.angle, { background: clear }).png().toBuffer();
  if (p.shear) art = await sharp(art).affine([[1, p.shear], [0, 1]], { background: clear }).png().toBuffer();
  const artMeta = await sharp(art).metadata();
  const bg = await sharp(background).metadata();
  const frame = await sharp(background).composite([{ input: art, left: p.left, top: p.top }]).jpeg({ quality: 85 }).toBuffer();
  return { frame, box: { Left: p.left / bg.width!, Top: p.top / bg.height!, Width: artMeta.width! / bg.width!, Height: artMeta.height! / bg.height! } };
}

function iou(a: BoundingBox, b: BoundingBox): number {
  const x = Math.max(0, Math.min(a.Left + a.Width, b.Left + b.Width) - Math.max(a.Left, b.Left));
  const y = Math.max(0, Math.min(a.Top + a.Height, b.Top + b.Height) - Math.max(a.Top, b.Top));
  return (x * y) / (a.Width * a.Height + b.Width * b.Height - x * y);
}

function expectShape(d: Detection): void {
  expect(typeof d.Name).toBe('string');
  expect(d.Confidence).toBeGreaterThanOrEqual(0);
  expect(d.Confidence).toBeLessThanOrEqual(100);
  const b = d.Geometry!.BoundingBox;
  for (const v of [b.Left, b.Top, b.Width, b.Height]) {
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(1);
  }
  expect(b.Left + b.Width).toBeLessThanOrEqual(1 + 1e-9);
  expect(b.Top + b.Height).toBeLessThanOrEqual(1 + 1e-9);
}

const MIN_CONFIDENCE = 40;

describe('LocalLogoDetector', () => {
  let dir: string;
  let acme: Buffer;
  let zeno: Buffer;
  let streets: Buffer[];
  let testsrc: Buffer[];
  let detector: LocalLogoDetector;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vf-local-logo-'));
    [acme, zeno] = await Promise.all([acmeLogo(), zenoLogo()]);
    streets = await Promise.all([1, 2, 3].map((seed) => scene(seed)));
    testsrc = testsrc2Frames(dir, 640, 360, 4);
    detector = await LocalLogoDetector.create([
      { label: 'acme', image: acme },
      { label: 'zeno', image: zeno },
    ]);
  });
  afterAll(() => {
    detector?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const backgrounds = () => [...streets.map((b, i) => [`street ${i + 1}`, b] as const), ...testsrc.map((b, i) => [`testsrc2 frame ${i + 1}`, b] as const)];

  test('finds the logo at 0.5x to 2x of its reference size, anywhere in the frame', async () => {
    const misses: string[] = [];
    let checked = 0;
    for (const [i, [name, bg]] of backgrounds().entries()) {
      for (const scale of [0.5, 0.75, 1, 1.5, 2]) {
        const left = Math.round((i * 97 + scale * 140) % (640 - 200 * scale));
        const top = Math.round((i * 53 + scale * 70) % (360 - 120 * scale));
        const { frame, box } = await place(bg, acme, { scale, left, top });
        const found = await detector.detect({ bytes: frame }, MIN_CONFIDENCE);
        found.forEach(expectShape);
        const hit = found.find((d) => d.Name === 'acme');
        if (!hit || iou(hit.Geometry!.BoundingBox, box) < 0.5 || found.some((d) => d.Name !== 'acme')) {
          misses.push(`${name} scale ${scale} at ${left},${top}: ${JSON.stringify(found)}`);
        } else {
          expect(hit.Confidence).toBeGreaterThanOrEqual(MIN_CONFIDENCE);
        }
        checked++;
      }
    }
    expect(misses).toEqual([]);
    expect(checked).toBe(35);
  });

  test.each([
    ['rotated 15 degrees', { angle: 15, left: 100, top: 60 }],
    ['rotated -30 degrees and smaller', { scale: 0.8, angle: -30, left: 300, top: 100 }],
    ['upside down', { angle: 180, left: 220, top: 140 }],
    ['sheared (mild perspective)', { shear: 0.25, left: 200, top: 150 }],
    ['in the top-left corner', { scale: 0.6, left: 0, top: 0 }],
    ['in the bottom-right corner', { scale: 0.6, left: 640 - 120, top: 360 - 72 }],
  ])('finds the logo %s', async (_name, placement) => {
    for (const bg of [streets[0], testsrc[1]]) {
      const { frame, box } = await place(bg, acme, placement);
      const found = await detector.detect({ bytes: frame }, MIN_CONFIDENCE);
      expect(found.map((d) => d.Name)).toEqual(['acme']);
      expect(iou(found[0].Geometry!.BoundingBox, box)).toBeGreaterThanOrEqual(0.5);
    }
  });

  test('survives a noisy, re-encoded frame', async () => {
    const { frame, box } = await place(streets[1], acme, { scale: 0.7, left: 400, top: 200 });
    const noisy = await reencodeWithNoise(frame, 7, 1.08, 60);
    const found = await detector.detect({ bytes: noisy }, MIN_CONFIDENCE);
    expect(found.map((d) => d.Name)).toEqual(['acme']);
    expect(iou(found[0].Geometry!.BoundingBox, box)).toBeGreaterThanOrEqual(0.5);
  });

  test('reports nothing on frames without a logo', async () => {
    for (const [name, bg] of backgrounds()) {
      const frame = await sharp(bg).jpeg({ quality: 85 }).toBuffer();
      expect([name, await detector.detect({ bytes: frame }, 0)]).toEqual([name, []]);
    }
  });

  test('tells logos apart: another logo is not this one, and both are found when both are there', async () => {
    const acmeOnly = await LocalLogoDetector.create([{ label: 'acme', image: acme }]);
    try {
      for (const [name, bg] of backgrounds()) {
        for (const p of [{ left: 150, top: 100 }, { scale: 1.6, left: 250, top: 80 }, { scale: 0.6, left: 30, top: 200 }]) {
          const { frame, box } = await place(bg, zeno, p);
          expect([name, p, await acmeOnly.detect({ bytes: frame }, 0)]).toEqual([name, p, []]);
          const both = await detector.detect({ bytes: frame }, MIN_CONFIDENCE);
          expect(both.map((d) => d.Name)).toEqual(['zeno']);
          expect(iou(both[0].Geometry!.BoundingBox, box)).toBeGreaterThanOrEqual(0.5);
        }
      }
    } finally {
      acmeOnly.close();
    }

    const first = await place(testsrc[2], acme, { scale: 0.8, left: 20, top: 30 });
    const second = await place(first.frame, zeno, { scale: 1.2, left: 340, top: 180 });
    const found = await detector.detect({ bytes: second.frame }, MIN_CONFIDENCE);
    expect(found.map((d) => d.Name).sort()).toEqual(['acme', 'zeno']);
    expect(iou(found.find((d) => d.Name === 'acme')!.Geometry!.BoundingBox, first.box)).toBeGreaterThanOrEqual(0.5);
    expect(iou(found.find((d) => d.Name === 'zeno')!.Geometry!.BoundingBox, second.box)).toBeGreaterThanOrEqual(0.5);
  });

  test('a 1920x1080 frame is matched shrunk, and its box is still in fractions of the full frame', async () => {
    const [big] = testsrc2Frames(dir, 1920, 1080, 1);
    const { frame, box } = await place(big, acme, { scale: 2, left: 1300, top: 700 });
    const found = await detector.detect({ bytes: frame }, MIN_CONFIDENCE);
    expect(found.map((d) => d.Name)).toEqual(['acme']);
    expect(iou(found[0].Geometry!.BoundingBox, box)).toBeGreaterThanOrEqual(0.5);
  });

  test('several references may share a label: one detection, from the best of them', async () => {
    const smallCopy = await sharp(acme).resize(120).png().toBuffer();
    const twoRefs = await LocalLogoDetector.create([
      { label: 'acme', image: acme },
      { label: 'acme', image: smallCopy },
    ]);
    try {
      expect(twoRefs.labels).toEqual(['acme']);
      const { frame, box } = await place(streets[2], acme, { left: 50, top: 50 });
      const found = await twoRefs.detect({ bytes: frame }, MIN_CONFIDENCE);
      expect(found).toHaveLength(1);
      expect(iou(found[0].Geometry!.BoundingBox, box)).toBeGreaterThanOrEqual(0.5);
    } finally {
      twoRefs.close();
    }
  });

  test('minConfidence filters; Confidence is the documented formula of the inliers', async () => {
    const { frame } = await place(testsrc[0], acme, { left: 200, top: 100 });
    const [m] = await detector.match({ bytes: frame });
    expect(m.label).toBe('acme');
    expect(m.inliers).toBeGreaterThanOrEqual(10);
    expect(m.inliers).toBeLessThanOrEqual(m.matches);
    expect(m.confidence).toBe(confidenceOf(m.inliers, m.matches));
    expect(await detector.detect({ bytes: frame }, m.confidence)).toHaveLength(1);
    expect(await detector.detect({ bytes: frame }, Math.min(100, m.confidence + 0.1))).toEqual([]);
    expect(await detector.detect({ bytes: frame }, 0)).toHaveLength(1);
  });

  test('confidence: 100 * n/(n+10) * min(1, 0.5 + n/m), rounded to 0.1', () => {
    expect(confidenceOf(10, 10)).toBe(50);
    expect(confidenceOf(30, 40)).toBe(75);
    expect(confidenceOf(90, 100)).toBe(90);
    expect(confidenceOf(10, 40)).toBe(37.5);
    expect(confidenceOf(0, 40)).toBe(0);
    expect(confidenceOf(1e6, 1e6)).toBeLessThanOrEqual(100);
  });

  test('200 detect calls leave no OpenCV objects behind and no memory held', async () => {
    const { frame } = await place(streets[0], acme, { scale: 0.9, left: 320, top: 120 });
    const empty = await sharp(testsrc[3]).jpeg().toBuffer();
    const { cv } = await loadOpenCv();
    for (let i = 0; i < 10; i++) await detector.detect({ bytes: i % 2 ? empty : frame }, 0);
    const live = liveOpenCvObjects();
    const mark = openCvHeapMark(cv);
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 200; i++) {
      const found = await detector.detect({ bytes: i % 2 ? empty : frame }, 0);
      expect(found).toHaveLength(i % 2 ? 0 : 1);
      expect(liveOpenCvObjects()).toBe(live);
    }
    // Leaking one padded 640x360 grey Mat per call would hold 59 MB of the WebAssembly heap.
    expect(openCvHeapMark(cv) - mark).toBeLessThanOrEqual(256 * 1024);
    expect(process.memoryUsage().rss - rss).toBeLessThan(40 * 1024 * 1024);

    const extra = await LocalLogoDetector.create([{ label: 'zeno', image: zeno }]);
    expect(liveOpenCvObjects()).toBeGreaterThan(live);
    extra.close();
    extra.close();
    expect(liveOpenCvObjects()).toBe(live);
    await expect(extra.detect({ bytes: frame }, 0)).rejects.toThrow(/closed/);
  });

  test('loading OpenCV leaves the process error handlers as they were', async () => {
    await loadOpenCv();
    expect(GLUE_EVENTS.map((e) => process.listenerCount(e))).toEqual(listenersAtStart);
  });

  describe('bad input', () => {
    test('a frame only in S3 is refused with a clear error; so is a frame with nothing', async () => {
      await expect(detector.detect({ s3: { bucket: 'frames', key: 'clip/t000001.000.jpg' } }, 50)).rejects.toThrow(
        /local detector reads frames as bytes.*s3:\/\/frames\/clip\/t000001\.000\.jpg/,
      );
      await expect(detector.detect({}, 50)).rejects.toThrow(/neither bytes nor an S3 location/);
    });

    test('bytes that are not an image name the frame', async () => {
      await expect(detector.detect({ bytes: Buffer.from('not a jpeg at all') }, 50)).rejects.toThrow(/^frame is not an image sharp can decode/);
      await expect(detector.detect({ bytes: Buffer.alloc(0) }, 50)).rejects.toThrow(/frame is empty/);
    });

    test('a tiny or featureless frame has no detections', async () => {
      const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } }).png().toBuffer();
      const flat = await sharp({ create: { width: 640, height: 360, channels: 3, background: '#777777' } }).jpeg().toBuffer();
      expect(await detector.detect({ bytes: tiny }, 0)).toEqual([]);
      expect(await detector.detect({ bytes: flat }, 0)).toEqual([]);
    });

    test('minConfidence outside 0-100 is rejected', async () => {
      const { frame } = await place(streets[0], acme, { left: 10, top: 10 });
      await expect(detector.detect({ bytes: frame }, 101)).rejects.toThrow(/minConfidence must be a number from 0 to 100, got 101/);
      await expect(detector.detect({ bytes: frame }, Number.NaN)).rejects.toThrow(/minConfidence/);
    });

    test('an aborted signal stops the call', async () => {
      const { frame } = await place(streets[0], acme, { left: 10, top: 10 });
      const controller = new AbortController();
      controller.abort();
      await expect(detector.detect({ bytes: frame }, 50, controller.signal)).rejects.toThrow(/abort/i);
    });

    test('a flat reference (no corners to match) is refused at creation, naming the label', async () => {
      const redBox = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#ff0000' } }).png().toBuffer();
      await expect(LocalLogoDetector.create([{ label: 'red-box', image: redBox }])).rejects.toThrow(/reference image for label 'red-box' \(120x80\) has only \d+ ORB features/);
    });

    test('bad references and options are refused up front, naming what is wrong', async () => {
      await expect(LocalLogoDetector.create([])).rejects.toThrow(/at least one reference/);
      await expect(LocalLogoDetector.create([{ label: '', image: acme }])).rejects.toThrow(/reference 0: label must be a non-empty string/);
      await expect(LocalLogoDetector.create([{ label: 'x', image: 'acme.png' as unknown as Buffer }])).rejects.toThrow(/reference 0 \('x'\): image must be a Buffer/);
      await expect(LocalLogoDetector.create([{ label: 'x', image: Buffer.from('nope') }])).rejects.toThrow(/reference image for label 'x' is not an image/);
      await expect(LocalLogoDetector.create([{ label: 'x', image: acme }], { ratio: 2 })).rejects.toThrow(/option ratio must be a number from 0.1 to 1, got 2/);
      await expect(LocalLogoDetector.create([{ label: 'x', image: acme }], { minInliers: 4 })).rejects.toThrow(/option minInliers must be an integer from 8/);
      await expect(LocalLogoDetector.create([{ label: 'x', image: acme }], { maxFrameSide: 12.5 })).rejects.toThrow(/option maxFrameSide/);
      await expect(LocalLogoDetector.create([{ label: 'x', image: acme }], { quadLimits: { maxScale: -1 } })).rejects.toThrow(/quadLimits\.maxScale/);
    });
  });
});

describe('logo quad geometry', () => {
  const identity = [1, 0, 0, 0, 1, 0, 0, 0, 1];

  test('projects the reference corners and accepts a plain, scaled or rotated view', () => {
    expect(projectCorners(identity, 200, 120)).toEqual([
      { x: 0, y: 0 },
      { x: 200, y: 0 },
      { x: 200, y: 120 },
      { x: 0, y: 120 },
    ]);
    const c = Math.cos(0.5);
    const s = Math.sin(0.5);
    for (const h of [identity, [2, 0, 30, 0, 2, 40, 0, 0, 1], [c, -s, 100, s, c, 50, 0, 0, 1]]) {
      expect(quadProblem(projectCorners(h, 200, 120)!, 200, 120)).toBeUndefined();
    }
  });

  test('rejects mirrored, collapsed, wildly skewed or out-of-scale quads', () => {
    expect(quadProblem(projectCorners([-1, 0, 300, 0, 1, 0, 0, 0, 1], 200, 120)!, 200, 120)).toMatch(/mirrored/);
    expect(quadProblem(projectCorners([0.02, 0, 0, 0, 0.02, 0, 0, 0, 1], 200, 120)!, 200, 120)).toMatch(/side of/);
    expect(quadProblem(projectCorners([1, 3, 0, 0, 1, 0, 0, 0, 1], 200, 120)!, 200, 120)).toMatch(/angle/);
    expect(quadProblem(projectCorners([20, 0, 0, 0, 20, 0, 0, 0, 1], 200, 120)!, 200, 120)).toMatch(/scale/);
    expect(quadProblem(projectCorners([3, 0, 0, 0, 1, 0, 0, 0, 1], 200, 120)!, 200, 120)).toMatch(/aspect/);
    const keystone = [
      { x: 0, y: 0 },
      { x: 300, y: 0 },
      { x: 180, y: 120 },
      { x: 120, y: 120 },
    ];
    expect(quadProblem(keystone, 200, 120)).toMatch(/opposite sides differ 5\.0x/);
    expect(projectCorners([1, 0, 0, 0, 1, 0, -0.01, 0, 1], 200, 120)).toBeUndefined();
  });

  test('boxes are clipped to the frame and given as fractions', () => {
    const quad = [
      { x: -20, y: 10 },
      { x: 100, y: 10 },
      { x: 100, y: 400 },
      { x: -20, y: 400 },
    ];
    expect(boundingBoxOf(quad, 640, 360)).toEqual({ Left: 0, Top: 10 / 360, Width: 100 / 640, Height: 350 / 360 });
    expect(boundingBoxOf(quad.map((p) => ({ x: p.x - 200, y: p.y })), 640, 360)).toBeUndefined();
  });
});
