/** A markdown pipe table with padded columns: readable in a terminal, pasteable into README.md. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[], align?: readonly ('l' | 'r')[]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(3, ...cells.map((r) => (r[c] ?? '').length)));
  const pad = (text: string, c: number) => ((align?.[c] ?? (c === 0 ? 'l' : 'r')) === 'l' ? text.padEnd(widths[c]) : text.padStart(widths[c]));
  const line = (r: readonly string[]) => `| ${r.map((t, c) => pad(t, c)).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => ((align?.[c] ?? (c === 0 ? 'l' : 'r')) === 'l' ? ` ${'-'.repeat(w)} ` : ` ${'-'.repeat(w - 1)}: `)).join('|')}|`;
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n');
}
