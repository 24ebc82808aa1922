/**
 * Reads the true presentation time of every frame that passed ffmpeg's `showinfo`
 * filter from its stderr lines. pts is an integer in the filter's time base (printed
 * once as "config in time_base: 1/12800"); pts_time is rounded to 6 significant
 * digits, too coarse after 1000 s, so the time is computed from pts.
 */
export class ShowinfoFrames {
  /** Frame timestamps in seconds, in output order. */
  readonly times: number[] = [];
  private timeBase: [number, number] | undefined;

  /** Feeds one stderr line; returns the frame's time when the line reports a frame. */
  line(line: string): number | undefined {
    if (!line.includes('showinfo')) return undefined;
    const config = /config in time_base:\s*(\d+)\/(\d+)/.exec(line);
    if (config) {
      this.timeBase = [Number(config[1]), Number(config[2])];
      return undefined;
    }
    const frame = /\bn:\s*\d+\s+pts:\s*(-?\d+)\s+pts_time:(\S+)/.exec(line);
    if (!frame) return undefined;
    const time = this.timeBase && this.timeBase[1] > 0 ? (Number(frame[1]) * this.timeBase[0]) / this.timeBase[1] : Number(frame[2]);
    this.times.push(time);
    return time;
  }
}
