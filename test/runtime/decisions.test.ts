import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DecisionLog } from '../../src/runtime/decisions.ts';
import { createOpsStore } from '../../src/runtime/ops-store.ts';

function log() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} };
  const ops = createOpsStore({
    budget: { ratio: 0.2, windowMs: 10_000, minRetries: 3 },
    demandHalfLifeS: 600,
  });
  return { decisions: new DecisionLog(pino({ level: 'silent' }), clock, ops), tick: () => (now += 1000) };
}

describe('decision log', () => {
  it('keeps real decisions in view however many probes follow them', () => {
    const { decisions, tick } = log();
    decisions.record('load', 'alpha loaded on local in 4000 ms');
    tick();
    decisions.record('circuit', 'beta on local: circuit opened');
    for (let i = 0; i < 500; i++) {
      tick();
      decisions.record('probe', `alpha on local: answered the probe correctly (${i})`);
    }
    const recent = decisions.recent();
    expect(recent.filter((d) => d.kind !== 'probe').map((d) => d.message)).toEqual([
      'beta on local: circuit opened',
      'alpha loaded on local in 4000 ms',
    ]);
    const probes = recent.filter((d) => d.kind === 'probe');
    expect(probes.length).toBe(10);
    expect(probes[0]!.message).toContain('(499)');
    // Newest first across both.
    expect(recent.map((d) => d.at)).toEqual([...recent.map((d) => d.at)].sort().reverse());
  });

  it('still bounds the real decisions to the newest `limit`', () => {
    const { decisions, tick } = log();
    for (let i = 0; i < 150; i++) {
      tick();
      decisions.record('selection', `choice ${i}`);
    }
    const recent = decisions.recent(30);
    expect(recent).toHaveLength(30);
    expect(recent[0]!.message).toBe('choice 149');
    expect(recent[29]!.message).toBe('choice 120');
  });
});
