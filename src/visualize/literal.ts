/**
 * Prints plain data as a TypeScript object literal in the repository's style (single quotes, trailing
 * commas, two-space indent), so a generated module reads like a hand-written one. Short arrays of
 * primitives stay on one line.
 */
export function printLiteral(value: unknown, indent = ''): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return String(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const flat = value.every(isPrimitive);
    const oneLine = `[${value.map((v) => printLiteral(v)).join(', ')}]`;
    if (flat && oneLine.length + indent.length <= 100) return oneLine;
    return `[\n${value.map((v) => `${inner}${printLiteral(v, inner)},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  const flat = entries.every(
    ([, v]) => typeof v !== 'object' || v === null || (Array.isArray(v) && v.every(isPrimitive)),
  );
  const oneLine = `{ ${entries.map(([k, v]) => `${key(k)}: ${printLiteral(v)}`).join(', ')} }`;
  if (flat && oneLine.length + indent.length <= 100) return oneLine;
  const lines = entries.map(([k, v]) => `${inner}${key(k)}: ${printLiteral(v, inner)},`);
  return `{\n${lines.join('\n')}\n${indent}}`;
}

function isPrimitive(v: unknown): boolean {
  return typeof v !== 'object' || v === null;
}

function key(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) || /^(0|[1-9]\d*)$/.test(k) ? k : quote(k);
}

function quote(s: string): string {
  return `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'").replaceAll('\n', '\\n')}'`;
}
