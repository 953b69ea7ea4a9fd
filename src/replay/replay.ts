import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createActor, fromCallback } from 'xstate';
import type { ModelContext } from '../../machines/model/types.ts';
import { modelMachine } from '../../machines/model.machine.ts';
import type { PlanDecision } from '../../machines/supervisor/types.ts';
import { supervisorMachine } from '../../machines/supervisor.machine.ts';
import { decodeEnvelope, isCheckpoint, isDecision, readJournal } from '../persistence/index.ts';
import type { EvictionPolicyName } from '../policy/planner.ts';
import { type PersistedState, SCHEMA_VERSION, STATE_FILE } from '../runtime/persistence.ts';
import { chooseBase, ReplayError } from './base.ts';
import { firstDifference } from './difference.ts';
import { type JournaledDecision, verifyDecisions } from './verify.ts';

export { ReplayError } from './base.ts';
export { firstDifference } from './difference.ts';

export interface TimelineRow {
  at: number;
  model: string;
  from: string;
  to: string;
  event: string;
  reason: string;
  request_id?: string;
}

export interface ReplayOptions {
  /** Start from this base checkpoint id; default the newest usable one. */
  from?: string;
  /** Stop after events stamped later than this (epoch ms). */
  until?: number;
  /** Only this model's rows in the timeline (a model name or a host/model id). */
  model?: string;
  /** Replay up to state.json's own checkpoint and compare with it, and recompute every decision. */
  verify?: boolean;
  /** Replay and recompute under another eviction policy ("what would LRU have done?"). */
  evictionPolicy?: EvictionPolicyName;
}

export interface ReplayResult {
  checkpoint: { id: string; file: string; at: number };
  events: number;
  timeline: TimelineRow[];
  /** Decisions journaled after the base checkpoint (selection records and the supervisor's), in order. */
  journaled: JournaledDecision[];
  /** The supervisor's decisions as the replayed machine emitted them again. */
  replayed: PlanDecision[];
  /** With verify: null when replay reproduced state.json and every decision exactly, else the first difference. */
  divergence?: string | null;
  /** With verify: state.json's checkpoint id. */
  verifiedAgainst?: string;
  tornLines: number;
}

/** An inert actor: in replay the journal holds every answer the live timers and loader delivered. */
const inert = fromCallback(() => undefined);

/**
 * Rebuilds the actor system's history from a base checkpoint and the journal, with pure transitions: no
 * clock (every event carries its own `now`), no timers and no loader (their results are journaled events),
 * no I/O beyond reading the state folder. The supervisor decides again as it goes, so its decisions can be
 * compared with the ones journaled at the time.
 */
