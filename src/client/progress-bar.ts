/**
 * A one-line progress bar on stderr: redrawn in place on a terminal, a line per 10 %
 * otherwise (CI logs, pipes).
 */
export class ProgressBar {
  private lastDecile = -1;
  private lastLabel = '';

  constructor(
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly width = 30,
  ) {}

  update(done: number, total: number, label: string): void {
    const ratio = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(ratio * this.width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${done}/${total} ${label}`;
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      return;
    }
    const decile = Math.floor(ratio * 10);
    const state = label.split(',')[0];
    if (decile !== this.lastDecile || state !== this.lastLabel) {
      this.out.write(`${line}\n`);
      this.lastDecile = decile;
      this.lastLabel = state;
    }
  }

  finish(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${n < 0 ? '-' : ''}${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}
