/** Ollama version strings, ordered (what /api/version answers for several hosts: the lowest). */

/** The lowest of some version strings by semantic-version order; undefined for none. */
export function lowestVersion(versions: readonly string[]): string | undefined {
  let lowest: string | undefined;
  for (const v of versions) if (lowest === undefined || compareVersions(v, lowest) < 0) lowest = v;
  return lowest;
}

/**
 * Semantic-version order, tolerant of what Ollama builds report ("0.12.0", "0.33.0-rc2", "0.0.0"): numeric
 * parts compared as numbers, a pre-release below its release, pre-release parts compared numerically when
 * both are numbers and as text otherwise. A leading "v" is ignored.
 */
export function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = splitVersion(a);
  const [coreB = '', preB] = splitVersion(b);
  const na = coreA.split('.');
  const nb = coreB.split('.');
  for (let i = 0; i < Math.max(na.length, nb.length, 3); i++) {
    const d = comparePart(na[i] ?? '0', nb[i] ?? '0');
    if (d !== 0) return d;
  }
  if (preA === undefined || preB === undefined) return preA === preB ? 0 : preA === undefined ? 1 : -1;
  const pa = preA.split('.');
  const pb = preB.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if (pa[i] === undefined) return -1;
    if (pb[i] === undefined) return 1;
    const d = comparePart(pa[i]!, pb[i]!);
    if (d !== 0) return d;
  }
  return 0;
}

function splitVersion(v: string): [string, string | undefined] {
  const plain = v.trim().replace(/^v/i, '').split('+', 1)[0]!;
  const dash = plain.indexOf('-');
  return dash < 0 ? [plain, undefined] : [plain.slice(0, dash), plain.slice(dash + 1)];
}

function comparePart(a: string, b: string): number {
  const x = /^\d+$/.test(a) ? Number(a) : Number.NaN;
  const y = /^\d+$/.test(b) ? Number(b) : Number.NaN;
  if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  // rc2 vs rc10: compare the digits inside as numbers when the text around them matches.
  const ma = /^(\D*)(\d+)$/.exec(a);
  const mb = /^(\D*)(\d+)$/.exec(b);
  if (ma && mb && ma[1] === mb[1]) return Number(ma[2]) - Number(mb[2]);
  if (!Number.isNaN(x)) return -1; // numeric identifiers sort before text ones
  if (!Number.isNaN(y)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
