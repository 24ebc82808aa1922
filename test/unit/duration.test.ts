import { CAPTURE_DEFAULTS, normalizeCaptureOptions } from '../../src/lib/camera/capture-options';
import { formatDuration, parseDuration } from '../../src/lib/duration';

describe('parseDuration', () => {
  test.each([
    ['500ms', 500],
    ['20s', 20_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['60', 60_000],
    ['0.25', 250],
    ['2d', 172_800_000],
    [' 45s ', 45_000],
    ['1m500ms', 60_500],
  ])('%j is %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  test('numbers are seconds', () => {
    expect(parseDuration(2)).toBe(2000);
    expect(parseDuration(0.5)).toBe(500);
  });

  test.each(['', 'abc', '5 min', '1h 30m', '-5s', '5x', 'ms', '.5s', '1m30', '1e3'])('%j is rejected with a message naming the input', (input) => {
    expect(() => parseDuration(input, 'interval')).toThrow(`interval: '${input}' is not a duration like 500ms, 20s, 5m or 1h30m`);
  });

  test('negative and non-finite numbers are rejected', () => {
    expect(() => parseDuration(-1, 'timeout')).toThrow(/^timeout: expected a positive number of seconds, got -1/);
    expect(() => parseDuration(NaN)).toThrow(/duration: .*NaN/);
    expect(() => parseDuration(Infinity)).toThrow(/Infinity/);
  });

  test('formatDuration gives back a string parseDuration reads as the same value', () => {
    for (const ms of [500, 1500, 20_000, 300_000, 3_600_000, 5_400_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});

describe('normalizeCaptureOptions', () => {
  const base = { cameraId: 'CWL9018', url: 'https://download.data.grandlyon.com/files/rdata/pvo_patrimoine_voirie.pvocameracriter/CWL9018.JPG' };

  test('applies the defaults; undefined fields count as unset', () => {
    expect(normalizeCaptureOptions(base)).toEqual({ ...CAPTURE_DEFAULTS, ...base, destination: '' });
    expect(CAPTURE_DEFAULTS).toMatchObject({ everyMs: 60_000, hash: 'phash', maxDistance: 2, window: 1, retries: 2 });
    const o = normalizeCaptureOptions({ ...base, everyMs: undefined, hash: 'dhash', destination: 's3://frames/lyon' });
    expect(o.everyMs).toBe(60_000);
    expect(o.hash).toBe('dhash');
    expect(o.destination).toBe('s3://frames/lyon');
  });

  test.each([
    ['cameraId', { cameraId: '../x' }, "cameraId '../x'"],
    ['url', { url: 'ftp://cam.example.org/snap.jpg' }, "url 'ftp://cam.example.org/snap.jpg'"],
    ['everyMs', { everyMs: 500 }, 'everyMs must be an integer from 1000'],
    ['hash', { hash: 'md5' }, "hash 'md5' must be one of phash, dhash, ahash"],
    ['destination', { destination: 'http://bucket.example.org/frames' }, "destination 'http://bucket.example.org/frames'"],
    ['maxDistance', { maxDistance: 65 }, 'maxDistance must be an integer from 0 to 64, got 65'],
    ['window', { window: 0 }, 'window must be an integer from 1 to 1000, got 0'],
    ['retries', { retries: 1.5 }, 'retries must be an integer from 0 to 10, got 1.5'],
  ])('a bad %s is named in the error', (_name, bad, message) => {
    expect(() => normalizeCaptureOptions({ ...base, ...(bad as object) })).toThrow(message);
  });

  test('every bad field is reported in one error', () => {
    let message = '';
    try {
      normalizeCaptureOptions({ cameraId: '../x', url: 'ftp://x', everyMs: 500, hash: 'md5' as never, destination: 'http://x' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^invalid capture options: /);
    for (const name of ['cameraId', 'url', 'everyMs', 'hash', 'destination']) expect(message).toContain(`${name} `);
  });
});
