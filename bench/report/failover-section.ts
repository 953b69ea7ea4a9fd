import type { FailoverResult } from '../failover.ts';
import { table } from '../lib/markdown.ts';

export function failoverSection(f: FailoverResult): string {
  return [
    '### Failover (time from a fault to an answer from the fallback)',
    '',
    `Chain \`simple\`: llama3.2:8b preferred, llama3.2:3b the fallback; timings × ${f.scale} (a 5 s interactive deadline is ${5000 * f.scale} ms). Median of ${f.samples} (closed: each on a fresh stack) or ${f.samples * 2} (open) requests. Healthy: 8b answers in ${f.healthy_ms} ms, 3b in ${f.fallback_healthy_ms} ms. "real-world" = measured ÷ scale (fixed costs such as HTTP are inflated by the same factor).`,
    '',
    table(
      [
        'fault',
        'circuit closed: ms (p90)',
        'real-world s',
        'open/missing: ms (p90)',
        'real-world s',
        'state after',
        'requests to open',
        'answered by',
        'errors',
      ],
      f.rows.map((r) => [
        r.fault,
        num(r.closed_ms) === '—' ? 'no fallback answer' : `${num(r.closed_ms)} (${num(r.closed_p90_ms)})`,
        num(r.closed_real_s),
        num(r.open_ms) === '—' ? 'no fallback answer' : `${num(r.open_ms)} (${num(r.open_p90_ms)})`,
        num(r.open_real_s),
        r.open_state,
        r.requests_to_open,
        r.answered_by_fallback,
        r.errors,
      ]),
    ),
  ].join('\n');
}

/** NaN survives JSON as null: both print as a dash. */
function num(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '—' : String(x);
}
