/**
 * The frame grid: the times (0, every, 2*every, ...) a video is sampled at, and the
 * file name each sampled frame gets. Times are whole milliseconds internally, so
 * fractional steps (0.5 s, 1.5 s, 0.1 s) never drift: 0.1 * 3 is 0.30000000000000004
 * in floating point, 100 ms * 3 is 300 ms.
 */

/** Seconds to whole milliseconds (the grid's resolution). */
export function toMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

/** Milliseconds on the grid back to seconds, exactly as written in decimal (300 -> 0.3). */
export function fromMs(ms: number): number {
  return ms / 1000;
}

/** The step in ms, validated: a positive number of at least 1 ms. */
export function stepMs(everyS: number): number {
  if (!Number.isFinite(everyS) || everyS <= 0) throw new RangeError(`everyS must be a positive number of seconds, got ${everyS}`);
  const ms = toMs(everyS);
  if (ms < 1) throw new RangeError(`everyS must be at least 0.001 s (the grid resolution), got ${everyS}`);
  return ms;
}

/**
 * Grid times in [startS, min(endS, durationS)): multiples of everyS counted from 0, so
 * any sub-range (a segment, a resumed run) lands on the same times as the whole video.
 */
export function frameTimes(durationS: number, everyS: number, startS = 0, endS = durationS): number[] {
  if (!Number.isFinite(durationS) || durationS < 0) throw new RangeError(`durationS must be a non-negative number, got ${durationS}`);
  if (!Number.isFinite(startS) || startS < 0) throw new RangeError(`startS must be a non-negative number, got ${startS}`);
  if (!(endS >= startS)) throw new RangeError(`endS (${endS}) must not be before startS (${startS})`);
  const every = stepMs(everyS);
  const end = Math.min(endS, durationS) * 1000;
  const times: number[] = [];
  for (let k = Math.ceil(toMs(startS) / every); k * every < end; k++) times.push(fromMs(k * every));
  return times;
}

/** Widest time frameName can write: 999999.999 s (11.6 days). */
const MAX_NAME_MS = 999_999_999;

/**
 * `t000012.500.jpg` for 12.5 s: seconds zero-padded to 6 digits plus 3-digit ms, so a
 * plain sort of the names is the time order. The video name is the folder, which keeps
 * frames of different videos apart without lengthening every name.
 */
export function frameName(videoName: string, tS: number): string {
  if (videoName === '' || /[/\\]/.test(videoName) || videoName === '.' || videoName === '..') {
    throw new RangeError(`videoName must be a plain name without slashes, got '${videoName}'`);
  }
  return `${videoName}/${frameFileName(tS)}`;
}

/** The file part of frameName: `t000012.500.jpg`. */
export function frameFileName(tS: number): string {
  const ms = toMs(tS);
  if (!Number.isFinite(tS) || ms < 0 || ms > MAX_NAME_MS) throw new RangeError(`frame time must be within 0-999999.999 s, got ${tS}`);
  return `t${String(Math.floor(ms / 1000)).padStart(6, '0')}.${String(ms % 1000).padStart(3, '0')}.jpg`;
}
