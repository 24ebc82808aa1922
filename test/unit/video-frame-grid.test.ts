/**
 * The frame grid without ffmpeg: which times a video is sampled at, what each frame
 * file is called, how a video is split between workers, and the select expression
 * that picks the frames.
 */
import { concatList } from '../../src/lib/video/concat-list';
import { planDecode } from '../../src/lib/video/decode-plan';
import { splitSegments, splitSegmentsEvenly } from '../../src/lib/video/frame-segments';
import { frameFileName, frameName, frameTimes } from '../../src/lib/video/frame-times';
import { gridSelect, seekFor } from '../../src/lib/video/grid-select';
import { jpegQscale } from '../../src/lib/video/jpeg-quality';

describe('frameTimes', () => {
  test('starts at 0 and stops before the duration', () => {
    expect(frameTimes(5, 1)).toEqual([0, 1, 2, 3, 4]);
    expect(frameTimes(5.001, 1)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(frameTimes(0, 1)).toEqual([]);
  });

  test('fractional steps land on exact decimals, without float drift', () => {
    const half = frameTimes(12, 0.5);
    expect(half).toHaveLength(24);
    expect(half.slice(0, 4)).toEqual([0, 0.5, 1, 1.5]);
    expect(half.at(-1)).toBe(11.5);
    expect(frameTimes(4.6, 1.5)).toEqual([0, 1.5, 3, 4.5]);
    const tenth = frameTimes(600, 0.1);
    expect(tenth).toHaveLength(6000);
    expect(tenth[3]).toBe(0.3); // 0.1 * 3 would be 0.30000000000000004
    expect(tenth[5999]).toBe(599.9);
    for (const t of tenth) expect(String(t)).toMatch(/^\d+(\.\d)?$/);
  });

  test('a sub-range keeps the times of the whole grid', () => {
    expect(frameTimes(12, 0.5, 2.2, 4)).toEqual([2.5, 3, 3.5]);
    expect(frameTimes(12, 1.5, 2, 100)).toEqual([3, 4.5, 6, 7.5, 9, 10.5]);
    expect(frameTimes(12, 1, 3, 3)).toEqual([]);
  });

  test('rejects steps and ranges that make no sense, naming the value', () => {
    expect(() => frameTimes(10, 0)).toThrow(/everyS must be a positive number.*0/);
    expect(() => frameTimes(10, -1)).toThrow(/everyS/);
    expect(() => frameTimes(10, 0.0001)).toThrow(/at least 0.001/);
    expect(() => frameTimes(-1, 1)).toThrow(/durationS/);
    expect(() => frameTimes(10, 1, 5, 2)).toThrow(/endS \(2\) must not be before startS \(5\)/);
  });
});

describe('frameName', () => {
  test('zero-pads seconds to 6 digits and milliseconds to 3, under the video name', () => {
    expect(frameName('cam1', 12.5)).toBe('cam1/t000012.500.jpg');
    expect(frameName('cam1', 0)).toBe('cam1/t000000.000.jpg');
    expect(frameFileName(3599.999)).toBe('t003599.999.jpg');
    expect(frameFileName(0.3)).toBe('t000000.300.jpg');
    expect(frameFileName(0.1 * 3)).toBe('t000000.300.jpg');
  });

  test('a plain sort of the names is the time order', () => {
    const times = [0, 0.5, 1, 9.5, 10, 99.9, 100, 1000, 12345.678];
    const names = times.map((t) => frameFileName(t));
    expect([...names].sort()).toEqual(names);
  });

  test('rejects names with slashes and times it cannot write', () => {
    expect(() => frameName('a/b', 1)).toThrow(/plain name/);
    expect(() => frameName('..', 1)).toThrow(/plain name/);
    expect(() => frameFileName(-1)).toThrow(/0-999999.999/);
    expect(() => frameFileName(1e6)).toThrow(/0-999999.999/);
  });
});

describe('splitSegments', () => {
  test('segments sit on the grid and every time belongs to exactly one', () => {
    for (const [duration, every, segment] of [
      [12, 0.5, 5],
      [600, 1, 60],
      [600, 1, 301],
      [10.01, 1.5, 4],
      [7, 0.1, 0.35],
      [3, 1, 100],
    ]) {
      const segments = splitSegments(duration, every, segment);
      const all = frameTimes(duration, every);
      expect(segments.flatMap((s) => s.times)).toEqual(all);
      expect(segments[0].startS).toBe(0);
      expect(segments.at(-1)?.endS).toBe(duration);
      segments.forEach((s, i) => {
        expect(s.index).toBe(i);
        expect(s.times).toEqual(frameTimes(duration, every, s.startS, s.endS));
        if (i > 0) expect(s.startS).toBe(segments[i - 1].endS);
      });
    }
  });

  test('rounds the segment length to whole grid steps, at least one', () => {
    expect(splitSegments(12, 0.5, 5).map((s) => [s.startS, s.endS])).toEqual([
      [0, 5],
      [5, 10],
      [10, 12],
    ]);
    expect(splitSegments(3, 1, 0.2).map((s) => s.times)).toEqual([[0], [1], [2]]);
    expect(splitSegments(0, 1, 10)).toEqual([]);
  });

  test('splitSegmentsEvenly gives one segment per worker with near-equal frame counts', () => {
    const two = splitSegmentsEvenly(600, 1, 2);
    expect(two.map((s) => s.times.length)).toEqual([300, 300]);
    const three = splitSegmentsEvenly(10, 1, 3);
    expect(three.map((s) => s.times.length)).toEqual([4, 4, 2]);
    expect(() => splitSegmentsEvenly(10, 1, 0)).toThrow(/count/);
  });
});

describe('gridSelect and jpegQscale', () => {
  test('the select expression keeps the first frame of each grid cell, on the file\'s own timestamps', () => {
    expect(seekFor(0)).toBe(0);
    expect(seekFor(12.5)).toBeCloseTo(12.4995, 9);
    expect(gridSelect({ everyS: 0.5 })).toBe("select='if(isnan(prev_selected_t),1,gt(floor((t+0.0005)/0.5),floor((prev_selected_t+0.0005)/0.5)))'");
    // MPEG-TS starts its clock at 1.4 s: t counts from there
    expect(gridSelect({ everyS: 1.5, timeOffsetS: -1.4 })).toBe("select='if(isnan(prev_selected_t),1,gt(floor((t-1.3995)/1.5),floor((prev_selected_t-1.3995)/1.5)))'");
    expect(gridSelect({ everyS: 2, also: 'key' })).toMatch(/^select='if\(key,if\(isnan/);
    expect(gridSelect({ everyS: 0.1, timeOffsetS: 0.08 })).not.toMatch(/\s/);
  });

  test('quality 1-100 maps onto mjpeg qscale 31-2', () => {
    expect(jpegQscale(100)).toBe(2);
    expect(jpegQscale(1)).toBe(31);
    expect(jpegQscale(90)).toBe(5);
    expect(() => jpegQscale(0)).toThrow(/quality must be an integer 1-100, got 0/);
    expect(() => jpegQscale(50.5)).toThrow(/50.5/);
  });
});

describe('planDecode and concatList', () => {
  // 25 fps, a keyframe every 2 s, 12 s
  const frames = Array.from({ length: 300 }, (_, i) => Math.round(i * 40) / 1000);
  const packets = { frames, keyframes: frames.filter((_, i) => i % 50 === 0) };

  test('one frame per second: each span runs from a keyframe to the frame one second later', () => {
    const plan = planDecode(packets, frameTimes(12, 1), 12);
    expect(plan?.spans).toEqual([0, 2, 4, 6, 8, 10].map((k) => ({ fromS: k, toS: k + 1 })));
    expect(plan?.decodedFrames).toBe(6 * 26);
    expect(plan?.passFrames).toBe(300);
    expect(plan?.frameFor.get(3)).toBe(3);
  });

  test('times between frames get the next frame; a segment starts at the keyframe before its first time', () => {
    const plan = planDecode(packets, frameTimes(12, 0.5, 5, 8), 8);
    expect(plan?.spans).toEqual([
      { fromS: 4, toS: 5.52 },
      { fromS: 6, toS: 7.52 },
    ]);
    expect(plan?.frameFor.get(5.5)).toBe(5.52);
    expect(plan?.passFrames).toBe(100); // 4.00 .. 7.96
  });

  test('a time without a frame before the segment end gets no span; no plan without a keyframe', () => {
    expect(planDecode(packets, [11, 11.99], 12)?.spans).toEqual([{ fromS: 10, toS: 11 }]);
    expect(planDecode(packets, [11.99], 12)).toBeUndefined();
    expect(planDecode({ frames, keyframes: [] }, [1], 12)).toBeUndefined();
  });

  test('the concat list seeks to each keyframe, stops after the last wanted frame and keeps the timeline', () => {
    const list = concatList("/videos/it's.mp4", [
      { fromS: 0, toS: 1 },
      { fromS: 4, toS: 5.52 },
    ], 1.4);
    expect(list).toBe(
      [
        'ffconcat version 1.0',
        "file '/videos/it'\\''s.mp4'",
        'inpoint 1.400000',
        'outpoint 2.400500',
        'duration 4.000000',
        "file '/videos/it'\\''s.mp4'",
        'inpoint 5.400000',
        'outpoint 6.920500',
        'duration 1.520500',
        '',
      ].join('\n'),
    );
  });
});
