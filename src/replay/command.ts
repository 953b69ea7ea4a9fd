import { parseArgs, UsageError } from '../cli/args.ts';
import { EVICTION_POLICY_NAMES, type EvictionPolicyName } from '../policy/planner.ts';
import { decisionRows, formatDecisionRow } from './decisions.ts';
import { mergedDecisions, mergedTimeline, replayReplicas } from './merge.ts';
import { ReplayError, type ReplayOptions, replay, type TimelineRow } from './replay.ts';
import { whyEvicted } from './why.ts';

/**
 * `rmm replay`: prints the rebuilt timeline (or, with --decisions, every decision); with --verify exits 1 on
 * the first divergence from state.json or from the journaled decisions.
 */
export async function replayCommand(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, {
    'state-dir': 'string',
    from: 'string',
    until: 'string',
    model: 'string',
    json: 'boolean',
    verify: 'boolean',
    decisions: 'boolean',
    'eviction-policy': 'string',
    merge: 'string',
  });
  const stateDir = stateDirOf(flags);
  const options: ReplayOptions = {
    ...(flags['from'] !== undefined && { from: flags['from'] as string }),
    ...(flags['until'] !== undefined && { until: parseTime(flags['until'] as string, '--until') }),
    ...(flags['model'] !== undefined && { model: flags['model'] as string }),
    ...(flags['verify'] === true && { verify: true }),
    ...(flags['eviction-policy'] !== undefined && {
      evictionPolicy: policyOf(flags['eviction-policy'] as string),
    }),
  };
  if (flags['merge'] !== undefined) return mergeCommand(String(flags['merge']), options, flags);
  const result = replayed('replay', () => replay(stateDir, options));
  if (!result) return 1;
  if (flags['decisions']) {
    const rows = decisionRows(result, options.model);
    if (flags['json'])
      console.log(JSON.stringify({ checkpoint: result.checkpoint, decisions: rows }, null, 2));
    else {
      for (const row of rows) console.log(formatDecisionRow(row));
      if (rows.length === 0) console.log('(no decisions)');
    }
  } else if (flags['json']) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    console.log(
      `replayed ${result.events} events from checkpoint ${result.checkpoint.id} (${new Date(result.checkpoint.at).toISOString()})` +
        (result.tornLines ? `; ${result.tornLines} torn journal line(s) skipped` : ''),
    );
    for (const row of result.timeline) console.log(formatRow(row));
    if (result.timeline.length === 0) console.log('(no state changes)');
  }
  if (options.verify) {
    if (result.divergence) {
      console.error(`verify: FAILED against checkpoint ${result.verifiedAgainst}: ${result.divergence}`);
      return 1;
    }
    const n = result.journaled.filter((d) => d.kind !== 'selection').length;
    console.error(
      `verify: replay reproduces state.json (checkpoint ${result.verifiedAgainst}) and all ${n} journaled decisions${options.evictionPolicy ? ` under the ${options.evictionPolicy} policy` : ''}`,
    );
  }
  return 0;
}

/**
 * `rmm replay --merge DIR,DIR,...`: the journals of replicas sharing a fleet, each replayed (and verified)
 * on its own, their rows interleaved by time with the replica they happened on.
 */
function mergeCommand(list: string, options: ReplayOptions, flags: Record<string, unknown>): number {
  const dirs = list.split(',').filter((d) => d !== '');
  if (dirs.length === 0)
    throw new UsageError('--merge takes state folders separated by commas: --merge ./a,./b');
  const replays = replayed('replay', () => replayReplicas(dirs, options));
  if (!replays) return 1;
  const rows = flags['decisions'] ? mergedDecisions(replays, options.model) : mergedTimeline(replays);
  if (flags['json']) console.log(JSON.stringify({ replicas: replays.map((r) => r.replica), rows }, null, 2));
  else {
    for (const row of rows)
      console.log(`[${row.replica}] ${'from' in row ? formatRow(row) : formatDecisionRow(row)}`);
    if (rows.length === 0) console.log('(nothing journaled)');
  }
  if (!options.verify) return 0;
  let failed = false;
  for (const r of replays) {
    if (r.result.divergence) {
      failed = true;
      console.error(`verify: ${r.replica} (${r.stateDir}) FAILED: ${r.result.divergence}`);
    } else console.error(`verify: ${r.replica} (${r.stateDir}) reproduces its state.json and decisions`);
  }
  return failed ? 1 : 0;
}

/** `rmm why evict MODEL [--at TIME] [--state-dir D]`: one paragraph on why MODEL was evicted. */
export async function whyCommand(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { 'state-dir': 'string', at: 'string' });
  const [what, model] = positionals;
  if (what !== 'evict' || !model)
    throw new UsageError('usage: rmm why evict MODEL [--at TIME] [--state-dir DIR]');
  const at = flags['at'] !== undefined ? parseTime(flags['at'] as string, '--at') : undefined;
  // whyEvicted says so with a ReplayError too when the journal holds no such eviction.
  const answer = replayed('why', () => whyEvicted(replay(stateDirOf(flags), {}).journaled, model, at));
  if (answer === undefined) return 1;
  console.log(answer);
  return 0;
}

/**
 * Runs a replay; one that cannot be done (no state folder, a checkpoint missing from the journal) is said in
 * one line as `rmm COMMAND: …` and gives undefined (the command exits 1), never a stack trace.
 */
function replayed<T>(command: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ReplayError)) throw err;
    console.error(`rmm ${command}: ${err.message}`);
    return undefined;
  }
}

function stateDirOf(flags: Record<string, unknown>): string {
  return (flags['state-dir'] as string | undefined) ?? process.env['RMM_STATE_DIR'] ?? './data';
}

function policyOf(name: string): EvictionPolicyName {
  if ((EVICTION_POLICY_NAMES as string[]).includes(name)) return name as EvictionPolicyName;
  throw new UsageError(`--eviction-policy takes one of ${EVICTION_POLICY_NAMES.join(', ')}, got "${name}"`);
}

function formatRow(r: TimelineRow): string {
  const reason = r.reason ? `  (${r.reason})` : '';
  const req = r.request_id ? `  [${r.request_id}]` : '';
  return `${new Date(r.at).toISOString()}  ${r.model.padEnd(28)} ${r.from} → ${r.to}  on ${r.event}${reason}${req}`;
}

function parseTime(text: string, flag: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(n))
    throw new UsageError(`${flag} takes an ISO time or epoch milliseconds, got "${text}"`);
  return n;
}