export function replay(stateDir: string, options: ReplayOptions = {}): ReplayResult {
  if (!existsSync(stateDir))
    throw new ReplayError(`no state folder at ${stateDir}; pass the service's --state-dir`);
  const target = options.verify ? stateCheckpoint(stateDir) : undefined;
  const base = chooseBase(stateDir, options.from, target?.checkpoint);
  const journal = readJournal(stateDir, { fromCheckpoint: base.checkpoint_id });
  if (!journal.checkpoint)
    throw new ReplayError(`checkpoint ${base.checkpoint_id} is not in the journal of ${stateDir}`);

  const machine = supervisorMachine.provide({
    actors: {
      model: modelMachine.provide({ actors: { deadlineTimer: inert as never } }),
      loader: inert as never,
    },
  });
  const snapshot = withPolicy(base.payload.supervisor, options.evictionPolicy);
  const actor = createActor(machine, { snapshot: snapshot as never, input: undefined as never });
  let failure: unknown;
  actor.subscribe({ error: (err) => (failure = err) });
  const replayed: PlanDecision[] = [];
  actor.on('decision', (e) => replayed.push(e.decision));
  actor.start();

  const timeline: TimelineRow[] = [];
  const current = { at: base.at, event: '', requestId: undefined as string | undefined };
  const watched = new Set<string>();
  const watch = () => {
    for (const [id, ref] of Object.entries(actor.getSnapshot().context.models)) {
      if (watched.has(id)) continue;
      watched.add(id);
      let previous = ref.getSnapshot().value as string;
      ref.subscribe((snap) => {
        const value = snap.value as string;
        if (value === previous) return;
        timeline.push({
          at: current.at,
          model: id,
          from: previous,
          to: value,
          event: current.event,
          reason: reasonOf(value, current.event, snap.context),
          ...(current.requestId && { request_id: current.requestId }),
        });
        previous = value;
      });
    }
  };
  watch();

  const journaled: JournaledDecision[] = [];
  let events = 0;
  let reachedTarget = !target;
  for (const record of journal.records) {
    if (isCheckpoint(record)) {
      if (target && record.id === target.checkpoint) {
        reachedTarget = true;
        break;
      }
      continue;
    }
    if (options.until !== undefined && record.at > options.until) break;
    if (isDecision(record)) {
      journaled.push(record.decision as unknown as JournaledDecision);
      continue;
    }
    const event = record.event as { type: string };
    current.at = record.at;
    current.event = event.type;
    current.requestId = record.request_id;
    if (record.target === 'supervisor') actor.send(event as never);
    else actor.getSnapshot().context.models[record.target]?.send(event as never);
    events++;
    if (failure)
      throw new ReplayError(
        `replay failed at event ${events} (${event.type} → ${record.target}): ${String(failure)}`,
      );
    if (event.type === 'HOST_CATALOG') watch();
  }

  const byModel = (m: string) => (id: string) => id === m || id.endsWith(`/${m}`);
  const result: ReplayResult = {
    checkpoint: { id: base.checkpoint_id, file: base.file, at: base.at },
    events,
    timeline: options.model ? timeline.filter((r) => byModel(options.model!)(r.model)) : timeline,
    journaled,
    replayed,
    tornLines: journal.tornLines,
  };
  if (target) {
    result.verifiedAgainst = target.checkpoint;
    result.divergence = !reachedTarget
      ? `the journal ends before state.json's checkpoint ${target.checkpoint}`
      : (verifyDecisions(journaled, replayed, options.evictionPolicy) ??
        (options.evictionPolicy
          ? null
          : // state.json went through JSON; so does the replayed snapshot before the comparison.
            firstDifference(
              JSON.parse(JSON.stringify(actor.getPersistedSnapshot())),
              target.payload.supervisor,
              'snapshot',
            )));
  }
  actor.stop();
  return result;
}

/** A snapshot whose supervisor plans with another eviction policy (for what-if replays). */
function withPolicy(snapshot: unknown, policy: EvictionPolicyName | undefined): unknown {
  if (!policy) return snapshot;
  const s = snapshot as { context: Record<string, unknown> };
  return { ...s, context: { ...s.context, evictionPolicy: policy } };
}

function stateCheckpoint(stateDir: string): { checkpoint: string; payload: PersistedState } {
  const file = join(stateDir, STATE_FILE);
  if (!existsSync(file)) throw new ReplayError(`no ${STATE_FILE} in ${stateDir} to verify against`);
  const decoded = decodeEnvelope(readFileSync(file, 'utf8'), SCHEMA_VERSION);
  if (!decoded.ok) throw new ReplayError(`${file} is ${decoded.kind}: ${decoded.reason}`);
  const checkpoint = decoded.envelope.journal_checkpoint;
  if (!checkpoint)
    throw new ReplayError(`${file} names no journal checkpoint; it was saved without a journal`);
  return { checkpoint, payload: decoded.envelope.payload as PersistedState };
}

/** Why a transition happened, in words: only failures and openings have a reason beyond their event. */
function reasonOf(to: string, event: string, ctx: ModelContext): string {
  if (to === 'open' && ctx.openReason) return ctx.openReason;
  if (/FAILED$/.test(event) && ctx.lastFailure)
    return `${ctx.lastFailure.errorClass} ${ctx.lastFailure.reason}`;
  if (event === 'DEADLINE_REACHED' && to === 'unloaded') return 'load timeout';
  return '';
}
