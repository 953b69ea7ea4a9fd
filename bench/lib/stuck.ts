import type { Manager } from '../../src/manager/manager.ts';

/**
 * Models that are not at rest (requests in flight, circuit open, a load or unload under way, or still
 * `missing` once the faults that hid them are gone: the next reconciliation must bring them back) and hosts
 * still marked down. Each
 * entry says when an open circuit will next be tried and how often it has opened, so a report can tell
 * "still counting down" from "never re-armed".
 */
export function unsettled(manager: Manager, now = Date.now()): string[] {
  const status = manager.status();
  const hosts = status.hosts
    .filter((h) => h.health?.status === 'down')
    .map((h) => `host ${h.name}: down since ${h.health.since} (${h.health.reason})`);
  return status.models
    .filter((m) => m.in_flight > 0 || ['open', 'loading', 'unloading', 'missing'].includes(m.state))
    .map((m) => {
      const c = status.circuits.find((x) => x.id === m.id);
      const retry = c?.retry_at
        ? `, retry_at in ${Date.parse(c.retry_at) - now} ms, opened ${c.times_opened}×`
        : '';
      return `${m.name}: ${m.state}, ${m.in_flight} in flight${retry}`;
    })
    .concat(hosts);
}

/** Polls `unsettled` until it is empty or `ms` have passed; returns what is left and how long it took. */
export async function waitSettled(manager: Manager, ms: number): Promise<{ stuck: string[]; ms: number }> {
  const start = performance.now();
  for (;;) {
    const stuck = unsettled(manager);
    const elapsed = performance.now() - start;
    if (stuck.length === 0 || elapsed > ms) return { stuck, ms: Math.round(elapsed) };
    await new Promise((r) => setTimeout(r, 25));
  }
}
