import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, UsageError } from '../cli/args.ts';
import { loadConfig } from '../config/load.ts';
import { FaultSpecError, validateFaultSpec } from '../simulator/faults.ts';
import type { FaultSpec } from '../simulator/types.ts';
import { explore } from './explore.ts';
import { renderReport } from './report.ts';
import { type Baseline, simulate } from './simulate.ts';
import { dayRequests, readTrace, type SimRequest, TraceError } from './trace.ts';

/**
 * `rmm simulate [--trace day|FILE] [--seed N] [--rate N] [--faults SPEC] [--baseline ollama|lru|none]
 *               [--state-dir D] [--json] [--explore N]`
 */
export async function simulateCommand(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, {
    trace: 'string',
    seed: 'number',
    rate: 'number',
    faults: 'string',
    baseline: 'string',
    'state-dir': 'string',
    config: 'string',
    json: 'boolean',
    explore: 'number',
  });
  if (positionals.length)
    throw new UsageError(`simulate takes no argument "${positionals[0]}"; see rmm help`);
  const seed = (flags['seed'] as number | undefined) ?? 1;
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError('--seed must be a whole number ≥ 0');
  const rate = (flags['rate'] as number | undefined) ?? 1;
  if (!Number.isInteger(rate) || rate < 1 || rate > 20)
    throw new UsageError('--rate is how many copies of the day to overlay, a whole number from 1 to 20');
  const baseline = ((flags['baseline'] as string | undefined) ?? 'ollama') as Baseline;
  if (!['ollama', 'lru', 'none'].includes(baseline))
    throw new UsageError(
      '--baseline must be ollama (Ollama alone), lru (our service with LRU eviction) or none',
    );
  const config = loadConfig(flags['config'] ? { file: flags['config'] as string, env: {} } : { env: {} });
  const faults = parseFaults(flags['faults'] as string | undefined);

  const runs = flags['explore'] as number | undefined;
  if (runs !== undefined) {
    if (!Number.isInteger(runs) || runs < 1) throw new UsageError('--explore takes a number of seeds ≥ 1');
    const result = await explore({ config, runs, firstSeed: seed, log: (l) => console.error(l) });
    if (flags['json']) console.log(JSON.stringify(result, null, 2));
    else console.log(result.failures.length === 0 ? `${runs} seeds, no invariant broken` : result.summary);
    return result.failures.length === 0 ? 0 : 1;
  }

  let trace: SimRequest[];
  try {
    const which = (flags['trace'] as string | undefined) ?? 'day';
    trace = which === 'day' ? dayRequests(seed, rate) : readTrace(which);
  } catch (err) {
    if (err instanceof TraceError) throw new UsageError(err.message);
    throw err;
  }
  const stateDir = (flags['state-dir'] as string | undefined) ?? mkdtempSync(join(tmpdir(), 'rmm-simulate-'));
  const started = performance.now();
  const report = await simulate({ config, trace, seed, faults, baseline, stateDir });
  const wallS = Math.round((performance.now() - started) / 100) / 10;
  if (flags['json']) console.log(JSON.stringify({ ...report, wall_s: wallS, state_dir: stateDir }, null, 2));
  else console.log(renderReport(report, wallS, stateDir));
  return 0;
}

/** `kind:rate[,kind:rate...]` (e.g. `http_500:0.1,busy_503:0.05`), or a JSON array of fault specs. */
export function parseFaults(spec: string | undefined): FaultSpec[] {
  if (spec === undefined || spec === '') return [];
  try {
    if (spec.trim().startsWith('[')) {
      const list = JSON.parse(spec) as unknown;
      if (!Array.isArray(list)) throw new UsageError('--faults JSON must be an array of fault specs');
      return list.map((f) => validateFaultSpec(f));
    }
    return spec.split(',').map((part) => {
      const [kind, rate] = part.split(':');
      return validateFaultSpec({ kind, ...(rate !== undefined && { rate: Number(rate) }) });
    });
  } catch (err) {
    if (err instanceof FaultSpecError || err instanceof SyntaxError)
      throw new UsageError(
        `--faults: ${err.message} (write kind:rate,kind:rate, e.g. http_500:0.1,busy_503:0.05)`,
      );
    throw err;
  }
}
