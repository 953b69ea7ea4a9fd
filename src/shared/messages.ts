import type { PeerEstimates } from '../../machines/model/types.ts';
import type { ForeignModel, LedgerSlot, WantMode } from '../../machines/supervisor/types.ts';
import type { Urgency } from '../config/schema.ts';

/** What replicas tell each other through Redis. Every message names its sender, so none acts on its own. */
interface FromReplica {
  replica: string;
  /** Sender's clock when it was sent (epoch ms). */
  at: number;
}

/** A circuit opened or closed on the sender (half-open follows from the shared `openUntil`). */
export interface CircuitMessage extends FromReplica {
  id: string;
  state: 'open' | 'closed';
  openUntil?: number;
  reason?: string;
}

/** The ledger of a host, published by the replica holding its planner lease, with the lease's token. */
export interface LedgerMessage extends FromReplica {
  host: string;
  token: number;
  ledger: Record<string, LedgerSlot>;
  foreign: ForeignModel[];
}

/** A load wanted on a replica that does not plan the host, handed to the one that does. */
export interface WantMessage extends FromReplica {
  host: string;
  /** Model actor id (`host/model`). */
  id: string;
  mode: WantMode;
  urgency: Urgency;
  until: number;
  force?: boolean;
  requestId?: string;
  interactiveBusy?: boolean;
}

/** The sender's own measurements of one model on one host. */
export interface EstimateMessage extends FromReplica {
  id: string;
  estimates: PeerEstimates;
}

/** The sender saw a host go down or answer again (receivers check for themselves). */
export interface HostMessage extends FromReplica {
  host: string;
  status: 'down' | 'up';
  reason?: string;
}

/** Requests the sender has in flight, by model, on one host (the planner does not evict what peers use). */
export interface BusyMessage extends FromReplica {
  host: string;
  busy: Record<string, number>;
}

/**
 * Parses a message from Redis; anything that is not an object from a named replica is dropped (a foreign or
 * corrupted publisher must not reach the actors). Field checks beyond that are per kind, at the receiver.
 */
export function parseMessage<T extends FromReplica>(
  text: string,
  required: ReadonlyArray<keyof T>,
): T | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const r = value as Record<string, unknown>;
  if (typeof r['replica'] !== 'string' || typeof r['at'] !== 'number') return null;
  for (const key of required) if (r[key as string] === undefined) return null;
  return value as T;
}
