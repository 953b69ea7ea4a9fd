import { type ActorRefFrom, enqueueActions, fromCallback, setup } from 'xstate';
import { loadTimeGuessMs, sizeEstimate } from '../src/policy/size-estimate.ts';
import { effectiveEstimates } from './model/estimates.ts';
import type { ModelInput, ModelStateValue } from './model/types.ts';
import { demandAt } from './model/updates.ts';
import { modelMachine } from './model.machine.ts';
import type { ModelFacts } from './supervisor/ledger.ts';
import { type FactsOf, noEffects, replan, type Step, wantLoad } from './supervisor/planning.ts';
import {
  catalogued,
  hostDown,
  hostUp,
  ledgerSynced,
  loadFailed,
  loadSucceeded,
  peerBusy,
  plannerChanged,
  reconciled,
  restored,
  unloaded,
} from './supervisor/steps.ts';
import type {
  DiscoveredModel,
  HostState,
  LoaderCommand,
  SupervisorContext,
  SupervisorEmitted,
  SupervisorEvent,
  SupervisorInput,
} from './supervisor/types.ts';

/**
 * The supervisor: spawns one model actor per (model, host), and owns what is planned for each host — the
 * VRAM ledger (what is loaded, loading and being unloaded), the loads wanted but waiting for room, the
 * warm set, and the host's health apart from its models' health.
 *
 * Every load, eviction and host change is decided in its transitions by pure steps
 * (machines/supervisor/planning.ts and steps.ts, which call src/policy/planner.ts). Their effects leave as
 * commands to the invoked `loader` actor (the runtime provides the one that does the I/O and answers with
 * events), as events to the model actors, and as emitted `decision` events carrying each decision's inputs,
 * which the runtime journals: replaying the journal replays the decisions, and `rmm replay --verify`
 * recomputes each one from its inputs.
 *
 * Selection is not here: it is a pure function on the request path over a snapshot of this actor's
 * children and ledger (src/policy/select.ts), so a healthy request costs no supervisor event at all.
 */

/** Default loader: does nothing (pure). The runtime provides the real one; replay keeps this one. */
const inertLoader = fromCallback<LoaderCommand>(() => undefined);

export type { ModelRef } from './supervisor/types.ts';

