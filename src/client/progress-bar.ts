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

/**
 * Polls a workflow's progress query every second until its result settles, drawing a
 * bar (none when `quiet`), then draws the final state from the result.
 */
export async function followProgress<P, R>(
  result: Promise<R>,
  poll: () => Promise<P>,
  view: (p: P | R) => { done: number; total: number; label: string },
  quiet: boolean,
): Promise<R> {
  const bar = quiet ? undefined : new ProgressBar();
  let settled = false;
  void result.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    try {
      const v = view(await poll());
      bar?.update(v.done, v.total, v.label);
    } catch {
      // the query can race the workflow's end
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
  try {
    const final = await result;
    const v = view(final);
    bar?.update(v.done, v.total, v.label);
    return final;
  } finally {
    bar?.finish();
  }
}
