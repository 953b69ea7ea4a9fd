import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BenchChild, startChild } from './lib/child.ts';
import { startConductor } from './lib/conductor.ts';
import { pointedAt, seedWorld } from './lib/configs.ts';
import { heapGrowth } from './lib/heap-diff.ts';
import { type MixedLoadTally, runMixedLoad } from './lib/mixed-load.ts';
import { rssBytes } from './lib/proc.ts';
import { round, slope } from './lib/stats.ts';

interface MemSample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  code: number;
  data: number;
  gc: boolean;
}

export interface SoakResult {
  minutes: number;
  workers: number;
  fault_rate: number;
  requests: number;
  answered: number;
  clear_errors: number;
  /** The clear errors by code, so a shortfall in answered requests says what it was. */
  errors_by_code: Record<string, number>;
  lost: number;
  warmup_s: number;
  /** heap = V8 heap used after a full GC; data = heap minus code space (where leaked objects show). */
  samples: Array<{ t_s: number; rss_mb: number; heap_mb: number; data_mb: number; code_mb: number }>;
  /** Least-squares growth after warm-up, per minute. */
  heap_mb_per_min: number;
  data_mb_per_min: number;
  code_mb_per_min: number;
  rss_mb_per_min: number;
  /** Median of the last third minus median of the first third after warm-up. */
  heap_growth_mb: number;
  data_growth_mb: number;
  rss_growth_mb: number;
  flat: boolean;
  verdict: string;
  /** Per minute: requests, answered, and the clear errors by code (a shortfall says when it happened). */
  by_minute?: Array<{
    minute: number;
    requests: number;
    answered: number;
    errors: Record<string, number>;
    /** Up to three distinct error messages of the minute. */
    messages: string[];
    faults: string[];
  }>;
  /** When not flat: what grew most over one more minute of load, from two heap snapshots (type or constructor). */
  grew?: Array<{ what: string; bytes: number; count: number }>;
}

/**
 * Mixed load with faults for `minutes` against the service in its own process; every `sampleS` the
 * service is told to run a full GC and report its heap, and its RSS is read from /proc. After a warm-up
 * (a fifth of the run, at least 30 s) the data heap (V8 heap minus code space) must be flat: projected
 * growth over the rest of the run below max(3 MB, 5%), and RSS below max(16 MB, 10%). Code space is
 * reported but not judged: it grows while the optimiser compiles and is not where objects leak.
 */
