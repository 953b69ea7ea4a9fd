/**
 * Go's time.ParseDuration and Ollama's api.Duration, ported so the simulator accepts and rejects the
 * same keep_alive values with the same messages. Results are in milliseconds (floats); "forever" is
 * Infinity.
 */

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

// math.MaxInt64 (2^63 - 1) as a double: the missing nanosecond is below a double's precision.
const MAX_INT64_NS = 2 ** 63;

/** Milliseconds Ollama treats as forever: math.MaxInt64 nanoseconds, about 292 years. */
export const FOREVER_MS = MAX_INT64_NS / 1e6;

export class DurationError extends Error {
  override readonly name = 'DurationError';
}

/** Go quotes strings in these messages with strconv-style escaping. */
function quote(s: string): string {
  return JSON.stringify(s);
}

/** time.ParseDuration: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, returning milliseconds. Throws DurationError. */
export function parseGoDuration(text: string): number {
  const invalid = () => new DurationError(`time: invalid duration ${quote(text)}`);
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let totalNs = 0;
  while (s !== '') {
    const number = /^([0-9]*)(\.([0-9]*))?/.exec(s);
    const whole = number?.[1] ?? '';
    const fraction = number?.[3];
    if (s[0] !== '.' && !(s[0]! >= '0' && s[0]! <= '9')) throw invalid();
    if (whole === '' && !fraction) throw invalid();
    s = s.slice(number![0].length);
    const unitMatch = /^[^0-9.]*/.exec(s)![0];
    if (unitMatch === '') throw new DurationError(`time: missing unit in duration ${quote(text)}`);
    const scale = UNIT_NS[unitMatch];
    if (scale === undefined) {
      throw new DurationError(`time: unknown unit ${quote(unitMatch)} in duration ${quote(text)}`);
    }
    s = s.slice(unitMatch.length);
    totalNs += Number(`${whole || '0'}.${fraction ?? '0'}`) * scale;
    if (totalNs > MAX_INT64_NS) throw invalid();
  }
  return (negative ? -totalNs : totalNs) / 1e6;
}

export type KeepAliveResult = { ok: true; ms: number | undefined } | { ok: false; error: string };

/**
 * The keep_alive field as Ollama's api.Duration reads it: absent or null keeps the earlier value
 * (undefined here); a number is seconds (fractions allowed); a string is a Go duration (so "30" and
 * "-1" are errors: no unit); anything negative means forever.
 */
export function parseKeepAlive(raw: unknown): KeepAliveResult {
  if (raw === undefined || raw === null) return { ok: true, ms: undefined };
  if (typeof raw === 'number') return { ok: true, ms: raw < 0 ? Infinity : raw * 1000 };
  if (typeof raw === 'string') {
    try {
      const ms = parseGoDuration(raw);
      return { ok: true, ms: ms < 0 ? Infinity : ms };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }
  return { ok: false, error: `Unsupported type: '${goTypeName(raw)}'` };
}

/**
 * OLLAMA_KEEP_ALIVE as envconfig reads it: a Go duration, or else a bare integer of seconds;
 * negative = forever. Used for config.simulator.default_keep_alive.
 */
export function parseEnvKeepAlive(text: string): number {
  try {
    const ms = parseGoDuration(text);
    return ms < 0 ? Infinity : ms;
  } catch {
    const seconds = Number.parseInt(text, 10);
    if (Number.isNaN(seconds)) return 5 * 60_000;
    return seconds < 0 ? Infinity : seconds * 1000;
  }
}

function goTypeName(v: unknown): string {
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}
