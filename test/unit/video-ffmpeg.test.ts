/**
 * The video library against real ffmpeg on videos generated here with lavfi: what
 * probeVideo reports (and refuses), that exact extraction returns the frame a separate
 * `ffmpeg -i video -ss t -frames:v 1` decodes from the start, that segments agree with
 * a whole-video run byte for byte, that keyframe mode returns keyframes at their true
 * times, and that an abort leaves no ffmpeg behind.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { extractFrames, FrameCountError } from '../../src/lib/video/extract-frames';
import { extractKeyframes } from '../../src/lib/video/extract-keyframes';
import { splitSegments } from '../../src/lib/video/frame-segments';
import { frameTimes } from '../../src/lib/video/frame-times';
import { keyframeTimes } from '../../src/lib/video/packet-times';
import { NotAVideoError } from '../../src/lib/video/not-a-video-error';
import { probeVideo, VideoInfo } from '../../src/lib/video/probe-video';

let dir: string;
let server: http.Server;
let baseUrl: string;
const file = (name: string) => path.join(dir, name);

/** Runs ffmpeg and returns stdout; throws with stderr on failure. */
function ffmpeg(args: string[]): Buffer {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** Luma plane of an image file or of the frame `ffmpeg -i video -ss t -frames:v 1` gives (decoded from the start). */
function luma(input: string, t?: number): Buffer {
  const seek = t === undefined ? [] : ['-ss', String(t)];
  return ffmpeg(['-i', input, ...seek, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

const md5 = (buf: Buffer) => createHash('md5').update(buf).digest('hex');

/** A static file server with Range support (ffmpeg seeks over HTTP with ranges), like any CDN or S3 presigned URL. */
function serve(root: string): Promise<http.Server> {
  const s = http.createServer((req, res) => {
    const name = path.join(root, path.basename(decodeURIComponent(req.url ?? '/')));
    if (!existsSync(name)) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Not found</body></html>');
      return;
    }
    const size = readFileSync(name).length;
    const type = name.endsWith('.html') ? 'text/html' : 'video/mp4';
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Number(range[2]) : size - 1;
      res.writeHead(206, { 'content-type': type, 'accept-ranges': 'bytes', 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1 });
      createReadStream(name, { start, end }).pipe(res);
    } else {
      res.writeHead(200, { 'content-type': type, 'accept-ranges': 'bytes', 'content-length': size });
      createReadStream(name).pipe(res);
    }
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

/** ffmpeg processes whose command line mentions `marker`. */
function ffmpegProcessesWith(marker: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmd.includes('ffmpeg') && cmd.includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'visionflow-video-test-'));
  // 12 s of 1280x720 at 25 fps, keyframes every 2 s exactly (no scene-cut keyframes), B-frames on (veryfast).
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25', '-t', '12', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', file('clip.mp4')]);
  // The same pictures marked to be shown turned (a phone held upright): a display matrix, no re-encode.
  ffmpeg(['-i', file('clip.mp4'), '-c', 'copy', '-metadata:s:v', 'rotate=90', file('rotated.mp4')]);
  await writeFile(file("it's a clip.mp4"), await readFile(file('clip.mp4')));
  // MPEG-TS: the container clock starts at 1.4 s, not 0
  ffmpeg(['-i', file('clip.mp4'), '-c', 'copy', file('clip.ts')]);
  // NTSC rate (30000/1001) in Matroska, whose 1 ms time base rounds every timestamp.
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30000/1001', '-t', '4', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '30', '-pix_fmt', 'yuv420p', file('ntsc.mkv')]);
  ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=3', '-c:a', 'aac', file('audio.m4a')]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1', file('still.jpg')]);
  await writeFile(file('page.html'), '<!doctype html><html><head><title>Camera offline</title></head><body><h1>Camera offline</h1></body></html>\n');
  await writeFile(file('random.bin'), Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 2654435761) >>> 24)));
  server = await serve(dir);
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('probeVideo', () => {
  test('reports duration, rate, size, codec, format and keyframe interval', async () => {
    const info = await probeVideo(file('clip.mp4'));
    expect(info).toMatchObject({ input: file('clip.mp4'), durationS: 12, fps: 25, width: 1280, height: 720, rotation: 0, codec: 'h264', keyframeIntervalS: 2, startTimeS: 0 });
    expect(info.formatName).toContain('mp4');
  });

  test('a rotated video reports its rotation and the size frames come out at', async () => {
    const info = await probeVideo(file('rotated.mp4'));
    expect([90, 270]).toContain(info.rotation);
    expect([info.width, info.height]).toEqual([720, 1280]);
  });

  test('an NTSC-rate Matroska video', async () => {
    const info = await probeVideo(file('ntsc.mkv'));
    expect(info.fps).toBeCloseTo(29.97, 2);
    expect(info.formatName).toContain('matroska');
    expect(info.durationS).toBeGreaterThan(3.9);
    expect(info.keyframeIntervalS).toBeCloseTo(1.001, 2);
  });

  test('reads a video over HTTP', async () => {
    const info = await probeVideo(`${baseUrl}/clip.mp4`);
    expect(info).toMatchObject({ durationS: 12, fps: 25, width: 1280, height: 720, keyframeIntervalS: 2 });
  });

  test.each([
    ['still.jpg', /not a video: .*still\.jpg: a still image or text, not a video \(format image2, codec mjpeg\)/],
    ['page.html', /not a video: .*page\.html: ffprobe cannot read it: .*Invalid data found/],
    ['random.bin', /not a video: .*random\.bin: ffprobe cannot read it/],
    ['audio.m4a', /not a video: .*audio\.m4a: no video stream; ffprobe sees 1 audio \(aac\) stream/],
    ['missing.mp4', /not a video: .*missing\.mp4: ffprobe cannot read it: .*No such file or directory/],
  ])('%s is a NotAVideoError naming the input and what ffprobe saw', async (name, message) => {
    const err = await probeVideo(file(name)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotAVideoError);
    expect((err as NotAVideoError).input).toBe(file(name));
    expect((err as Error).message).toMatch(message);
  });

  test('a web page or a 404 at a URL is a NotAVideoError naming the URL', async () => {
    await expect(probeVideo(`${baseUrl}/page.html`)).rejects.toThrow(new RegExp(`not a video: ${baseUrl}/page.html: ffprobe cannot read it`));
    await expect(probeVideo(`${baseUrl}/nothing.mp4`)).rejects.toThrow(/not a video: .*nothing\.mp4: .*404/);
  });

  test('an abort stops ffprobe and rejects with the reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled by test'));
    await expect(probeVideo(file('clip.mp4'), controller.signal)).rejects.toThrow('cancelled by test');
  });
});