export async function runSoak(opts: { minutes: number; log(line: string): void }): Promise<SoakResult> {
  const scale = 0.02;
  const workers = 16;
  const config = seedWorld(scale, { circuit: { recovery_timeout_max_s: 240 } });
  const children: BenchChild[] = [];
  try {
    const sim = await startChild('sim', { config });
    children.push(sim);
    const service = await startChild('service', { config: pointedAt(config, sim.url, 'soak') });
    children.push(service);
    const conductor = startConductor({
      add: (spec) => sim.call('addFault', spec),
      clear: () => sim.call('clearFaults'),
      scale,
      rate: 0.1,
      everyMs: 5000,
      seed: 17,
      models: Object.keys(config.models),
    });
    const durationMs = opts.minutes * 60_000;
    const sampleMs = Math.max(2000, Math.min(10_000, durationMs / 40));
    const started = performance.now();
    const warmupS = Math.max(30, (durationMs / 1000) * 0.2);
    const samples: SoakResult['samples'] = [];
    const sample = async () => {
      const m = await service.call<MemSample>('mem');
      const s = {
        t_s: round((performance.now() - started) / 1000, 1),
        rss_mb: round(rssBytes(service.pid) / 1e6, 1),
        heap_mb: round(m.heapUsed / 1e6, 2),
        data_mb: round(m.data / 1e6, 2),
        code_mb: round(m.code / 1e6, 2),
      };
      samples.push(s);
      return s;
    };
    let sampling = Promise.resolve();
    const timer = setInterval(() => {
      sampling = sampling.then(async () => {
        const s = await sample();
        if (samples.length % 6 === 0)
          opts.log(
            `soak ${s.t_s} s: rss ${s.rss_mb} MB, heap ${s.heap_mb} MB (data ${s.data_mb}, code ${s.code_mb})`,
          );
      });
    }, sampleMs);
    const byMinute: NonNullable<SoakResult['by_minute']> = [];
    let faultsSeen = 0;
    const minuteOf = () => {
      const minute = Math.floor((performance.now() - started) / 60_000);
      let m = byMinute[minute];
      if (!m) {
        m = { minute, requests: 0, answered: 0, errors: {}, messages: [], faults: [] };
        byMinute[minute] = m;
      }
      // Fault sets the conductor installed since the last look, charged to the minute they started in.
      m.faults.push(...conductor.history.slice(faultsSeen));
      faultsSeen = conductor.history.length;
      return m;
    };
    const minuteTimer = setInterval(() => {
      const last = byMinute[Math.floor((performance.now() - started) / 60_000) - 1];
      if (last)
        opts.log(
          `soak minute ${last.minute}: ${last.answered}/${last.requests} answered; errors ${JSON.stringify(last.errors)}; faults ${last.faults.join(', ')}; ${last.messages.join(' | ')}`,
        );
    }, 60_000);
    const tally: MixedLoadTally = await runMixedLoad({
      onResult: (v) => {
        const m = minuteOf();
        m.requests++;
        if (v.kind === 'answered') m.answered++;
        else {
          const code = v.kind === 'clear_error' ? v.code : `lost: ${v.why}`;
          m.errors[code] = (m.errors[code] ?? 0) + 1;
          const text = v.kind === 'clear_error' && v.message ? `${code}: ${v.message}` : undefined;
          if (text && m.messages.length < 3 && !m.messages.includes(text)) m.messages.push(text);
        }
      },
      url: service.url,
      workers,
      stop: () => performance.now() - started >= durationMs,
      seed: 11,
      timeoutMs: 30_000,
      urgencies: ['interactive', 'interactive', 'background', 'batch'],
    });
    clearInterval(timer);
    clearInterval(minuteTimer);
    await sampling;
    await sample();
    const result = {
      ...judge(opts.minutes, workers, tally, samples, warmupS),
      by_minute: byMinute.filter(Boolean),
    };
    await conductor.stop();
    if (!result.flat) {
      // What grew, object type by object type: two heap snapshots a minute of the same load apart. Taken
      // only now, because writing a snapshot swells RSS and would spoil the figures above.
      opts.log('soak: memory not flat; diffing two heap snapshots a minute apart');
      const snapA = join(tmpdir(), `rmm-soak-${process.pid}-a.heapsnapshot`);
      const snapB = join(tmpdir(), `rmm-soak-${process.pid}-b.heapsnapshot`);
      try {
        await service.call('heapSnapshot', snapA);
        const until = performance.now() + 60_000;
        await runMixedLoad({
          url: service.url,
          workers,
          stop: () => performance.now() >= until,
          seed: 12,
          timeoutMs: 30_000,
        });
        await service.call('heapSnapshot', snapB);
        result.grew = heapGrowth(snapA, snapB, 10).map((g) => ({
          what: g.name,
          bytes: g.bytes,
          count: g.count,
        }));
      } catch (err) {
        opts.log(`soak: heap snapshot diff skipped: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        rmSync(snapA, { force: true });
        rmSync(snapB, { force: true });
      }
    }
    return result;
  } finally {
    for (const c of children.reverse()) await c.close();
  }
}

function judge(
  minutes: number,
  workers: number,
  tally: MixedLoadTally,
  samples: SoakResult['samples'],
  warmupS: number,
): SoakResult {
  const after = samples.filter((s) => s.t_s >= warmupS);
  const third = Math.max(1, Math.floor(after.length / 3));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const trend = (pick: (s: SoakResult['samples'][number]) => number) => ({
    slope: slope(after.map((s) => [s.t_s / 60, pick(s)] as const)),
    growth: median(after.slice(-third).map(pick)) - median(after.slice(0, third).map(pick)),
    median: median(after.map(pick)),
  });
  const heap = trend((s) => s.heap_mb);
  const data = trend((s) => s.data_mb);
  const code = trend((s) => s.code_mb);
  const rss = trend((s) => s.rss_mb);
  const span = after.length > 1 ? (after.at(-1)!.t_s - after[0]!.t_s) / 60 : 0;
  // Leaks show in the data heap; the code space grows while V8 keeps optimising and is reported apart.
  const dataLimit = Math.max(3, data.median * 0.05);
  const rssLimit = Math.max(16, rss.median * 0.1);
  const dataOk = data.slope * span <= dataLimit && data.growth <= dataLimit;
  const rssOk = rss.slope * span <= rssLimit && rss.growth <= rssLimit;
  const enough = after.length >= 6;
  const word = (okay: boolean) => (okay ? 'flat' : 'GROWING');
  return {
    minutes,
    workers,
    fault_rate: 0.1,
    requests: tally.requests,
    answered: tally.answered,
    clear_errors: tally.clearErrors,
    errors_by_code: tally.byCode,
    lost: tally.lost,
    warmup_s: warmupS,
    samples,
    heap_mb_per_min: round(heap.slope, 3),
    data_mb_per_min: round(data.slope, 3),
    code_mb_per_min: round(code.slope, 3),
    rss_mb_per_min: round(rss.slope, 3),
    heap_growth_mb: round(heap.growth, 2),
    data_growth_mb: round(data.growth, 2),
    rss_growth_mb: round(rss.growth, 2),
    flat: enough && dataOk && rssOk,
    verdict: !enough
      ? `too few samples after warm-up (${after.length}) to judge`
      : `data heap ${word(dataOk)} (${round(data.slope * span, 2)} MB projected over ${round(span, 1)} min, limit ${round(dataLimit, 1)}); ` +
        `rss ${word(rssOk)} (${round(rss.slope * span, 1)} MB, limit ${round(rssLimit, 1)}); ` +
        `code space ${round(code.slope * span, 2)} MB over the same time (not judged)`,
  };
}
