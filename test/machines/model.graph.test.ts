import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { type ModelEvent, modelMachine } from '../../machines/model.machine.ts';
import { explore, exploreEvents, labelOf, stateKey } from './explore.ts';
import { brokenInvariant } from './harness.ts';

const STATES = ['unloaded', 'loading', 'loaded', 'degraded', 'open', 'halfOpen', 'missing', 'unloading'];

function allTransitions() {
  const list = [];
  for (const node of [modelMachine.root, ...getStateNodes(modelMachine.root)]) {
    for (const ts of node.transitions.values()) list.push(...ts);
  }
  return list;
}

const describeTransition = (t: ReturnType<typeof allTransitions>[number]) =>
  `${t.source.id} --${t.eventType}${t.guard ? ` [${JSON.stringify(t.guard)}]` : ''}--> ${
    t.target?.map((n) => n.id).join(',') ?? '(stay)'
  }`;

describe('model machine graph (xstate/graph shortest paths)', () => {
  const { paths, taken, input } = explore();

  it('reaches every state', () => {
    const reached = new Set(paths.map((p) => String(p.state.value)));
    expect([...reached].sort()).toEqual([...STATES].sort());
    expect(Object.keys(modelMachine.root.states).sort()).toEqual([...STATES].sort());
  });

  it('takes every transition the machine declares, guarded alternatives included', () => {
    const all = allTransitions();
    expect(all.length).toBeGreaterThan(100);
    const untaken = all.filter((t) => !taken.has(t)).map(describeTransition);
    expect(untaken).toEqual([]);
  });

  it('drives a live actor along every path: same abstract state at every step, invariants holding', () => {
    for (const path of paths) {
      const actor = createActor(modelMachine, { input });
      actor.start();
      for (const step of path.steps) {
        // Regenerate the step's kind of event from the live snapshot: the path's own event carries the
        // clock of whichever snapshot first reached that abstract state.
        if ((step.event.type as string) === 'xstate.init') {
          expect(stateKey(actor.getSnapshot())).toBe(stateKey(step.state));
          continue;
        }
        const label = labelOf.get(step.event as ModelEvent);
        const live = exploreEvents(actor.getSnapshot()).find((l) => l.label === label);
        if (!live) throw new Error(`event ${label} not available in ${stateKey(actor.getSnapshot())}`);
        actor.send(live.event);
        const s = actor.getSnapshot();
        const broken = brokenInvariant(String(s.value), s.context);
        if (broken) throw new Error(`${broken} after ${JSON.stringify(live.event)} in ${String(s.value)}`);
        expect(stateKey(s)).toBe(stateKey(step.state));
      }
      actor.stop();
    }
  });

  it('keeps a timer child only in states that wait for a deadline', () => {
    const waiting: Record<string, string> = {
      loading: 'loadTimer',
      open: 'openTimer',
      degraded: 'degradedTimer',
    };
    for (const path of paths) {
      const s = path.state;
      const expected = waiting[String(s.value)];
      expect(Object.keys(s.children)).toEqual(expected ? [expected] : []);
    }
  });
});
