import { URGENCIES } from '../config/schema.ts';
import type { Figures } from './figures.ts';
import type { SimulateReport } from './simulate.ts';

/** The simulation's figures as a terminal table, service beside baseline, then the targets. */
export function renderReport(r: SimulateReport, wallS: number, stateDir: string): string {
  const base = r.baseline?.figures;
  const rows: Array<[string, (f: Figures) => string]> = [
    ['answered', (f) => `${f.answered_pct}%`],
    ...URGENCIES.flatMap(
      (u): Array<[string, (f: Figures) => string]> => [
        [
          `${u} deadline hit`,
          (f) => `${(f.urgency[u].deadline_hit * 100).toFixed(1)}% of ${f.urgency[u].requests}`,
        ],
        [`${u} first token p50 / p95`, (f) => `${f.urgency[u].ttft_p50_s} s / ${f.urgency[u].ttft_p95_s} s`],
      ],
    ),
    ['load time (loads)', (f) => `${f.load_s} s (${f.loads})`],
    ['quality vs ideal', (f) => `${f.quality_vs_ideal} (${f.quality} of ${f.ideal_quality})`],
    ['quality vs best that fits the card', (f) => `${f.quality_vs_fitting_ideal}`],
    ['best any policy could do vs ideal', (f) => `${f.quality_gap.bound_vs_ideal}`],
    [
      'quality lost: best does not fit / burst / other',
      (f) => `${f.quality_gap.not_fitting} / ${f.quality_gap.burst} / ${f.quality_gap.other}`,
    ],
    [
      'interactive misses: late / failed',
      (f) => `${f.interactive_misses.late} / ${f.interactive_misses.failed}`,
    ],
    ['evictions by us / by Ollama', (f) => `${f.evictions_by_us} / ${f.evictions_by_ollama}`],
    ['VRAM peak', (f) => `${f.vram_peak_gb} GB`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = [
    `seed ${r.seed}: ${r.requests} requests over ${r.span_h} h, simulated in ${wallS} s`,
    '',
    `${''.padEnd(width)}  ${'service'.padEnd(26)}  ${base ? `baseline (${r.baseline!.kind === 'ollama' ? 'Ollama alone' : r.baseline!.kind})` : ''}`,
    ...rows.map(
      ([name, cell]) => `${name.padEnd(width)}  ${cell(r.service).padEnd(26)}  ${base ? cell(base) : ''}`,
    ),
    '',
    ...r.targets.map((t) => `${t.met ? 'met   ' : 'missed'}  ${t.name}: ${t.value} (goal ${t.goal})`),
    '',
    `digest ${r.digest}`,
    `journal in ${stateDir} (rmm replay --state-dir ${stateDir} --decisions)`,
  ];
  return lines.join('\n');
}
