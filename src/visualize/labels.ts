import type { MachineGraph, StateGraph, TransitionGraph } from './graph.ts';

export function titleOf(graph: MachineGraph): string {
  const spawns = graph.spawns.length ? ` (spawns ${graph.spawns.join(', ')} actors)` : '';
  return `${graph.id} machine${spawns}`;
}

/** `EVENT [guard]`, plus a mark when the transition leaves and re-enters its own state. */
export function triggerLabel(t: TransitionGraph): string {
  const guard = t.guard ? ` [${t.guard}]` : '';
  return `${t.label}${guard}${t.reenter ? ' (re-enter)' : ''}`;
}

export function actionsLabel(actions: readonly string[]): string {
  return actions.length ? `/ ${actions.join(', ')}` : '';
}

/**
 * What a state does without leaving: entry/exit actions, invoked actors, and transitions with no target
 * (bookkeeping only). Drawn as a note or inside the node, not as self-loops, which would bury the real
 * transitions under dozens of arcs.
 */
export function stateDetails(state: StateGraph): string[] {
  const lines: string[] = [];
  if (state.entry.length) lines.push(`entry ${actionsLabel(state.entry)}`);
  if (state.exit.length) lines.push(`exit ${actionsLabel(state.exit)}`);
  for (const i of state.invoke) lines.push(`invoke ${i.src} as ${i.id}`);
  for (const t of state.transitions) {
    if (t.targets.length === 0) lines.push(`${triggerLabel(t)} ${actionsLabel(t.actions)}`.trim());
  }
  return lines;
}

/** Transitions drawn as arrows: one per (transition, target). */
export function arrows(state: StateGraph): Array<{ t: TransitionGraph; target: string }> {
  return state.transitions.flatMap((t) => t.targets.map((target) => ({ t, target })));
}
