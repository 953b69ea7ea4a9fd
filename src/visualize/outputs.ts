import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toDot } from './dot.ts';
import { machineGraph } from './graph.ts';
import { DIAGRAM_MACHINES, type DiagramMachine } from './machines.ts';
import { toMermaid } from './mermaid.ts';
import { toStatelySource } from './stately.ts';
import { renderSvg } from './svg.ts';

/** One generated file: its name inside visualizations/ and its exact contents. */
export interface DiagramFile {
  name: string;
  contents: string;
}

export interface GenerateOptions {
  /** Render SVGs with Graphviz (default true); without it the SVGs are neither written nor checked. */
  svg?: boolean;
  dotCommand?: string;
  machines?: readonly DiagramMachine[];
}

/** Suffixes this generator owns in visualizations/ (plus its README.md); any other file there is left alone. */
const GENERATED = ['.mmd', '.dot', '.svg', '.stately.ts'];

/** Every file for every machine, in memory, sorted by name: the same bytes on any box. */
export function generateDiagrams(options: GenerateOptions = {}): DiagramFile[] {
  const files: DiagramFile[] = [];
  const machines = options.machines ?? DIAGRAM_MACHINES;
  for (const { name, source, machine } of machines) {
    const graph = machineGraph(machine);
    const dot = toDot(graph, source);
    files.push({ name: `${name}.mmd`, contents: toMermaid(graph, source) });
    files.push({ name: `${name}.dot`, contents: dot });
    files.push({ name: `${name}.stately.ts`, contents: toStatelySource(graph, source) });
    if (options.svg !== false)
      files.push({ name: `${name}.svg`, contents: renderSvg(dot, options.dotCommand) });
  }
  files.push({ name: 'README.md', contents: indexPage(machines) });
  return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface StaleFile {
  name: string;
  reason: 'missing' | 'changed' | 'unexpected';
}

/**
 * Files in `dir` that differ from `files`: missing, changed, or generated-looking files no machine
 * produces any more. With `svg: false` SVGs on disk are not judged (Graphviz was not there to make them).
 */
export function staleDiagrams(
  dir: string,
  files: readonly DiagramFile[],
  options: { svg?: boolean } = {},
): StaleFile[] {
  const stale: StaleFile[] = [];
  for (const f of files) {
    const path = join(dir, f.name);
    if (!existsSync(path)) stale.push({ name: f.name, reason: 'missing' });
    else if (readFileSync(path, 'utf8') !== f.contents) stale.push({ name: f.name, reason: 'changed' });
  }
  const expected = new Set(files.map((f) => f.name));
  for (const name of existsSync(dir) ? readdirSync(dir).sort() : []) {
    if (options.svg === false && name.endsWith('.svg')) continue;
    if (!expected.has(name) && GENERATED.some((s) => name.endsWith(s)))
      stale.push({ name, reason: 'unexpected' });
  }
  return stale;
}

/** Writes what changed and removes what no machine produces; returns the names touched. */
export function writeDiagrams(
  dir: string,
  files: readonly DiagramFile[],
  options: { svg?: boolean } = {},
): string[] {
  mkdirSync(dir, { recursive: true });
  const stale = staleDiagrams(dir, files, options);
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const s of stale) {
    const file = byName.get(s.name);
    if (file) writeFileSync(join(dir, s.name), file.contents);
    else rmSync(join(dir, s.name));
  }
  return stale.map((s) => s.name);
}

function indexPage(machines: readonly DiagramMachine[]): string {
  const lines = [
    '# Machine diagrams',
    '',
    'Generated from the machine definitions by `npm run visualize`; do not edit. `npm test` fails when they',
    'are stale. For each machine: `.mmd` (Mermaid), `.dot` and `.svg` (Graphviz), and `.stately.ts`, a',
    "standalone `createMachine({...})` to paste into Stately's editor. Colours are the dashboard's.",
    '',
  ];
  for (const { name, source } of machines) {
    lines.push(`## ${name}`, '', `From \`${source}\`.`, '', `![${name} machine](${name}.svg)`, '');
    lines.push(`[Mermaid](${name}.mmd) · [DOT](${name}.dot) · [Stately export](${name}.stately.ts)`, '');
  }
  return lines.join('\n');
}
