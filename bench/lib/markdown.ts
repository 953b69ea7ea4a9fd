/** A GitHub table from a header and rows (cells already formatted). */
export function table(header: readonly string[], rows: ReadonlyArray<readonly (string | number)[]>): string {
  const line = (cells: readonly (string | number)[]) =>
    `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const BEGIN = '<!-- bench:results:begin -->';
export const END = '<!-- bench:results:end -->';

/** Replaces the text between the markers (adding them at the end when missing). */
export function replaceBetweenMarkers(doc: string, body: string): string {
  const block = `${BEGIN}\n${body}\n${END}`;
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a >= 0 && b > a) return doc.slice(0, a) + block + doc.slice(b + END.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

export function us(x: number): string {
  return Number.isFinite(x) ? `${Math.round(x)}` : '–';
}

export function pct(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

export function ok(met: boolean): string {
  return met ? '✅ met' : '❌ missed';
}
