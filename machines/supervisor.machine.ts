import { type ActorRefFrom, assign, enqueueActions, setup } from 'xstate';
import type { ModelInput } from './model/types.ts';
import { modelMachine } from './model.machine.ts';

/**
 * The supervisor: spawns one model actor per (model, host), and holds what it knows of each host — its
 * VRAM budget, whether it answers, and the models Ollama holds that are not ours ("foreign" models, loaded
 * by someone else, which count against the budget but are never evicted by us).
 *
 * Selection and VRAM planning are pure functions in src/policy that read this actor's snapshot: keeping
 * them out of the machine keeps every transition cheap on the request path, and the ledger is derived from
 * the model actors' own states instead of being a second copy that could drift.
 */

export interface ForeignModel {
  name: string;
  sizeVramGb: number;
}

export interface HostState {
  name: string;
  url: string;
  budgetGb: number;
  maxLoadedModels: number;
  numParallel: number;
  /** null until the first reconciliation. */
  reachable: boolean | null;
  lastReconciledAt: number | null;
  lastError: string | null;
  foreign: ForeignModel[];
}

export interface SupervisorInput {
  hosts: HostState[];
  models: ModelInput[];
  /** Model actor ids never evicted (the warm set on each host). */
  pinned: string[];
  now: number;
}

export interface PsModel {
  name: string;
  sizeVramGb: number;
  expiresAt?: number;
}

export type SupervisorEvent =
  | {
      type: 'HOST_RECONCILED';
      host: string;
      now: number;
      /** When /api/ps was asked; answers about loads that finished after this are stale. */
      sampledAt: number;
      models: PsModel[];
    }
  | { type: 'HOST_UNREACHABLE'; host: string; now: number; error: string };

export type ModelRef = ActorRefFrom<typeof modelMachine>;

export interface SupervisorContext {
  hosts: Record<string, HostState>;
  pinned: string[];
  /** model actor id → its ref; ids are `${host}/${model}` and double as system ids. */
  models: Record<string, ModelRef>;
  now: number;
}

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorInput,
    events: {} as SupervisorEvent,
  },
  actors: { model: modelMachine },
  actions: {
    recordReachable: assign(({ context, event }) => {
      if (event.type !== 'HOST_RECONCILED') return {};
      const host = context.hosts[event.host];
      if (!host) return {};
      const ours = new Set(
        Object.values(context.models).flatMap((ref) => (ref.id.startsWith(`${event.host}/`) ? [ref.id] : [])),
      );
      const foreign = event.models.filter((m) => !ours.has(`${event.host}/${m.name}`));
      return {
        now: Math.max(context.now, event.now),
        hosts: {
          ...context.hosts,
          [event.host]: { ...host, reachable: true, lastReconciledAt: event.now, lastError: null, foreign },
        },
      };
    }),
    recordUnreachable: assign(({ context, event }) => {
      if (event.type !== 'HOST_UNREACHABLE') return {};
      const host = context.hosts[event.host];
      if (!host) return {};
      return {
        now: Math.max(context.now, event.now),
        hosts: { ...context.hosts, [event.host]: { ...host, reachable: false, lastError: event.error } },
      };
    }),
    /** Tells every model actor of the host what Ollama says it holds. */
    fanOutReconciliation: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'HOST_RECONCILED') return;
      const byName = new Map(event.models.map((m) => [m.name, m]));
      for (const [id, ref] of Object.entries(context.models)) {
        if (!id.startsWith(`${event.host}/`)) continue;
        const seen = byName.get(id.slice(event.host.length + 1));
        enqueue.sendTo(ref, {
          type: 'RECONCILED',
          now: event.now,
          sampledAt: event.sampledAt,
          loaded: seen !== undefined,
          ...(seen && { sizeVramGb: seen.sizeVramGb }),
          ...(seen?.expiresAt !== undefined && { expiresAt: seen.expiresAt }),
        });
      }
    }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input, spawn }) => ({
    hosts: Object.fromEntries(input.hosts.map((h) => [h.name, h])),
    pinned: input.pinned,
    now: input.now,
    models: Object.fromEntries(
      input.models.map((m) => [m.id, spawn('model', { id: m.id, systemId: m.id, input: m })]),
    ),
  }),
  initial: 'supervising',
  states: {
    supervising: {
      on: {
        HOST_RECONCILED: { actions: ['recordReachable', 'fanOutReconciliation'] },
        HOST_UNREACHABLE: { actions: 'recordUnreachable' },
      },
    },
  },
});
