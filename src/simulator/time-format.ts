/**
 * Timestamps as Go's encoding/json writes time.Time (RFC 3339 with up to nanosecond digits, trailing
 * zeros dropped). Ollama stamps created_at in UTC ("Z") and expires_at / modified_at in local time,
 * which Go also writes as "Z" when the local offset is zero.
 */

/** Wall-clock milliseconds with sub-millisecond digits (performance.now() on the epoch). */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

export function utcTimestamp(ms: number): string {
  return format(ms, 0);
}

/** `offsetMinutes` east of UTC; defaults to the process's local offset at that instant. */
export function localTimestamp(
  ms: number,
  offsetMinutes = -new Date(Math.floor(ms)).getTimezoneOffset(),
): string {
  return format(ms, offsetMinutes);
}

function format(ms: number, offsetMinutes: number): string {
  const whole = Math.floor(ms);
  const micros = Math.round((ms - whole) * 1000) % 1000;
  const shifted = new Date(whole + offsetMinutes * 60_000);
  const iso = shifted.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ in the shifted zone
  const base = iso.slice(0, 19);
  const fraction = `${iso.slice(20, 23)}${String(micros).padStart(3, '0')}`.replace(/0+$/, '');
  return `${base}${fraction ? `.${fraction}` : ''}${zone(offsetMinutes)}`;
}

function zone(offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'Z';
  const sign = offsetMinutes > 0 ? '+' : '-';
  const abs = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
