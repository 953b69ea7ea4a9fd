import { parseArgs, UsageError } from '../cli/args.ts';
import { ReplayError, type ReplayOptions, replay, type TimelineRow } from './replay.ts';

/** `rmm replay`: prints the rebuilt timeline; with --verify exits 1 on the first divergence. */
export async function replayCommand(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, {
    'state-dir': 'string',
    from: 'string',
    until: 'string',
    model: 'string',
    json: 'boolean',
    verify: 'boolean',
  });
  const stateDir = (flags['state-dir'] as string | undefined) ?? process.env['RMM_STATE_DIR'] ?? './data';
  const options: ReplayOptions = {
    ...(flags['from'] !== undefined && { from: flags['from'] as string }),
    ...(flags['until'] !== undefined && { until: parseTime(flags['until'] as string) }),
    ...(flags['model'] !== undefined && { model: flags['model'] as string }),
    ...(flags['verify'] === true && { verify: true }),
  };
  let result: ReturnType<typeof replay>;
  try {
    result = replay(stateDir, options);
  } catch (err) {
    if (err instanceof ReplayError) {
      console.error(`rmm replay: ${err.message}`);
      return 1;
    }
    throw err;
  }
  if (flags['json']) {
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
    console.error(`verify: replay reproduces state.json (checkpoint ${result.verifiedAgainst}) exactly`);
  }
  return 0;
}

function formatRow(r: TimelineRow): string {
  const reason = r.reason ? `  (${r.reason})` : '';
  const req = r.request_id ? `  [${r.request_id}]` : '';
  return `${new Date(r.at).toISOString()}  ${r.model.padEnd(28)} ${r.from} → ${r.to}  on ${r.event}${reason}${req}`;
}

function parseTime(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(n))
    throw new UsageError(`--until takes an ISO time or epoch milliseconds, got "${text}"`);
  return n;
}
