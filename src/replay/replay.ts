import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createActor, fromCallback } from 'xstate';
import type { ModelContext } from '../../machines/model/types.ts';
import { modelMachine } from '../../machines/model.machine.ts';
import { supervisorMachine } from '../../machines/supervisor.machine.ts';
import { decodeEnvelope, isCheckpoint, readJournal } from '../persistence/index.ts';
import {
  type BaseCheckpoint,
  CHECKPOINT_DIR,
  type PersistedState,
  SCHEMA_VERSION,
  STATE_FILE,
} from '../runtime/persistence.ts';

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
  /** Replay up to state.json's own checkpoint and compare with it. */
  verify?: boolean;
}

export interface ReplayResult {
  checkpoint: { id: string; file: string; at: number };
  events: number;
  timeline: TimelineRow[];
  /** With verify: null when replay reproduced state.json exactly, else the first difference. */
  divergence?: string | null;
  /** With verify: state.json's checkpoint id. */
  verifiedAgainst?: string;
  tornLines: number;
}

export class ReplayError extends Error {
  override readonly name = 'ReplayError';
}

/** An inert deadline timer: in replay the journal holds every DEADLINE_REACHED the live timers delivered. */
const inertTimer = fromCallback(() => undefined);

/**
 * Rebuilds the actor system's history from a base checkpoint and the journal, with pure transitions: no
 * clock (every event carries its own `now`), no timers (journaled deadlines are fed like any event), no I/O
 * beyond reading the state folder.
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
    actors: { model: modelMachine.provide({ actors: { deadlineTimer: inertTimer as never } }) },
  });
  const actor = createActor(machine, {
    snapshot: base.payload.supervisor as never,
    input: undefined as never,
  });
  let failure: unknown;
  actor.subscribe({ error: (err) => (failure = err) });
  actor.start();

  const timeline: TimelineRow[] = [];
  const refs = actor.getSnapshot().context.models;
  const current = { at: base.at, event: '', requestId: undefined as string | undefined };
  for (const [id, ref] of Object.entries(refs)) {
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
        reason: reasonOf(snap.context),
        ...(current.requestId && { request_id: current.requestId }),
      });
      previous = value;
    });
  }

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
    const event = record.event as { type: string };
    current.at = record.at;
    current.event = event.type;
    current.requestId = record.request_id;
    if (record.target === 'supervisor') actor.send(event as never);
    else refs[record.target]?.send(event as never);
    events++;
    if (failure)
      throw new ReplayError(
        `replay failed at event ${events} (${event.type} → ${record.target}): ${String(failure)}`,
      );
  }

  const result: ReplayResult = {
    checkpoint: { id: base.checkpoint_id, file: base.file, at: base.at },
    events,
    timeline: options.model
      ? timeline.filter((r) => r.model === options.model || r.model.endsWith(`/${options.model}`))
      : timeline,
    tornLines: journal.tornLines,
  };
  if (target) {
    result.verifiedAgainst = target.checkpoint;
    result.divergence = reachedTarget
      ? // state.json went through JSON; so does the replayed snapshot before the comparison.
        firstDifference(
          JSON.parse(JSON.stringify(actor.getPersistedSnapshot())),
          target.payload.supervisor,
          'snapshot',
        )
      : `the journal ends before state.json's checkpoint ${target.checkpoint}`;
  }
  actor.stop();
  return result;
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

/** The base checkpoint to start from: the one asked for, else the newest one before the target. */
function chooseBase(
  stateDir: string,
  from: string | undefined,
  before: string | undefined,
): BaseCheckpoint & { file: string } {
  const dir = join(stateDir, CHECKPOINT_DIR);
  const bases = (existsSync(dir) ? readdirSync(dir) : [])
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      try {
        return {
          ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as BaseCheckpoint),
          file: `${CHECKPOINT_DIR}/${f}`,
        };
      } catch {
        return undefined;
      }
    })
    .filter((b): b is BaseCheckpoint & { file: string } => !!b?.checkpoint_id)
    .sort((a, b) => a.at - b.at);
  if (bases.length === 0)
    throw new ReplayError(`no base checkpoints in ${dir}; the service writes one at every start`);
  if (from) {
    const found = bases.find((b) => b.checkpoint_id === from);
    if (!found)
      throw new ReplayError(
        `no checkpoint "${from}"; known: ${bases.map((b) => b.checkpoint_id).join(', ')}`,
      );
    return found;
  }
  if (!before) return bases.at(-1)!;
  // The newest base whose line comes before the target's line in the journal.
  const order = readJournal(stateDir)
    .records.filter(isCheckpoint)
    .map((c) => c.id);
  const targetIndex = order.indexOf(before);
  const usable = bases.filter((b) => {
    const i = order.indexOf(b.checkpoint_id);
    return i >= 0 && (targetIndex < 0 || i <= targetIndex);
  });
  if (usable.length === 0)
    throw new ReplayError(`no base checkpoint precedes state.json's checkpoint ${before}`);
  return usable.sort((a, b) => order.indexOf(a.checkpoint_id) - order.indexOf(b.checkpoint_id)).at(-1)!;
}

function reasonOf(ctx: ModelContext): string {
  if (ctx.openReason) return ctx.openReason;
  if (ctx.lastFailure) return `${ctx.lastFailure.errorClass} ${ctx.lastFailure.reason}`;
  return '';
}

/** A readable path to the first place two JSON values differ, or null when they are equal. */
export function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (Object.is(a, b)) return null;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    return `${path}: replayed ${JSON.stringify(a)} but state.json has ${JSON.stringify(b)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: one is a list, the other is not`;
  const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  for (const k of new Set([...ka, ...kb])) {
    const d = firstDifference(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      `${path}.${k}`,
    );
    if (d) return d;
  }
  return null;
}
