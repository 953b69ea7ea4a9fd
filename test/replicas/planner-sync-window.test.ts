import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { PlannerLeases } from '../../src/shared/planner-lease.ts';
import { PlannerSync, type PlannerSyncDeps } from '../../src/shared/planner-sync.ts';

/**
 * A want forwarded in the gap between taking a host's lease and settling who plans it. The new holder takes
 * every host's lease in one round and settles the roles only when all have answered; a peer that read the
 * new lease in between hands its want over once and never again. Fakes stand in for Redis and the fleet:
 * the gap is one Redis round trip, too narrow to hit on purpose with real ones.
 */
function world() {
  const host = { name: 'gpu1', planner: 'peer' as 'peer' | 'local' };
  const sent: Array<{ type: string }> = [];
  const reconciled: string[] = [];
  const fleet = {
    hosts: () => ({ gpu1: host }),
    host: (name: string) => (name === 'gpu1' ? host : undefined),
    context: (id: string) => (id === 'gpu1/m' ? {} : undefined),
    supervisor: () => ({ wants: [] }),
    actor: { subscribe: () => ({ unsubscribe() {} }) },
    sendSupervisor: (event: { type: string; planner?: 'peer' | 'local' }) => {
      sent.push(event);
      if (event.type === 'PLANNER_CHANGED' && event.planner) host.planner = event.planner;
    },
  };
  // The round has recorded this replica as the new holder; the roles are not settled yet.
  const leases = {
    state: () => ({ holder: 'me', token: 2, validUntil: 10_000 }),
    holds: () => true,
    round: async () => [],
    forget: () => {},
  };
  const noop = async () => null;
  const deps = {
    // Only the parts PlannerSync touches are faked: the types are the real ones' (hence the casts).
    fleet: fleet as unknown as PlannerSyncDeps['fleet'],
    leases: leases as unknown as PlannerLeases,
    link: {
      up: true,
      cmd: { get: noop, set: noop, publish: noop },
      publish: () => {},
    } as unknown as PlannerSyncDeps['link'],
    keys: { ledger: (h: string) => `ledger:${h}`, channels: {} } as unknown as PlannerSyncDeps['keys'],
    replica: 'me',
    clock: { now: () => 1000, setTimeout: () => 0, clearTimeout: () => {} },
    logger: pino({ level: 'silent' }),
    reconcile: (h: string) => void reconciled.push(h),
    checkHost: () => {},
  } satisfies PlannerSyncDeps;
  return { sync: new PlannerSync(deps), host, sent, reconciled };
}

const want = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    replica: 'peer-1',
    at: 900,
    host: 'gpu1',
    id: 'gpu1/m',
    mode: 'request',
    urgency: 'batch',
    until: 60_000,
    requestId: 'r1',
    ...over,
  });

describe('PlannerSync: a want forwarded while the new planner settles its roles', () => {
  it('settles and plans it instead of dropping it', () => {
    const { sync, host, sent, reconciled } = world();
    sync.wantReceived(want());
    expect(host.planner).toBe('local');
    expect(reconciled).toEqual(['gpu1']);
    expect(sent.map((e) => e.type)).toEqual(['PLANNER_CHANGED', 'LOAD_WANTED']);
    expect(sent[1]).toMatchObject({
      id: 'gpu1/m',
      mode: 'request',
      urgency: 'batch',
      requestId: 'peer-1:r1',
    });
  });

  it('still ignores its own echoes and wants that have expired', () => {
    const { sync, sent } = world();
    sync.wantReceived(want({ replica: 'me' }));
    expect(sent).toEqual([]);
    sync.wantReceived(want({ until: 500 }));
    expect(sent.map((e) => e.type)).toEqual(['PLANNER_CHANGED']);
  });
});
