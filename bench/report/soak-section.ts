import { pct, table } from '../lib/markdown.ts';
import type { SoakResult } from '../soak.ts';

export function soakSection(s: SoakResult): string {
  const first = s.samples.find((x) => x.t_s >= s.warmup_s) ?? s.samples[0];
  const last = s.samples.at(-1);
  return [
    `### Soak: ${s.minutes} min, ${s.workers} clients, ${pct(s.fault_rate)} faults`,
    '',
    `Samples every few seconds after a forced full GC in the service's process; warm-up ${s.warmup_s} s. "data" is the V8 heap without code space.`,
    '',
    table(
      [
        'requests',
        'answered',
        'clear errors',
        'lost',
        'heap MB (data + code) after warm-up → end',
        'RSS MB after warm-up → end',
        'data / code / RSS MB per min',
        'verdict',
      ],
      [
        [
          s.requests,
          s.answered,
          s.clear_errors,
          s.lost,
          `${first?.heap_mb} (${first?.data_mb} + ${first?.code_mb}) → ${last?.heap_mb} (${last?.data_mb} + ${last?.code_mb})`,
          `${first?.rss_mb} → ${last?.rss_mb}`,
          `${s.data_mb_per_min} / ${s.code_mb_per_min} / ${s.rss_mb_per_min}`,
          s.verdict,
        ],
      ],
    ),
    ...(s.grew
      ? [
          '',
          `Heap snapshot diff over one more minute of load, largest growth: ${s.grew
            .slice(0, 6)
            .map((g) => `${g.what} ${Math.round(g.bytes / 1024)} KB (${g.count >= 0 ? '+' : ''}${g.count})`)
            .join(
              ', ',
            )}. "(code)" is bytecode and compiled code: error paths compile lazily as new fault kinds show up.`,
        ]
      : []),
  ].join('\n');
}
