import type { Fleet } from '../runtime/fleet.ts';
import type { Clock } from '../time/clock.ts';
import type { SharedKeys } from './keys.ts';
import type { RedisLink } from './redis-link.ts';

/** What every part of the replicas' coordination works with: Redis, its keys, who we are, our actors, time. */
export interface SyncContext {
  link: RedisLink;
  keys: SharedKeys;
  /** This replica's id: the sender of every message, and how its own echoes are recognised. */
  replica: string;
  fleet: Fleet;
  clock: Clock;
}
