import type { ChaosBenchResult } from '../chaos.ts';
import { pct, table, us } from '../lib/markdown.ts';

export function chaosSection(c: ChaosBenchResult): string {
  return [
    `### Chaos: ${c.duration_s} s, ${c.connections} connections, ${pct(c.fault_rate)} of requests under a fault`,
    '',
    `Timings × ${c.scale}. Fault kinds seen: ${c.kinds_seen.join(', ')} (${c.fault_sets} fault sets, one or two kinds at a time). Answered: ${pct(c.answered / Math.max(1, c.requests))} of requests.`,
    '',
    table(
      [
        'requests',
        'answered',
        'clear errors',
        'lost',
        'unhandled rejections',
        'stuck after',
        'settled in',
        'VRAM peak',
        'evictions by Ollama',
        'p50 / p99 ms',
      ],
      [
        [
          c.requests,
          c.answered,
          c.clear_errors,
          c.lost,
          c.unhandled_rejections,
          c.stuck_after.join('; ') || 'none',
          `${c.settle_ms} ms`,
          `${c.vram_peak_gb} / ${c.vram_budget_gb} GB`,
          c.evictions_by_ollama,
          `${us(c.latency.p50_us / 1000)} / ${us(c.latency.p99_us / 1000)}`,
        ],
      ],
    ),
    '',
    `Clear errors by code: ${JSON.stringify(c.errors_by_code)}${c.lost ? `; lost: ${JSON.stringify(c.lost_why)}` : ''}.`,
  ].join('\n');
}
