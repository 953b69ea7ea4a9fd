import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportedSeriesNames, metricsIn } from './metric-names.ts';

const DEPLOY = join(import.meta.dirname, '../../deploy');
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((p) => existsSync(p));
// CI installs Debian's prometheus package: there the checks must run; elsewhere they may be skipped.
const mustRun = process.env['CI'] === 'true';

function promtool(...args: string[]) {
  const run = spawnSync(PROMTOOL!, args, { cwd: DEPLOY, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('deploy/prometheus-rules.yml', () => {
  const rules = (
    parse(readFileSync(join(DEPLOY, 'prometheus-rules.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string; for?: string }> }>;
    }
  ).groups.flatMap((g) => g.rules);

  it('alerts on a long-open circuit, a down host, VRAM over 95%, deadline misses and a down service', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'RmmCircuitOpenTooLong',
      'RmmDeadlineMisses',
      'RmmDown',
      'RmmHostDown',
      'RmmVramNearlyFull',
    ]);
    expect(rules.find((r) => r.alert === 'RmmVramNearlyFull')!.expr).toContain('> 0.95');
  });

  it('reads only metrics the service exports', async () => {
    const known = await exportedSeriesNames();
    const unknown = rules.flatMap((r) => metricsIn(r.expr).filter((m) => !known.has(m)));
    expect(unknown).toEqual([]);
  });

  it.skipIf(!PROMTOOL && !mustRun)('passes promtool check rules', () => {
    expect(PROMTOOL, 'promtool is missing: apt-get install prometheus').toBeDefined();
    const check = promtool('check', 'rules', 'prometheus-rules.yml');
    expect(check.output).toContain('SUCCESS: 5 rules found');
    expect(check.status).toBe(0);
  });

  it.skipIf(!PROMTOOL && !mustRun)('fires as intended on recorded series (promtool test rules)', () => {
    expect(PROMTOOL, 'promtool is missing: apt-get install prometheus').toBeDefined();
    const test = promtool('test', 'rules', 'prometheus-rules.test.yml');
    expect(test.output).toContain('SUCCESS');
    expect(test.status).toBe(0);
  });
});
