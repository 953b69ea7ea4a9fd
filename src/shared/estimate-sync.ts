import { ownEstimates } from '../../machines/model/estimates.ts';
import type { PeerEstimates } from '../../machines/model/types.ts';
import type { DemandState } from '../policy/demand.ts';
import { mergeDemand } from '../policy/demand-merge.ts';
import type { Fleet } from '../runtime/fleet.ts';
import { type EstimateMessage, parseMessage } from './messages.ts';
import type { SyncContext } from './sync-context.ts';

/**
 * Learned estimates and demand, shared. Each replica publishes only its own measurements (sizes, load
 * times, tokens/s with their sample counts) and its own demand; receivers keep one entry per replica and
 * merge them (weighted by samples; demand summed), so nothing one replica learned overwrites another's.
 */
export class EstimateSync {
  private readonly published = new Map<string, string>();
  private peerDemand: DemandState[] = [];

  constructor(
    private readonly s: SyncContext,
    private readonly demand: () => DemandState,
  ) {}

  /** Publishes what changed since the last round (called every second). */
  async round(): Promise<void> {
    if (!this.s.link.up) return;
    const now = this.s.clock.now();
    for (const id of this.s.fleet.ids()) {
      const own = measuredHere(this.s.fleet, id);
      if (!own) continue;
      const text = JSON.stringify(own);
      if (this.published.get(id) === text) continue;
      this.published.set(id, text);
      const message: EstimateMessage = { replica: this.s.replica, at: now, id, estimates: own };
      this.s.link.publish(this.s.keys.channels.estimates, message);
      this.s.link.cmd.hset(this.s.keys.estimates(id), this.s.replica, text).catch(() => {});
    }
  }

  /** Publishes our demand and reads the others' (called every preload interval, and on joining). */
  async exchangeDemand(): Promise<void> {
    if (!this.s.link.up) return;
    try {
      await this.s.link.cmd.hset(this.s.keys.demand, this.s.replica, JSON.stringify(this.demand()));
      const all = await this.s.link.cmd.hgetall(this.s.keys.demand);
      this.peerDemand = Object.entries(all)
        .filter(([replica]) => replica !== this.s.replica)
        .flatMap(([, text]) => {
          try {
            const d = JSON.parse(text) as DemandState;
            return d?.version === 1 ? [d] : [];
          } catch {
            return [];
          }
        });
    } catch {
      // Redis away: the last demand read stays until it returns.
    }
  }

  /** Our demand with every other replica's added (what predictive preloading reads). */
  mergedDemand(): DemandState {
    return this.peerDemand.length === 0
      ? this.demand()
      : mergeDemand(this.demand(), this.peerDemand, this.s.clock.now());
  }

  received(text: string): void {
    const m = parseMessage<EstimateMessage>(text, ['id', 'estimates']);
    if (m && m.replica !== this.s.replica) this.apply(m.id, m.replica, m.estimates);
  }

  /** Joining: every other replica's latest measurements, then ours published afresh. */
  async join(): Promise<void> {
    this.published.clear();
    for (const id of this.s.fleet.ids()) {
      let all: Record<string, string>;
      try {
        all = await this.s.link.cmd.hgetall(this.s.keys.estimates(id));
      } catch {
        return;
      }
      for (const [replica, text] of Object.entries(all)) {
        if (replica === this.s.replica) continue;
        try {
          this.apply(id, replica, JSON.parse(text) as PeerEstimates);
        } catch {
          // A corrupted entry is skipped; its replica rewrites it at its next change.
        }
      }
    }
    await this.exchangeDemand();
  }

  private apply(id: string, replica: string, e: PeerEstimates): void {
    const ctx = this.s.fleet.context(id);
    if (!ctx) return;
    const known = ctx.peers?.[replica];
    if (known && JSON.stringify(known) === JSON.stringify(e)) return;
    this.s.fleet.send(id, {
      type: 'PEER_ESTIMATES',
      replica,
      measuredSizeGb: e.measuredSizeGb ?? null,
      sizeSamples: e.sizeSamples ?? 0,
      measuredLoadMs: e.measuredLoadMs ?? null,
      loadSamples: e.loadSamples ?? 0,
      tokensPerS: e.tokensPerS ?? null,
      tokenSamples: e.tokenSamples ?? 0,
    });
  }
}

/** This replica's own measurements of a model, once it has any (merged figures would count peers twice). */
function measuredHere(fleet: Fleet, id: string): PeerEstimates | null {
  const c = fleet.context(id);
  if (!c || (c.sizeSamples === 0 && c.loadSamples === 0 && c.tokenSamples === 0)) return null;
  return ownEstimates(c);
}
