import { effectiveEstimates } from '../../machines/model/estimates.ts';
import type { ModelContext, ModelStateValue } from '../../machines/model/types.ts';
import { demandAt } from '../../machines/model/updates.ts';
import { planningLedger } from '../../machines/supervisor/ledger.ts';
import type { HostState, SupervisorContext } from '../../machines/supervisor/types.ts';
import type { Config } from '../config/schema.ts';
import { type CandidateState, takesTraffic } from '../policy/estimate.ts';
import { planFor } from '../policy/planner.ts';
import { type Estimate, sizeEstimate } from '../policy/size-estimate.ts';
import { withFields } from '../with-fields.ts';

/**
 * What selection reads of one model on one host: a plain object per model actor, refreshed from the model
 * actor's snapshot (cheap, on every change of it) and from the supervisor's ledger and host health (when
 * the supervisor's snapshot changes). Selection never touches an actor.
 */

/** Tokens per second per GB of weights before anything is measured: the seed's catalog runs at ~240/size. */
export const TOKENS_PER_S_GB = 240;

export interface LiveView extends CandidateState {
  /** Best estimate of the memory it needs, with its source. */
  need: Estimate;
  /** Best generation rate, with its source. */
  rate: Estimate;
  /** What loading it now would evict (without the warm set's room); empty when resident or nothing. */
  wouldEvict: string[];
}

export function newView(config: Readonly<Config>, id: string, ctx: ModelContext, host: HostState): LiveView {
  const hostRank = Math.max(
    0,
    config.hosts.findIndex((h) => h.name === host.name),
  );
  const spec = config.models[ctx.model];
  const configured = spec?.tokens_per_s ?? TOKENS_PER_S_GB / Math.max(ctx.sizeGb, 0.1);
  return {
    id,
    model: ctx.model,
    host: ctx.host,
    state: 'unloaded',
    acceptsTraffic: true,
    trialsLeft: 0,
    inFlight: 0,
    parallelSlots: host.numParallel,
    latencyEwmaMs: null,
    answerTokens: null,
    tokenMs: null,
    loadMs: ctx.loadTimeMs,
    loadingStartedAt: null,
    tokensPerS: configured,
    sizeGb: ctx.sizeGb,
    hostVramGb: host.budgetGb,
    hostRank,
    fitsNow: true,
    fitsIfWarmYields: true,
    openUntil: null,
    resident: false,
    hostUp: true,
    ...(spec?.capabilities && { capabilities: spec.capabilities }),
    ...(spec?.context_length !== undefined && { contextLength: spec.context_length }),
    need: { value: ctx.sizeGb, source: 'config', samples: 0 },
    rate: { value: configured, source: spec ? 'config' : 'discovered', samples: 0 },
    wouldEvict: [],
  };
}

/** The model actor's part of the view. */
export function refreshFromModel(
  view: LiveView,
  value: ModelStateValue,
  ctx: ModelContext,
  now: number,
): void {
  view.state = value;
  view.inFlight = ctx.inFlight + ctx.probing;
  view.latencyEwmaMs = ctx.latencyEwmaMs;
  view.answerTokens = ctx.answerTokens ?? null;
  view.tokenMs = ctx.tokenMs ?? null;
  view.openUntil = value === 'open' ? ctx.openUntil : null;
  view.trialsLeft = ctx.trialsLeft;
  view.acceptsTraffic = takesTraffic(value, ctx.openUntil, ctx.trialsLeft, now);
  const est = effectiveEstimates(ctx);
  if (est.tokensPerS !== null) {
    view.tokensPerS = est.tokensPerS;
    view.rate = { value: est.tokensPerS, source: 'measured', samples: est.tokenSamples };
  }
}

/**
 * The supervisor's part: residency and memory from the ledger, the host's health, the best size estimate,
 * and whether a load could start now (with and without the warm set's room) by the same planner the
 * supervisor uses.
 */
export function refreshFromSupervisor(
  view: LiveView,
  ctx: ModelContext,
  sup: SupervisorContext,
  loadQueueMs: number,
  now: number,
): void {
  const host = sup.hosts[view.host];
  if (!host) return;
  const slot = host.ledger[view.model];
  view.resident = slot?.status === 'loaded';
  const loading = slot?.status === 'loading';
  view.loadingStartedAt = loading ? slot.since : null;
  view.hostUp = host.health.status !== 'down';
  // What the host says of the model wins over the config (it is the model actually there).
  const found = host.catalog[view.model];
  if (found?.capabilities) view.capabilities = found.capabilities;
  if (found?.contextLength !== undefined) view.contextLength = found.contextLength;
  const est = effectiveEstimates(ctx);
  view.need = needOf(ctx, host, est);
  view.sizeGb = view.need.value;
  view.offloaded = slot ? slot.vramGb + 1e-9 < slot.sizeGb : view.need.value > host.budgetGb;
  // Ollama loads one model at a time per host: a new load waits behind the loads under way.
  view.loadMs = view.resident || loading ? est.loadTimeMs : est.loadTimeMs + loadQueueMs;
  if (view.resident || loading || slot?.status === 'unloading') {
    view.fitsNow = slot?.status !== 'unloading';
    view.fitsIfWarmYields = view.fitsNow;
    view.wouldEvict = [];
    return;
  }
  const pinned = new Set(sup.pinned);
  const facts = (model: string) => {
    const ref = sup.models[`${view.host}/${model}`];
    if (!ref) return undefined;
    const c = ref.getSnapshot().context;
    return {
      state: ref.getSnapshot().value as ModelStateValue,
      busy: c.inFlight + c.probing,
      lastUsed: c.lastUsed,
      loadTimeMs: effectiveEstimates(c).loadTimeMs,
      demand: demandAt(c, now),
      // Only a warm-set model's size is read (the room kept for it while it is away).
      needGb: pinned.has(`${view.host}/${model}`) ? needOf(c, host).value : 0,
    };
  };
  const ledger = planningLedger(host, pinned, facts, view.model);
  const inputs = { ledger, sizeGb: view.need.value, evictionPolicy: sup.evictionPolicy };
  const plan = planFor(view.model, withFields(inputs, { displaceWarmSet: false }));
  const strict = plan.action;
  const loose = planFor(view.model, withFields(inputs, { displaceWarmSet: true })).action;
  view.wouldEvict = plan.action === 'load' || plan.action === 'partial_offload' ? plan.evict : [];
  view.fitsNow = strict === 'load' || strict === 'partial_offload' || strict === 'none';
  view.fitsIfWarmYields = loose === 'load' || loose === 'partial_offload' || loose === 'none';
}

/** The best estimate of what a model needs on its host (measured, else discovered, else configured). */
function needOf(c: ModelContext, host: HostState, est = effectiveEstimates(c)): Estimate {
  return sizeEstimate({
    configGb: c.sizeGb,
    discovered: host.catalog[c.model],
    measuredGb: est.sizeGb,
    samples: est.sizeSamples,
    numParallel: host.numParallel,
  });
}
