import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { scaledConfig } from '../../src/config/test-config.ts';
import { startService } from '../../src/service.ts';
import { SMALL_CATALOG } from './harness.ts';

const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (-?(?:\d+(?:\.\d+)?(?:e[+-]?\d+)?|NaN|\+Inf|-Inf))$/;
const TYPE_LINE = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/;
const HELP_LINE = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*$/;

/** A strict reading of the Prometheus text format: returns the families with their samples. */
function parseExposition(text: string) {
  const families = new Map<
    string,
    { type: string; samples: Array<{ name: string; labels: string; value: number }> }
  >();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = TYPE_LINE.exec(line);
    if (type) {
      expect(families.has(type[1]!), `TYPE given twice for ${type[1]}`).toBe(false);
      families.set(type[1]!, { type: type[2]!, samples: [] });
      continue;
    }
    if (HELP_LINE.test(line)) continue;
    const sample = SAMPLE.exec(line);
    expect(sample, `not a valid sample line: ${line}`).not.toBeNull();
    const name = sample![1]!;
    const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
    expect(family, `sample ${name} has no # TYPE`).toBeDefined();
    family!.samples.push({
      name,
      labels: sample![2] ?? '',
      value: Number(sample![3]!.replace('+Inf', 'Infinity')),
    });
  }
  return families;
}

describe('/metrics exposition', () => {
  it('is valid Prometheus text after real traffic with faults (strict parse, and promtool when installed)', async () => {
    const base = scaledConfig(0.05, SMALL_CATALOG);
    const service = await startService(validateConfig({ ...structuredClone(base), simulate: 'always' }), {
      logger: pino({ level: 'silent' }),
    });
    try {
      // Faults only once the warm set is loaded: an http_500 fault also fails loads.
      await (service.manager as { started?: Promise<void> }).started;
      await fetch(`${service.simulatorUrls[0]}/__sim/faults`, {
        method: 'POST',
        body: JSON.stringify({ kind: 'http_500', model: 'alpha', count: 6 }),
      });
      for (let i = 0; i < 8; i++) {
        await fetch(`${service.url}/api/echo/resilient/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: `q${i}`, task_type: 'general', urgency: 'background' }),
        });
      }
      const res = await fetch(`${service.url}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      const families = parseExposition(text);
      for (const name of [
        'rmm_requests_total',
        'rmm_attempts_total',
        'rmm_fallbacks_total',
        'rmm_circuit_state',
        'rmm_vram_used_bytes',
        'rmm_loads_total',
        'rmm_load_duration_seconds',
        'rmm_model_state',
        'rmm_deadline_outcomes_total',
        // The service's process and Node.js metrics, under their standard names.
        'process_cpu_user_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_seconds',
      ]) {
        expect(families.get(name)?.samples.length, name).toBeGreaterThan(0);
      }
      // Declared even before its first sample.
      expect(families.get('rmm_retries_total')?.type).toBe('counter');
      // Histograms: cumulative buckets that end at +Inf == _count.
      const hist = families.get('rmm_request_duration_seconds')!;
      expect(hist.type).toBe('histogram');
      const series = new Map<string, number[]>();
      for (const s of hist.samples.filter((x) => x.name.endsWith('_bucket'))) {
        const key = s.labels.replace(/le="[^"]*",?/, '');
        series.set(key, [...(series.get(key) ?? []), s.value]);
      }
      for (const [key, counts] of series) {
        expect(
          [...counts].sort((a, b) => a - b),
          `buckets of ${key} are cumulative`,
        ).toEqual(counts);
      }
      const fallbacks = families.get('rmm_fallbacks_total')!.samples.reduce((n, s) => n + s.value, 0);
      expect(fallbacks).toBeGreaterThan(0);

      if (existsSync('/usr/bin/promtool')) {
        const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
        expect(check.stdout + check.stderr).toBe('');
        expect(check.status).toBe(0);
      } else if (process.env['CI'] === 'true') {
        throw new Error('promtool is missing in CI: .ci/run installs Debian package prometheus');
      } else {
        console.warn('promtool not installed (Debian package prometheus): skipped its check');
      }
    } finally {
      await service.close();
    }
  });
});
