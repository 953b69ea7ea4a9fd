import type { PlanDecision } from '../../machines/supervisor/types.ts';
import { DEMAND_PRIOR, evictionValue } from '../policy/eviction.ts';
import type { LedgerEntry } from '../policy/vram-ledger.ts';
import { ReplayError } from './base.ts';
import type { JournaledDecision } from './verify.ts';
import { isPlanDecision } from './verify.ts';

type Eviction = Extract<PlanDecision, { kind: 'eviction' }>;
type Load = Extract<PlanDecision, { kind: 'load' | 'wait' | 'refuse' }>;

/**
 * `rmm why evict MODEL [--at TIME]`: one paragraph on the newest eviction of MODEL at or before TIME, from
 * the decisions journaled with their inputs: what it made room for and for whom, how much room was needed,
 * how the idle models ranked, and why the others could not go.
 */
export function whyEvicted(decisions: readonly JournaledDecision[], model: string, at?: number): string {
  const plan = decisions.filter(isPlanDecision);
  const evictions = plan.filter(
    (d): d is Eviction =>
      d.kind === 'eviction' &&
      (d.model === model || `${d.host}/${d.model}` === model) &&
      (at === undefined || d.at <= at),
  );
  const ev = evictions.at(-1);
  if (!ev) {
    const any = plan.some((d) => d.kind === 'eviction' && d.model === model);
    throw new ReplayError(
      any
        ? `${model} was not evicted at or before ${new Date(at ?? 0).toISOString()}; drop --at to see its last eviction`
        : `no eviction of ${model} in this journal (since its base checkpoint); see rmm replay --decisions`,
    );
  }
  const load = plan.find((d): d is Load => d.kind === 'load' && d.seq === ev.for_decision);
  const when = `At ${new Date(ev.at).toISOString()} (decision #${ev.seq})`;
  const who = ev.request_id ? `a ${ev.urgency} request (${ev.request_id})` : `a ${ev.mode} load`;
  if (!load)
    return `${when} ${ev.model} was evicted from ${ev.host} to make room for ${ev.for_model}, wanted by ${who}.`;
  const { ledger, sizeGb } = load.inputs;
  const used = Object.values(ledger.entries).reduce((s, e) => s + e.sizeVramGb, 0);
  const free = ledger.budgetGb - used;
  const room =
    load.plan.action === 'partial_offload'
      ? `${ev.for_model} needs ${gb(sizeGb)}, more than the ${gb(ledger.budgetGb)} card, so it loads alone, partially offloaded: every idle model had to go`
      : `${ev.for_model} needs ${gb(sizeGb)} and ${gb(Math.max(0, free))} of ${gb(ledger.budgetGb)} were free${
          Object.keys(ledger.entries).length + 1 > ledger.maxLoadedModels
            ? `, and at most ${ledger.maxLoadedModels} models may be loaded at once`
            : ''
        }`;
  const idle: string[] = [];
  const kept: string[] = [];
  for (const [name, e] of Object.entries(ledger.entries)) {
    const why = blocked(e);
    if (why) kept.push(`${name} (${why})`);
    else idle.push(`${name} ${value(e)}`);
  }
  const victims = 'evict' in load.plan ? load.plan.evict : [];
  const ranking =
    load.inputs.evictionPolicy === 'value'
      ? `Idle models are ranked by value = (recent demand + ${DEMAND_PRIOR}) × load seconds ÷ GB, lowest evicted first: ${idle.join('; ')}`
      : `Idle models were ordered by the "${load.inputs.evictionPolicy}" policy: ${idle.join('; ')}`;
  const others = victims.filter((v) => v !== ev.model);
  return (
    `${when} ${ev.model} was evicted from ${ev.host} to make room for ${ev.for_model}, wanted by ${who}. ` +
    `${room}. ${ranking}; ${victims.length === 1 ? `${ev.model} alone freed enough` : `evicted: ${victims.join(', ')}`}` +
    `${others.length ? ` (with ${others.join(', ')})` : ''}.` +
    (kept.length ? ` Not candidates: ${kept.join('; ')}.` : '')
  );
}

function blocked(e: LedgerEntry): string | null {
  if (e.foreign) return "another client's model";
  if (e.status === 'loading') return 'still loading';
  if (e.inFlight > 0) return `busy, ${e.inFlight} in flight`;
  if (e.pinned) return 'warm set';
  return null;
}

function value(e: LedgerEntry): string {
  const v = evictionValue({
    model: '',
    sizeGb: e.sizeVramGb,
    loadSeconds: e.loadSeconds ?? 10,
    demand: e.demand ?? 0,
    lastUsed: e.lastUsed,
    keepAliveS: Number.POSITIVE_INFINITY,
  });
  return `${round(v)} (demand ${round(e.demand ?? 0)}, ${round(e.loadSeconds ?? 10)} s to load, ${gb(e.sizeVramGb)})`;
}

const round = (n: number) => Math.round(n * 100) / 100;
const gb = (n: number) => `${Math.round(n * 10) / 10} GB`;
