import { parseArgs, UsageError } from './args.ts';
import { readStatus, type StatusIo } from './status-command.ts';
import type { StatusDocument } from './status-table.ts';

/**
 * `rmm chains [--url URL] [--json]`: the fallback chain of every task type in effect on a running service,
 * where each comes from (the config, or built from the models the hosts have) and the rule that built it,
 * with each model's state on each host. Reads the status document over HTTP, like `rmm status`.
 */
export async function chainsCommand(argv: string[], io: StatusIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { url: 'string', json: 'boolean' });
  if (positionals.length) throw new UsageError(`chains takes no argument "${positionals[0]}"; try --url URL`);
  const url = (
    (flags['url'] as string | undefined) ?? `http://127.0.0.1:${io.env['RMM_PORT'] ?? 8309}`
  ).replace(/\/+$/, '');
  const got = await readStatus(url, io.env['RMM_API_KEY']);
  if (!got.ok) {
    io.err(`rmm: ${got.message}`);
    return 1;
  }
  if (flags['json']) io.out(`${JSON.stringify({ chains: got.status.chains }, null, 2)}\n`);
  else io.out(renderChains(got.status));
  return 0;
}

export function renderChains(status: StatusDocument): string {
  const where = new Map<string, string[]>();
  for (const m of status.models) where.set(m.name, [...(where.get(m.name) ?? []), `${m.host}: ${m.state}`]);
  const lines: string[] = [];
  for (const c of status.chains) {
    lines.push(
      `${c.task}  (${c.source === 'config' ? 'from the config' : 'built from the models there are'})`,
    );
    lines.push(`  why: ${c.rule}`);
    c.chain.forEach((e, i) => {
      const on = where.get(e.model);
      lines.push(
        `  ${i + 1}. ${e.model.padEnd(28)} quality ${e.quality.toFixed(2)}  ${on ? on.join(', ') : 'on no host'}`,
      );
    });
    if (c.chain.length === 0) lines.push('  (empty: no model there can serve it)');
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
