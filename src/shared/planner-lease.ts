import type { SyncContext } from './sync-context.ts';

/**
 * Takes or renews a host's planner lease in one step. The value is `replica|token`; a new lease gets the
 * next fencing token (INCR), so anything a former holder publishes afterwards carries a smaller token and is
 * refused. Returns the holder and its token.
 */
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  local holder = string.sub(cur, 1, sep - 1)
  if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
  return {holder, tonumber(string.sub(cur, sep + 1))}
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
return {ARGV[1], token}
`;

/** Gives the lease up only if this replica still holds it (a clean stop hands over at once). */
const RELEASE = `
local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, string.len(ARGV[1]) + 1) == ARGV[1] .. '|' then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

export interface LeaseState {
  /** The replica planning the host, as Redis said at the last round; null before any answer. */
  holder: string | null;
  token: number;
  /** This replica may act as the host's planner until then (its clock); 0 when it does not hold the lease. */
  validUntil: number;
}

/**
 * One planner per host: every replica runs a round every third of the lease time, taking a free lease or
 * renewing its own. A holder that dies stops renewing and loses the lease after `leaseMs`; a holder cut off
 * from Redis stops acting as planner at `validUntil` (counted from before it asked, so never late).
 */
export class PlannerLeases {
  private readonly states = new Map<string, LeaseState>();

  constructor(
    private readonly s: SyncContext,
    readonly leaseMs: number,
    hosts: readonly string[],
  ) {
    for (const h of hosts) this.states.set(h, { holder: null, token: 0, validUntil: 0 });
  }

  /** One round over every host; resolves with the hosts whose holder changed. */
  async round(): Promise<string[]> {
    const changed: string[] = [];
    await Promise.all(
      [...this.states.keys()].map(async (host) => {
        const askedAt = this.s.clock.now();
        let answer: unknown;
        try {
          answer = await this.s.link.cmd.eval(
            ACQUIRE,
            2,
            this.s.keys.lease(host),
            this.s.keys.fence(host),
            this.s.replica,
            String(Math.max(1, Math.round(this.leaseMs))),
          );
        } catch {
          // Redis away or slow: the lease lapses by itself at validUntil; the link reports the outage.
          return;
        }
        const [holder, token] = answer as [string, number];
        const before = this.states.get(host)!;
        this.states.set(host, {
          holder,
          token: Number(token),
          validUntil: holder === this.s.replica ? askedAt + this.leaseMs : 0,
        });
        if (before.holder !== holder) changed.push(host);
      }),
    );
    return changed;
  }

  state(host: string): LeaseState | undefined {
    return this.states.get(host);
  }

  /** This replica plans `host` right now (its lease is still running). */
  holds(host: string): boolean {
    const s = this.states.get(host);
    return s !== undefined && s.holder === this.s.replica && s.validUntil > this.s.clock.now();
  }

  /** Redis is away: nobody's lease can be known; every host is planned locally meanwhile. */
  forget(): void {
    for (const [host, s] of this.states) this.states.set(host, { ...s, holder: null, validUntil: 0 });
  }

  async release(): Promise<void> {
    await Promise.all(
      [...this.states.keys()]
        .filter((h) => this.states.get(h)!.holder === this.s.replica)
        .map((h) => this.s.link.cmd.eval(RELEASE, 1, this.s.keys.lease(h), this.s.replica).catch(() => 0)),
    );
  }
}
