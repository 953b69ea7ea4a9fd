import type { ProfileSummary } from '../lib/cpu-profile.ts';
import { table } from '../lib/markdown.ts';

export function profileSection(p: ProfileSummary, mode: string): string {
  return [
    `### Where the service spends its CPU (V8 profile, ${mode}, 10 connections)`,
    '',
    `${p.samples} busy samples; idle excluded. Native frames name the nearest caller in our code.`,
    '',
    table(
      ['self %', 'function'],
      p.functions.slice(0, 15).map((f) => [f.self_pct, f.where]),
    ),
    '',
    table(
      ['self %', 'area'],
      p.areas.slice(0, 12).map((f) => [f.self_pct, f.where]),
    ),
    '',
    table(
      ['inclusive %', 'our file (and all it calls)'],
      p.inclusive_src.slice(0, 12).map((f) => [f.self_pct, f.where]),
    ),
    '',
    table(
      ['inclusive %', 'dependency on the stack'],
      p.inclusive_deps.slice(0, 12).map((f) => [f.self_pct, f.where]),
    ),
  ].join('\n');
}
