/**
 * Parses human durations: "500ms", "20s", "5m", "1h30m", "1.5s" or a bare number of
 * seconds. Pure so workflows, the CLI and the client share it.
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(input: string | number, what = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new Error(`${what}: expected a positive number of seconds, got ${input}`);
    return Math.round(input * 1000);
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const parts = /^((\d+(\.\d+)?)(ms|s|m|h|d))+$/.test(text) ? text.match(/\d+(\.\d+)?(ms|s|m|h|d)/g) : null;
  if (!parts) throw new Error(`${what}: '${input}' is not a duration like 500ms, 20s, 5m or 1h30m`);
  let total = 0;
  for (const part of parts) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(part)!;
    total += Number(m[1]) * UNIT_MS[m[2]];
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
