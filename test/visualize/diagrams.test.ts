import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { allStates, eventTypes, machineGraph } from '../../src/visualize/graph.ts';
import { DIAGRAM_MACHINES } from '../../src/visualize/machines.ts';
import { DIAGRAM_DIR } from '../../src/visualize/main.ts';
import { generateDiagrams, staleDiagrams } from '../../src/visualize/outputs.ts';
import { graphvizAvailable } from '../../src/visualize/svg.ts';

// SVG layout depends on the Graphviz build and fonts; CI renders with Debian's graphviz. Anyone on another
// box can skip just the SVG comparison with RMM_SKIP_SVG_CHECK=1.
const svg = graphvizAvailable() && process.env['RMM_SKIP_SVG_CHECK'] !== '1';
const generated = generateDiagrams({ svg });
const file = (name: string) => generated.find((f) => f.name === name)?.contents ?? '';

describe('committed diagrams', () => {
  it('match what the machine definitions generate now', () => {
    const stale = staleDiagrams(DIAGRAM_DIR, generated, { svg });
    const message = `stale diagrams: ${stale.map((s) => `${s.name} (${s.reason})`).join(', ')}; run npm run visualize`;
    expect(stale, message).toEqual([]);
  });

  it('cover every machine with Mermaid, DOT, Stately export and, with Graphviz, SVG', () => {
    for (const { name } of DIAGRAM_MACHINES) {
      for (const ext of ['mmd', 'dot', 'stately.ts', ...(svg ? ['svg'] : [])]) {
        expect(file(`${name}.${ext}`), `${name}.${ext}`).not.toBe('');
      }
    }
  });

  it('are the same bytes on every run and hold nothing from this box', () => {
    expect(generateDiagrams({ svg })).toEqual(generated);
    for (const f of generated) {
      expect(f.contents, f.name).not.toContain(process.cwd());
      expect(f.contents, f.name).not.toMatch(/graphviz version/i);
      expect(f.contents, f.name).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
    }
  });
});

describe.each(DIAGRAM_MACHINES.map((m) => [m.name, m] as const))(
  '%s machine diagrams',
  (name, { machine }) => {
    const graph = machineGraph(machine);
    const mermaid = file(`${name}.mmd`);
    const dot = file(`${name}.dot`);

    it('show every state, with its initial state marked', () => {
      expect(mermaid).toMatch(/^stateDiagram-v2$/m);
      const initial = machine.root.initial.target[0]!.key;
      expect(mermaid).toContain(`[*] --> ${initial}\n`);
      expect(dot).toContain(`"${machine.id}.__initial" -> "${machine.id}.${initial}"`);
      for (const s of allStates(graph)) {
        expect(mermaid, s.id).toMatch(new RegExp(`^\\s*(${s.key}|.* ${s.key}) `, 'm'));
        expect(dot, s.id).toContain(`"${s.id}" [`);
      }
    });

    it('show every event that has a transition', () => {
      const events = Object.keys(machine.root.on);
      for (const s of Object.values(machine.root.states)) events.push(...Object.keys(s.on));
      expect(events.length).toBeGreaterThan(0);
      expect(eventTypes(graph)).toEqual([...new Set(events)].sort());
      for (const event of events) {
        expect(mermaid, event).toMatch(new RegExp(`\\b${event}\\b`));
        expect(dot, event).toMatch(new RegExp(`\\b${event}\\b`));
      }
    });

    it('label each arrow with its event and guard', () => {
      for (const s of [graph.root, ...allStates(graph)]) {
        for (const t of s.transitions.filter((x) => x.guard && x.targets.length)) {
          const label = `${t.label} [${t.guard}]`;
          expect(mermaid, label).toContain(label);
          expect(dot, label).toContain(label);
        }
      }
    });

    it('note the actors each state invokes', () => {
      for (const s of allStates(graph)) {
        for (const i of s.invoke) {
          expect(mermaid).toContain(`invoke ${i.src} as ${i.id}`);
          expect(dot).toContain(`invoke ${i.src} as ${i.id}`);
        }
      }
    });

    it('export a Stately machine with the same states and transitions', async () => {
      const mod = (await import(join(DIAGRAM_DIR, `${name}.stately.ts`))) as { machine: AnyStateMachine };
      const exported = mod.machine;
      const ids = (m: AnyStateMachine) => allStates(machineGraph(m)).map((s) => s.id);
      expect(ids(exported)).toEqual(ids(machine));
      expect(exported.id).toBe(machine.id);
      // Names stand in for implementations, so the whole chart survives the trip, not only the state ids.
      expect(machineGraph(exported).root).toEqual(graph.root);
    });
  },
);

describe('diagram colours', () => {
  it("are the dashboard's", () => {
    const css = readFileSync(join(DIAGRAM_DIR, '../src/http/dashboard/assets/style.css'), 'utf8');
    const dot = file('model.dot');
    for (const s of allStates(machineGraph(DIAGRAM_MACHINES[0]!.machine))) {
      const variable = new RegExp(`--${s.key.toLowerCase()}:\\s*(#[0-9a-f]{6})`, 'i').exec(css);
      expect(variable, `dashboard colour for ${s.key}`).not.toBeNull();
      expect(dot).toContain(`"${s.id}" [fillcolor="${variable![1]}"`);
    }
  });
});
