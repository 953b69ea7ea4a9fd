import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { actionName, guardName, isDelayPlumbing } from './names.ts';

/**
 * A machine definition as plain data: what every diagram format is written from. It is read from the
 * machine object itself (StateNode tree), never from source text, so a diagram cannot disagree with the
 * code it was generated from. Order is deterministic: states in document order, events sorted by name,
 * and the candidates for one event in priority order (which is meaning, not presentation).
 */
export interface MachineGraph {
  id: string;
  root: StateGraph;
  /**
   * Actor logic the machine provides but no state invokes: spawned at run time (the supervisor spawns
   * one `model` actor per host and model), which the state tree alone cannot show.
   */
  spawns: string[];
}

export type TransitionKind = 'on' | 'after' | 'always' | 'done' | 'error' | 'snapshot' | 'stateDone';

export interface TransitionGraph {
  kind: TransitionKind;
  /** The event type as the machine sees it, for `after` and invoke results the xstate.* internal name. */
  event: string;
  /** How a diagram shows the trigger: the event, `after 5000ms`, `always`, `done(loadTimer)`. */
  label: string;
  /** The `after` key, or the invoke id for done/error/snapshot. */
  delay?: number | string;
  invokeId?: string;
  guard?: string;
  actions: string[];
  /** State node ids; empty for a transition that only runs actions. */
  targets: string[];
  reenter: boolean;
}

export interface InvokeGraph {
  id: string;
  src: string;
}

export interface StateGraph {
  /** Full state node id, e.g. `model.loading`. */
  id: string;
  key: string;
  path: string[];
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  history?: 'shallow' | 'deep';
  /** Key of the initial child, for compound states. */
  initial?: string;
  entry: string[];
  exit: string[];
  invoke: InvokeGraph[];
  tags: string[];
  description?: string;
  transitions: TransitionGraph[];
  children: StateGraph[];
}

export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = stateGraph(machine.root);
  const invoked = new Set([root, ...descendants(root)].flatMap((s) => s.invoke.map((i) => i.src)));
  const provided = Object.keys(machine.implementations.actors ?? {});
  return { id: machine.root.id, root, spawns: provided.filter((a) => !invoked.has(a)).sort() };
}

function stateGraph(node: AnyStateNode): StateGraph {
  const initialTarget = node.type === 'compound' ? node.initial?.target?.[0] : undefined;
  return {
    id: node.id,
    key: node.key,
    path: [...node.path],
    type: node.type,
    ...(node.type === 'history' && node.history && { history: node.history }),
    ...(initialTarget && { initial: initialTarget.key }),
    entry: node.entry.filter((a) => !isDelayPlumbing(a)).map(actionName),
    exit: node.exit.filter((a) => !isDelayPlumbing(a)).map(actionName),
    invoke: node.invoke.map((i) => ({ id: i.id, src: String(i.src) })),
    tags: [...node.tags].sort(),
    ...(node.description && { description: node.description }),
    transitions: transitionsOf(node),
    children: Object.values(node.states).map((child) => stateGraph(child as AnyStateNode)),
  };
}

type Classified = Pick<TransitionGraph, 'kind' | 'label'> &
  Partial<Pick<TransitionGraph, 'delay' | 'invokeId'>>;

function transitionsOf(node: AnyStateNode): TransitionGraph[] {
  const special = new Map<string, Classified>();
  for (const d of node.after) {
    const delay = typeof d.delay === 'function' ? d.delay.name || 'delay' : d.delay;
    const label = typeof delay === 'number' ? `after ${delay}ms` : `after ${delay}`;
    special.set(String(d.eventType), { kind: 'after', label, delay });
  }
  for (const i of node.invoke) {
    special.set(`xstate.done.actor.${i.id}`, { kind: 'done', label: `done(${i.id})`, invokeId: i.id });
    special.set(`xstate.error.actor.${i.id}`, { kind: 'error', label: `error(${i.id})`, invokeId: i.id });
    special.set(`xstate.snapshot.${i.id}`, { kind: 'snapshot', label: `snapshot(${i.id})`, invokeId: i.id });
  }
  special.set(`xstate.done.state.${node.id}`, { kind: 'stateDone', label: 'done' });

  const out: TransitionGraph[] = [];
  const events = [...node.transitions.keys()].sort(byEventName(special));
  for (const event of events) {
    const how = special.get(event) ?? { kind: 'on' as const, label: event };
    for (const t of node.transitions.get(event) ?? []) out.push(transition(event, how, t));
  }
  for (const t of node.always ?? []) out.push(transition('', { kind: 'always', label: 'always' }, t));
  return out;
}

/** Plain events first (by name), then delays and invoke results, so diagrams read top-down naturally. */
function byEventName(special: Map<string, Classified>) {
  return (a: string, b: string) => {
    const sa = special.has(a) ? 1 : 0;
    const sb = special.has(b) ? 1 : 0;
    return sa - sb || (a < b ? -1 : a > b ? 1 : 0);
  };
}

interface RawTransition {
  guard?: unknown;
  actions: readonly unknown[];
  target?: ReadonlyArray<{ id: string }> | undefined;
  reenter: boolean;
}

function transition(event: string, how: Classified, t: RawTransition): TransitionGraph {
  return {
    ...how,
    event,
    ...(t.guard !== undefined && { guard: guardName(t.guard) }),
    actions: t.actions.map(actionName),
    targets: (t.target ?? []).map((s) => s.id),
    reenter: t.reenter,
  };
}

/** Every state node below the root, depth first in document order. */
export function allStates(graph: MachineGraph): StateGraph[] {
  return descendants(graph.root);
}

function descendants(root: StateGraph): StateGraph[] {
  const out: StateGraph[] = [];
  const walk = (s: StateGraph) => {
    for (const c of s.children) {
      out.push(c);
      walk(c);
    }
  };
  walk(root);
  return out;
}

/** Event types (plain `on` events) that have at least one transition anywhere in the machine. */
export function eventTypes(graph: MachineGraph): string[] {
  const seen = new Set<string>();
  for (const s of [graph.root, ...allStates(graph)]) {
    for (const t of s.transitions) if (t.kind === 'on') seen.add(t.event);
  }
  return [...seen].sort();
}
