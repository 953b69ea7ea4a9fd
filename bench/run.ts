import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runChaosBench } from './chaos.ts';
import { runFailover } from './failover.ts';
import { BENCH_NAMES, parseBenchArgs } from './lib/args.ts';
import { closeHttp } from './lib/http.ts';
import { machineFacts } from './lib/machine.ts';
import { replaceBetweenMarkers } from './lib/markdown.ts';
import { closeProblems } from './lib/world.ts';
import { profileService, runOverhead } from './overhead.ts';
import { runReplicasBench } from './replicas.ts';
import type { BenchResults } from './report/bench-results.ts';
import { renderResults } from './report/render-results.ts';
import { targetRows } from './report/target-rows.ts';
import { runScheduler } from './scheduler/index.ts';
import { runSimulationBench } from './simulation.ts';
import { runSoak } from './soak.ts';

/**
 * `npm run bench [-- --only overhead,failover] [-- --quick] [-- --soak-minutes N]`: runs the benches,
 * writes bench/results/latest.json and rewrites the results block of bench/README.md. A bench that
 * throws is recorded as such and the others still run; the exit code is 1 when any did.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const args = parseBenchArgs(process.argv.slice(2));
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const results: BenchResults = {
  started_at: new Date().toISOString(),
  finished_at: '',
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  quick: args.quick,
  machine: machineFacts(),
  git: gitCommit(),
  close_problems: closeProblems,
  errors: {},
};
if (args.renderOnly) {
  const saved = JSON.parse(readFileSync(`${root}bench/results/latest.json`, 'utf8')) as BenchResults;
  const readme = `${root}bench/README.md`;
  writeFileSync(readme, replaceBetweenMarkers(readFileSync(readme, 'utf8'), renderResults(saved)));
  log('bench/README.md rewritten from bench/results/latest.json');
  process.exit(0);
}
if (!(globalThis as { gc?: unknown }).gc)
  log('note: run with --expose-gc (npm run bench does) for steadier memory figures');

async function step<K extends keyof BenchResults>(
  name: string,
  key: K,
  run: () => Promise<BenchResults[K]>,
): Promise<void> {
  const t0 = performance.now();
  log(`${name}: starting`);
  try {
    results[key] = await run();
    log(`${name}: done in ${Math.round((performance.now() - t0) / 1000)} s`);
  } catch (err) {
    results.errors[name] = err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err);
    log(`${name}: FAILED: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const quick = args.quick;
for (const name of args.only) {
  if (name === 'overhead') {
    await step('overhead', 'overhead', () => runOverhead({ quick, log }));
    await step('profile', 'profile', () =>
      profileService({ quick, root, file: `${root}bench/results/service.cpuprofile` }),
    );
    await step('profile (streaming)', 'profile_streaming', () =>
      profileService({
        quick,
        root,
        file: `${root}bench/results/service-streaming.cpuprofile`,
        mode: 'streaming',
      }),
    );
  }
  if (name === 'failover') await step('failover', 'failover', () => runFailover({ quick, log }));
  if (name === 'scheduler') await step('scheduler', 'scheduler', () => runScheduler({ quick, log }));
  if (name === 'simulation') await step('simulation', 'simulation', () => runSimulationBench({ quick, log }));
  if (name === 'chaos') await step('chaos', 'chaos', () => runChaosBench({ quick, log }));
  if (name === 'soak') await step('soak', 'soak', () => runSoak({ minutes: args.soakMinutes, log }));
  if (name === 'replicas') await step('replicas', 'replicas', () => runReplicasBench({ quick, log }));
}
results.finished_at = new Date().toISOString();
await closeHttp();

mkdirSync(`${root}bench/results`, { recursive: true });
carryOver(results);
writeFileSync(`${root}bench/results/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
const markdown = renderResults(results);
if (!args.noReadme) {
  const readme = `${root}bench/README.md`;
  writeFileSync(readme, replaceBetweenMarkers(readFileSync(readme, 'utf8'), markdown));
}
console.log(`\n${markdown}\n`);
log(`results: bench/results/latest.json${args.noReadme ? '' : ' and bench/README.md'}`);
process.exit(Object.keys(results.errors).length ? 1 : 0);

/**
 * The previous results file gives the "previous run" column, and the benches not run this time (an --only
 * run) are carried over from it, marked as such, so the file always holds one figure per target.
 */
function carryOver(r: BenchResults): void {
  const file = `${root}bench/results/latest.json`;
  if (!existsSync(file)) return;
  let prev: BenchResults;
  try {
    prev = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  } catch {
    return;
  }
  r.previous = {
    git: prev.git,
    targets: Object.fromEntries(targetRows(prev).map(([b, n, , v]) => [`${b}: ${n}`, v])),
  };
  const carried: Record<string, string> = {};
  // Every bench's results, and the overhead bench's two profiles.
  for (const key of [...BENCH_NAMES, 'profile', 'profile_streaming'] as const) {
    if (r[key] !== undefined || prev[key] === undefined) continue;
    (r as unknown as Record<string, unknown>)[key] = prev[key];
    const bench = key.startsWith('profile') ? 'overhead' : key;
    carried[bench] = prev.carried?.[bench] ?? prev.git;
  }
  if (Object.keys(carried).length > 0) r.carried = carried;
}

function gitCommit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha} (+ uncommitted changes in src/)` : sha;
  } catch {
    return 'unknown';
  }
}
