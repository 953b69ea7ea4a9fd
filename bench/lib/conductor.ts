import { FAULT_KINDS, type FaultKind, type FaultSpec } from '../../src/simulator/index.ts';
import { Prng } from '../../src/simulator/prng.ts';
import { faultFor } from './fault-menu.ts';

/** Kinds the conductor draws from: every kind but the host restart, which is drawn more rarely (it unloads everything). */
const KINDS: FaultKind[] = FAULT_KINDS.filter((k) => k !== 'host_restart');

export interface Conductor {
  /** Fault sets installed so far, as "kind+kind" strings. */
  readonly history: string[];
  stop(): Promise<void>;
}

/**
 * Changes the faults every `everyMs`: one or two kinds at a time (host-wide or on one model), with rates
 * that add up to `rate`, and now and then a host restart. So ~`rate` of requests meet a fault, and over
 * a run every kind appears alone and together with others.
 */
export function startConductor(opts: {
  add(spec: FaultSpec): Promise<unknown> | unknown;
  clear(): Promise<unknown> | unknown;
  scale: number;
  rate: number;
  everyMs: number;
  seed: number;
  models: readonly string[];
}): Conductor {
  const rng = new Prng(opts.seed);
  const history: string[] = [];
  let stopped = false;
  let busy: Promise<void> = Promise.resolve();
  const step = async () => {
    await opts.clear();
    const n = rng.next() < 0.6 ? 1 : 2;
    const kinds = Array.from({ length: n }, () => rng.pick(KINDS));
    for (const kind of kinds) {
      const model = rng.next() < 0.3 ? rng.pick(opts.models) : undefined;
      await opts.add(faultFor(kind, opts.scale, { rate: opts.rate / n, ...(model && { model }) }));
    }
    if (rng.next() < 0.1) {
      kinds.push('host_restart');
      await opts.add(faultFor('host_restart', opts.scale));
    }
    history.push(kinds.join('+'));
  };
  const timer = setInterval(() => {
    if (!stopped) busy = busy.then(step, step);
  }, opts.everyMs);
  busy = step();
  return {
    history,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await busy.catch(() => {});
      await opts.clear();
    },
  };
}
