/**
 * Where replicas meet in Redis. Every key and channel starts with `shared_state.namespace`, so several fleets
 * (or test runs) can share one Redis without seeing each other.
 */
export interface SharedKeys {
  /** `replica|token` of the replica planning this host; expires unless renewed. */
  lease(host: string): string;
  /** Grows by one at every new lease: the fencing token a stale planner's messages are refused by. */
  fence(host: string): string;
  /** The ledger the host's planner last published (JSON), read by a replica that joins. */
  ledger(host: string): string;
  /** Hash: model actor id → the last circuit verdict (JSON), the truth for a replica that (re)starts. */
  readonly circuits: string;
  /** Hash per model actor id: replica → its own measurements (JSON). */
  estimates(id: string): string;
  /** Hash: replica → its demand state (JSON). */
  readonly demand: string;
  readonly channels: {
    readonly circuit: string;
    readonly ledger: string;
    readonly wants: string;
    readonly estimates: string;
    readonly host: string;
    readonly busy: string;
  };
}

export function sharedKeys(namespace: string): SharedKeys {
  const ns = namespace;
  return {
    lease: (host) => `${ns}:lease:${host}`,
    fence: (host) => `${ns}:fence:${host}`,
    ledger: (host) => `${ns}:ledger:${host}`,
    circuits: `${ns}:circuits`,
    estimates: (id) => `${ns}:estimates:${id}`,
    demand: `${ns}:demand`,
    channels: {
      circuit: `${ns}:ch:circuit`,
      ledger: `${ns}:ch:ledger`,
      wants: `${ns}:ch:wants`,
      estimates: `${ns}:ch:estimates`,
      host: `${ns}:ch:host`,
      busy: `${ns}:ch:busy`,
    },
  };
}
