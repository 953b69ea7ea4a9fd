/** Growable store of per-response times (milliseconds, fractional), kept as raw samples. */
export class Samples {
  private data = new Float64Array(1024);
  private n = 0;

  push(ms: number): void {
    if (this.n === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  /** Sorted copy of the samples. */
  sorted(): Float64Array {
    return this.data.slice(0, this.n).sort();
  }

  merge(other: Samples): void {
    for (const v of other.sorted()) this.push(v);
  }
}

/** Nearest-rank percentile of sorted values; NaN when empty. */
export function percentile(sorted: Float64Array | readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export interface Summary {
  count: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
  mean_us: number;
}

/** Percentiles in microseconds of times recorded in milliseconds. */
export function summarise(samples: Samples): Summary {
  const s = samples.sorted();
  let sum = 0;
  for (const v of s) sum += v;
  const us = (ms: number) => Math.round(ms * 1000);
  return {
    count: s.length,
    p50_us: us(percentile(s, 50)),
    p90_us: us(percentile(s, 90)),
    p99_us: us(percentile(s, 99)),
    max_us: us(s.length ? s[s.length - 1]! : Number.NaN),
    mean_us: us(s.length ? sum / s.length : Number.NaN),
  };
}

/** Least-squares slope of y over x (units of y per unit of x). */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
