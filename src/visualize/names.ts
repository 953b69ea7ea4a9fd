/**
 * Names for guards and actions as a diagram shows them. Machines here refer to their implementations by
 * name (setup({ guards, actions })), so the name is the whole story; higher-order guards (and/or/not,
 * stateIn) are functions carrying their arguments, which we spell out as words so the same label reads
 * the same in Mermaid, DOT and a Stately guard name.
 */

type GuardLike = unknown;

interface HigherOrderGuard {
  check?: { name?: string };
  guards?: unknown;
  stateValue?: unknown;
}

export function guardName(guard: GuardLike): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const g = guard as HigherOrderGuard & { name?: string };
    const kind = g.check?.name;
    const args = Array.isArray(g.guards) ? g.guards : g.guards === undefined ? [] : [g.guards];
    if (kind === 'checkAnd') return args.map(nested).join(' and ');
    if (kind === 'checkOr') return args.map(nested).join(' or ');
    if (kind === 'checkNot') return `not ${nested(args[0])}`;
    if (kind === 'checkStateIn') return `in ${stateValueName(g.stateValue)}`;
    return g.name || 'inline guard';
  }
  if (guard && typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  return 'inline guard';
}

/** `#toy.idle` → `toy.idle`: a `#` or quotes would need escaping in every diagram format. */
function stateValueName(value: unknown): string {
  if (typeof value === 'string') return value.replace(/^#/, '');
  return JSON.stringify(value).replace(/["{}]/g, '').replace(/:/g, '.');
}

/** A composite inside a composite needs parentheses to keep its meaning. */
function nested(guard: GuardLike): string {
  const name = guardName(guard);
  return / (and|or) /.test(name) ? `(${name})` : name;
}

export function actionName(action: unknown): string {
  if (typeof action === 'string') return action;
  if (typeof action === 'function') {
    // Built-in action creators (assign, raise, sendTo...) carry a `type` like 'xstate.assign'.
    const typed = (action as { type?: unknown }).type;
    if (typeof typed === 'string') return typed;
    return action.name || 'inline action';
  }
  if (action && typeof action === 'object' && 'type' in action)
    return String((action as { type: unknown }).type);
  return 'inline action';
}

/**
 * `after` is implemented by xstate as a raise on entry and a cancel on exit, both added to the state's
 * own entry/exit lists; the diagram shows the delayed transition instead, so these are left out.
 */
export function isDelayPlumbing(action: unknown): boolean {
  if (typeof action !== 'function') return false;
  const a = action as { type?: unknown; event?: { type?: unknown }; sendId?: unknown; id?: unknown };
  const afterId = (v: unknown) => typeof v === 'string' && v.startsWith('xstate.after.');
  if (a.type === 'xstate.raise') return afterId(a.event?.type) || afterId(a.id);
  if (a.type === 'xstate.cancel') return afterId(a.sendId);
  return false;
}
