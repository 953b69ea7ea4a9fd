import type { StatelyInspectionEvent } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';

/** XState's inspection events in Stately's inspector format, made JSON-safe (actor refs become ids). */
const STATELY_VERSION = '0.7.2';

interface ActorLike {
  id?: string;
  sessionId?: string;
  _parent?: ActorLike;
  logic?: { config?: unknown };
  getSnapshot?: () => unknown;
}

export function toStatelyEvent(ev: InspectionEvent, at: number): StatelyInspectionEvent | undefined {
  const actor = ev.actorRef as ActorLike;
  const base = {
    rootId: ev.rootId,
    sessionId: actor.sessionId ?? '',
    createdAt: String(at),
    id: null,
    _version: STATELY_VERSION,
  };
  switch (ev.type) {
    case '@xstate.actor': {
      const config = actor.logic?.config;
      const isMachine = typeof config === 'object' && config !== null;
      const name =
        actor.id === actor.sessionId && isMachine ? String((config as { id?: unknown }).id) : actor.id;
      return {
        ...base,
        type: '@xstate.actor',
        name: name ?? base.sessionId,
        definition: JSON.stringify(jsonSafe(isMachine ? config : { id: name })),
        parentId: actor._parent?.sessionId,
        snapshot: snapshotOf(currentSnapshot(actor)) ?? { status: 'active' },
      } as unknown as StatelyInspectionEvent;
    }
    case '@xstate.event':
      return {
        ...base,
        type: '@xstate.event',
        event: jsonSafe(ev.event),
        sourceId: (ev.sourceRef as ActorLike | undefined)?.sessionId,
      } as unknown as StatelyInspectionEvent;
    case '@xstate.snapshot':
      return {
        ...base,
        type: '@xstate.snapshot',
        event: jsonSafe(ev.event),
        snapshot: snapshotOf(ev.snapshot) ?? { status: 'active' },
      } as unknown as StatelyInspectionEvent;
    default:
      // Microsteps and actions are too fine-grained for the inspector's timeline; they are not recorded.
      return undefined;
  }
}

/** XState announces an actor before its first snapshot exists, and reading it then throws. */
function currentSnapshot(actor: ActorLike): unknown {
  try {
    return actor.getSnapshot?.();
  } catch {
    return undefined;
  }
}

function snapshotOf(snapshot: unknown): Record<string, unknown> | undefined {
  if (!snapshot || typeof snapshot !== 'object') return undefined;
  const s = snapshot as Record<string, unknown>;
  const out: Record<string, unknown> = { status: s['status'] };
  for (const k of ['value', 'context', 'output', 'error'] as const) {
    if (s[k] !== undefined) out[k] = jsonSafe(s[k]);
  }
  return out;
}

const MAX_DEPTH = 12;

/**
 * Plain JSON data from anything an actor holds: actor refs become `{ id, sessionId }` (a context that
 * holds refs — the supervisor's — would otherwise drag the whole system in), cycles and depth past
 * MAX_DEPTH become markers, functions their names, errors their message.
 */
export function jsonSafe(value: unknown, depth = 0, path: object[] = []): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'undefined' || typeof value === 'symbol') return undefined;
  if (typeof value === 'function') return { type: value.name || 'function' };
  const obj = value as object;
  if (path.includes(obj)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (isActorRef(obj)) return { id: obj.id, sessionId: obj.sessionId };
  if (obj instanceof Error) return { name: obj.name, message: obj.message };
  if (obj instanceof Date) return obj.toISOString();
  const inner = [...path, obj];
  if (Array.isArray(obj)) return obj.map((v) => jsonSafe(v, depth + 1, inner) ?? null);
  if (obj instanceof Map) return jsonSafe(Object.fromEntries(obj), depth, path);
  if (obj instanceof Set) return jsonSafe([...obj], depth, path);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const safe = jsonSafe(v, depth + 1, inner);
    if (safe !== undefined) out[k] = safe;
  }
  return out;
}

function isActorRef(obj: object): obj is { id: string; sessionId: string } {
  const a = obj as { sessionId?: unknown; send?: unknown; getSnapshot?: unknown };
  return (
    typeof a.sessionId === 'string' && typeof a.send === 'function' && typeof a.getSnapshot === 'function'
  );
}

// ---------------------------------------------------------------------------------------------------
// JSONL log: buffered appends, one event per line.