export const supervisorMachine = setup({
  types: {
    context: {} as SupervisorContext,
    input: {} as SupervisorInput,
    events: {} as SupervisorEvent,
    emitted: {} as SupervisorEmitted,
  },
  actors: { model: modelMachine, loader: inertLoader },
  actions: {
    step: enqueueActions(({ context, event, enqueue }) => {
      const step: Step = { ctx: { ...context, now: Math.max(context.now, event.now) }, fx: noEffects() };
      const facts = factsOf(context, event.now);
      let discovered: DiscoveredModel[] = [];
      switch (event.type) {
        case 'LOAD_WANTED':
          wantLoad(
            step,
            {
              id: event.id,
              mode: event.mode,
              urgency: event.urgency ?? 'interactive',
              until: event.until ?? event.now + context.loadTimeoutMs,
              ...(event.requestId && { requestId: event.requestId }),
              ...(event.force && { force: true }),
              ...(event.interactiveBusy && { interactiveBusy: true }),
            },
            event.now,
            facts,
          );
          break;
        case 'WANT_DROPPED':
          step.ctx = {
            ...step.ctx,
            wants: step.ctx.wants.filter((w) => !(w.id === event.id && w.requestId === event.requestId)),
          };
          break;
        case 'LOAD_SUCCEEDED':
          loadSucceeded(step, event, facts);
          break;
        case 'LOAD_FAILED':
          loadFailed(step, event, facts);
          break;
        case 'UNLOADED':
          unloaded(step, event, facts);
          break;
        case 'HOST_RECONCILED':
          reconciled(step, event, facts);
          break;
        case 'HOST_CATALOG':
          discovered = catalogued(step, event);
          break;
        case 'HOST_DOWN':
          hostDown(step, event);
          break;
        case 'HOST_UP':
          hostUp(step, event, facts);
          break;
        case 'ROOM_CHANGED':
          replan(step, event.host, event.now, facts);
          break;
        case 'TICK':
          replan(step, undefined, event.now, facts);
          break;
        case 'RESTORED':
          restored(step, event.now);
          break;
        case 'PLANNER_CHANGED':
          plannerChanged(step, event, facts);
          break;
        case 'LEDGER_SYNC':
          ledgerSynced(step, event, facts);
          break;
        case 'PEER_BUSY':
          peerBusy(step, event, facts);
          break;
      }
      enqueue.assign(step.ctx);
      for (const m of discovered) {
        const input = discoveredInput(
          step.ctx,
          event.type === 'HOST_CATALOG' ? event.host : '',
          m,
          event.now,
        );
        enqueue.assign({
          models: ({ context: c, spawn }) => ({
            ...c.models,
            [input.id]: spawn('model', { id: input.id, systemId: input.id, input }),
          }),
        });
      }
      for (const { id, event: e } of step.fx.toModels) {
        const ref = context.models[id];
        if (ref) enqueue.sendTo(ref, e);
      }
      for (const cmd of step.fx.commands) enqueue.sendTo('loader', cmd);
      for (const decision of step.fx.decisions) enqueue.emit({ type: 'decision', decision });
    }),
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input, spawn }) => ({
    now: input.now,
    hosts: Object.fromEntries(input.hosts.map((h) => [h.name, freshHost(h)])),
    pinned: input.pinned,
    models: Object.fromEntries(
      input.models.map((m) => [m.id, spawn('model', { id: m.id, systemId: m.id, input: m })]),
    ),
    wants: [],
    evictionPolicy: input.evictionPolicy,
    loadTimeoutMs: input.loadTimeoutMs,
    modelDefaults: input.modelDefaults,
    decisionSeq: 0,
  }),
  invoke: { id: 'loader', systemId: 'loader', src: 'loader' },
  initial: 'supervising',
  states: {
    supervising: {
      on: {
        LOAD_WANTED: { actions: 'step' },
        WANT_DROPPED: { actions: 'step' },
        LOAD_SUCCEEDED: { actions: 'step' },
        LOAD_FAILED: { actions: 'step' },
        UNLOADED: { actions: 'step' },
        HOST_RECONCILED: { actions: 'step' },
        HOST_CATALOG: { actions: 'step' },
        HOST_DOWN: { actions: 'step' },
        HOST_UP: { actions: 'step' },
        ROOM_CHANGED: { actions: 'step' },
        TICK: { actions: 'step' },
        RESTORED: { actions: 'step' },
        PLANNER_CHANGED: { actions: 'step' },
        LEDGER_SYNC: { actions: 'step' },
        PEER_BUSY: { actions: 'step' },
      },
    },
  },
});

export type SupervisorMachine = typeof supervisorMachine;
export type SupervisorRef = ActorRefFrom<SupervisorMachine>;

function freshHost(h: SupervisorInput['hosts'][number]): HostState {
  return {
    ...h,
    health: { status: 'unknown', since: null, reason: null, outages: 0, version: null },
    lastReconciledAt: null,
    foreign: [],
    ledger: {},
    catalog: {},
    planner: 'local',
  };
}

/** What planning reads of each model actor, as of `now` (snapshots of the children, read-only). */
function factsOf(ctx: SupervisorContext, now: number): FactsOf {
  return (id) => {
    const ref = ctx.models[id];
    if (!ref) return undefined;
    const snap = ref.getSnapshot();
    const c = snap.context;
    const host = ctx.hosts[c.host];
    const est = effectiveEstimates(c);
    const facts: ModelFacts = {
      state: snap.value as ModelStateValue,
      busy: c.inFlight + c.probing,
      lastUsed: c.lastUsed,
      loadTimeMs: est.loadTimeMs,
      demand: demandAt(c, now),
      needGb: sizeEstimate({
        configGb: c.sizeGb,
        discovered: host?.catalog[c.model],
        measuredGb: est.sizeGb,
        samples: est.sizeSamples,
        numParallel: host?.numParallel ?? 1,
      }).value,
    };
    return facts;
  };
}

/** A model found on a host that the config does not name: an actor with the defaults and its own size. */
function discoveredInput(ctx: SupervisorContext, host: string, m: DiscoveredModel, now: number): ModelInput {
  const sizeGb = m.sizeBytes / 1e9;
  return {
    id: `${host}/${m.name}`,
    model: m.name,
    host,
    sizeGb,
    loadTimeMs: loadTimeGuessMs(sizeGb),
    circuit: ctx.modelDefaults.circuit,
    loadTimeoutMs: ctx.modelDefaults.loadTimeoutMs,
    demandHalfLifeMs: ctx.modelDefaults.demandHalfLifeMs,
    now,
  };
}