describe('extractFrames: exact times', () => {
  let clip: VideoInfo;
  beforeAll(async () => {
    clip = await probeVideo(file('clip.mp4'));
  });

  test('every 0.5 s: each frame is the one ffmpeg decodes from the start at that time', async () => {
    const progress: number[] = [];
    const out = await extractFrames(clip, { everyS: 0.5, quality: 90, onProgress: (p) => progress.push(p.frames) });
    try {
      const times = frameTimes(12, 0.5);
      expect(out.frames.map((f) => f.tS)).toEqual(times);
      expect(out.pastLastFrameS).toEqual([]);
      expect(readdirSync(out.dir).sort()).toEqual(times.map((t) => `t${String(Math.floor(t)).padStart(6, '0')}.${t % 1 ? '500' : '000'}.jpg`));
      for (const frame of out.frames) {
        // 25 fps: the first frame at or after t starts at ceil(t * 25) / 25 (0.5 -> 0.52)
        expect(frame.ptsS).toBeCloseTo(Math.ceil(frame.tS * 25 - 1e-9) / 25, 6);
      }
      // decoding from the start costs a second or so per frame: check keyframes, frames just after and late in a GOP, and the end
      for (const frame of out.frames.filter((f) => [0, 0.5, 1.5, 4, 6.5, 9, 11.5].includes(f.tS))) {
        expect(meanAbsDiff(luma(frame.file), luma(file('clip.mp4'), frame.tS))).toBeLessThan(1);
      }
      // the check can tell neighbours apart: the previous frame differs clearly
      expect(meanAbsDiff(luma(out.frames[5].file), luma(file('clip.mp4'), out.frames[5].tS - 0.04))).toBeGreaterThan(2);
      expect(progress.at(-1)).toBe(24);
      const { width, height } = await sharp(out.frames[0].file).metadata();
      expect([width, height]).toEqual([1280, 720]);
    } finally {
      await rm(out.dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['clip.mp4', 1, 'spans'],
    ['rotated.mp4', 1, 'spans'],
    ['ntsc.mkv', 0.5, 'spans'],
    ['clip.ts', 1, 'pass'], // MPEG-TS seeks only approximately: always a single pass
    ["it's a clip.mp4", 2, 'spans'], // quotes and spaces survive the concat list
  ])('%s every %s s: decoding only keyframe spans gives the same JPEGs as a single pass', async (name, everyS, decoded) => {
    const video = await probeVideo(file(name));
    const spans = await extractFrames(video, { everyS, decode: 'spans' });
    const pass = await extractFrames(video, { everyS, decode: 'pass' });
    try {
      expect(spans.decoded).toBe(decoded);
      expect(pass.decoded).toBe('pass');
      expect(spans.frames.map((f) => [f.tS, f.ptsS])).toEqual(pass.frames.map((f) => [f.tS, f.ptsS]));
      expect(spans.pastLastFrameS).toEqual(pass.pastLastFrameS);
      for (let i = 0; i < spans.frames.length; i++) expect(md5(await readFile(spans.frames[i].file))).toBe(md5(await readFile(pass.frames[i].file)));
      expect(readdirSync(spans.dir)).toHaveLength(spans.frames.length); // no concat list left behind
      const { width, height } = await sharp(spans.frames[0].file).metadata();
      expect([width, height]).toEqual([video.width, video.height]);
    } finally {
      await rm(spans.dir, { recursive: true, force: true });
      await rm(pass.dir, { recursive: true, force: true });
    }
  });

  test('every 1.5 s from 2.2 s to 9 s, over HTTP', async () => {
    const out = await extractFrames({ ...clip, input: `${baseUrl}/clip.mp4` }, { everyS: 1.5, startS: 2.2, endS: 9 });
    try {
      expect(out.frames.map((f) => f.tS)).toEqual([3, 4.5, 6, 7.5]);
      expect(out.frames.map((f) => f.ptsS)).toEqual([3, 4.52, 6, 7.52]);
      expect(out.decoded).toBe('pass'); // a span would be a new request each
      expect(meanAbsDiff(luma(out.frames[1].file), luma(file('clip.mp4'), 4.5))).toBeLessThan(1);
    } finally {
      await rm(out.dir, { recursive: true, force: true });
    }
  });

  test('NTSC rate with millisecond timestamps: still the first frame at or after each time', async () => {
    const ntsc = await probeVideo(file('ntsc.mkv'));
    const out = await extractFrames(ntsc, { everyS: 0.5 });
    try {
      // the container says 4.004 s; the last frame starts at 3.970 s, so 4.0 has no frame at or after it
      expect([...out.frames.map((f) => f.tS), ...out.pastLastFrameS]).toEqual(frameTimes(ntsc.durationS, 0.5));
      expect(out.pastLastFrameS.length).toBeLessThanOrEqual(1);
      for (const frame of out.frames) {
        expect(frame.ptsS).toBeGreaterThanOrEqual(frame.tS - 0.0005);
        expect(frame.ptsS).toBeLessThan(frame.tS + 1 / ntsc.fps);
      }
      for (const frame of out.frames.filter((f) => [0.5, 1.5, 3.5].includes(f.tS))) {
        expect(meanAbsDiff(luma(frame.file), luma(file('ntsc.mkv'), frame.tS))).toBeLessThan(1);
      }
    } finally {
      await rm(out.dir, { recursive: true, force: true });
    }
  });

  test('MPEG-TS, whose clock starts at 1.4 s: times count from the start of the video', async () => {
    const ts = await probeVideo(file('clip.ts'));
    expect(ts.startTimeS).toBeGreaterThan(1);
    const out = await extractFrames(ts, { everyS: 2.5 });
    const mp4 = await extractFrames(clip, { everyS: 2.5 });
    try {
      expect(out.frames.map((f) => [f.tS, f.ptsS])).toEqual(mp4.frames.map((f) => [f.tS, f.ptsS]));
      for (let i = 0; i < out.frames.length; i++) expect(meanAbsDiff(luma(out.frames[i].file), luma(mp4.frames[i].file))).toBeLessThan(0.5);
      // given only duration and rate, extraction reads the start time itself
      const bare = await extractFrames({ input: ts.input, durationS: ts.durationS, fps: ts.fps }, { everyS: 2.5 });
      expect(bare.frames.map((f) => f.ptsS)).toEqual(mp4.frames.map((f) => f.ptsS));
      await rm(bare.dir, { recursive: true, force: true });
      const keyframes = await extractKeyframes(ts, { everyS: 4 });
      expect(keyframes.frames.map((f) => f.tS)).toEqual([0, 4, 8]);
      await rm(keyframes.dir, { recursive: true, force: true });
    } finally {
      await rm(out.dir, { recursive: true, force: true });
      await rm(mp4.dir, { recursive: true, force: true });
    }
  });

  test('segments from splitSegments give the same frames, byte for byte, each time exactly once', async () => {
    const whole = await extractFrames(clip, { everyS: 0.5 });
    const parts = await Promise.all(splitSegments(12, 0.5, 5).map((s) => extractFrames(clip, { everyS: 0.5, startS: s.startS, endS: s.endS, threads: 1 })));
    try {
      const segmentFrames = parts.flatMap((p) => p.frames);
      expect(segmentFrames.map((f) => f.tS)).toEqual(whole.frames.map((f) => f.tS));
      for (let i = 0; i < segmentFrames.length; i++) {
        expect(segmentFrames[i].ptsS).toBe(whole.frames[i].ptsS);
        expect(md5(await readFile(segmentFrames[i].file))).toBe(md5(await readFile(whole.frames[i].file)));
      }
    } finally {
      await Promise.all([whole, ...parts].map((p) => rm(p.dir, { recursive: true, force: true })));
    }
  });

  test('applies the rotation: frames are the upright picture turned clockwise by `rotation`', async () => {
    const rotated = await probeVideo(file('rotated.mp4'));
    const out = await extractFrames(rotated, { everyS: 1, startS: 3, endS: 4, quality: 100 });
    try {
      expect(out.frames).toHaveLength(1);
      const { width, height } = await sharp(out.frames[0].file).metadata();
      expect([width, height]).toEqual([720, 1280]);
      const upright = ffmpeg(['-i', file('clip.mp4'), '-ss', '3', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
      const turned = await sharp(upright, { raw: { width: 1280, height: 720, channels: 1 } }).rotate(rotated.rotation).extractChannel(0).raw().toBuffer();
      const ours = luma(out.frames[0].file);
      const other = await sharp(upright, { raw: { width: 1280, height: 720, channels: 1 } }).rotate((rotated.rotation + 180) % 360).extractChannel(0).raw().toBuffer();
      expect(meanAbsDiff(ours, turned)).toBeLessThan(2);
      expect(meanAbsDiff(ours, other)).toBeGreaterThan(10);
    } finally {
      await rm(out.dir, { recursive: true, force: true });
    }
  });

  test('a truncated video is a FrameCountError naming the missing times, and leaves no temp folder', async () => {
    const tempParent = await mkdtemp(path.join(dir, 'parent-'));
    // the clip claims 20 s but has 12: times after 12 s have no frame
    await expect(extractFrames({ ...clip, durationS: 20 }, { everyS: 1, startS: 10, tempParent })).rejects.toThrow(FrameCountError);
    await expect(extractFrames({ ...clip, durationS: 20 }, { everyS: 1, startS: 10, tempParent })).rejects.toThrow(/expected 10 frames .*ffmpeg wrote 2; no frame at or after 12s, 13s/);
    expect(readdirSync(tempParent)).toEqual([]);
  });

  test("times in the video's last frame interval without a frame are reported, not an error", async () => {
    // every 10 ms near the end of a 25 fps video: the last frame starts at 11.96 and is shown until 12.0
    const out = await extractFrames(clip, { everyS: 0.01, startS: 11.9 });
    try {
      expect(out.frames.map((f) => [f.tS, f.ptsS])).toEqual([
        [11.9, 11.92],
        [11.91, 11.92],
        [11.92, 11.92],
        [11.93, 11.96],
        [11.94, 11.96],
        [11.95, 11.96],
        [11.96, 11.96],
      ]);
      expect(out.pastLastFrameS).toEqual([11.97, 11.98, 11.99]);
      // a frame standing for several times is copied under each name
      expect(md5(await readFile(out.frames[0].file))).toBe(md5(await readFile(out.frames[2].file)));
    } finally {
      await rm(out.dir, { recursive: true, force: true });
    }
  });

  test('an abort SIGKILLs ffmpeg: the promise rejects with the reason, no process or temp folder is left', async () => {
    const tempParent = await mkdtemp(path.join(dir, 'abort-'));
    const controller = new AbortController();
    const seen: number[] = [];
    // every frame at q100: seconds of work, aborted at the first written frame
    const run = extractFrames(clip, {
      everyS: 0.04,
      quality: 100,
      threads: 1,
      tempParent,
      signal: controller.signal,
      onProgress: () => {
        if (seen.length === 0) {
          seen.push(...ffmpegProcessesWith(tempParent));
          controller.abort(new Error('cancelled by test'));
        }
      },
    });
    await expect(run).rejects.toThrow('cancelled by test');
    expect(seen).toHaveLength(1); // ffmpeg was running when the abort came
    expect(ffmpegProcessesWith(tempParent)).toEqual([]);
    expect(existsSync(`/proc/${seen[0]}`)).toBe(false);
    expect(readdirSync(tempParent)).toEqual([]);
  });

  test('an abort before the start spawns nothing', async () => {
    const controller = new AbortController();
    controller.abort(new Error('already cancelled'));
    await expect(extractFrames(clip, { everyS: 1, signal: controller.signal })).rejects.toThrow('already cancelled');
  });
});

describe('extractKeyframes', () => {
  let clip: VideoInfo;
  beforeAll(async () => {
    clip = await probeVideo(file('clip.mp4'));
  });

  test('returns the keyframes at their true times, the same pictures as exact extraction there', async () => {
    const keyframes = await keyframeTimes(file('clip.mp4'));
    expect(keyframes).toEqual([0, 2, 4, 6, 8, 10]);
    const out = await extractKeyframes(clip);
    const exact = await extractFrames(clip, { everyS: 2 });
    try {
      expect(out.frames.map((f) => f.tS)).toEqual(keyframes);
      expect(readdirSync(out.dir).sort()).toEqual(['t000000.000.jpg', 't000002.000.jpg', 't000004.000.jpg', 't000006.000.jpg', 't000008.000.jpg', 't000010.000.jpg']);
      for (let i = 0; i < out.frames.length; i++) {
        expect(meanAbsDiff(luma(out.frames[i].file), luma(exact.frames[i].file))).toBeLessThan(0.5);
      }
    } finally {
      await rm(out.dir, { recursive: true, force: true });
      await rm(exact.dir, { recursive: true, force: true });
    }
  });

  test('with a grid: at most one keyframe per cell, the first at or after each grid time; a range', async () => {
    const sparse = await extractKeyframes(clip, { everyS: 4 });
    const ranged = await extractKeyframes(clip, { everyS: 1, startS: 3, endS: 9 });
    try {
      expect(sparse.frames.map((f) => f.tS)).toEqual([0, 4, 8]);
      expect(ranged.frames.map((f) => f.tS)).toEqual([4, 6, 8]);
    } finally {
      await rm(sparse.dir, { recursive: true, force: true });
      await rm(ranged.dir, { recursive: true, force: true });
    }
  });
});
