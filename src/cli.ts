import { parseArgs, UsageError } from './cli/args.ts';
import { ConfigError } from './config/config-error.ts';

const USAGE = `rmm — Resilient Model Manager

Usage:
  rmm serve [--config FILE] [--host ADDR] [--port N] [--state-dir DIR]
            [--inspect] [--inspect-log FILE] [--inspect-url URL]
                                   start the service (default command; simulator if no Ollama is found)
  rmm sim [--config FILE] [--port N] [--bind ADDR] [--seed S] [--time-scale X] [--host-name H]
                                   run the Ollama-compatible simulator alone
  rmm replay [--state-dir D] [--from CHECKPOINT] [--until TIME] [--model M] [--json] [--verify]
             [--decisions] [--eviction-policy value|lru|ollama] [--merge DIR,DIR,...]
                                   rebuild the actors' history from the journal; --decisions lists every
                                   selection, load, eviction and circuit decision; --verify checks the
                                   replay against state.json and recomputes every journaled decision;
                                   --merge interleaves several replicas' journals by time
  rmm why evict MODEL [--at TIME] [--state-dir D]
                                   one paragraph on why MODEL was evicted (its last eviction before TIME)
  rmm visualize [--check]          regenerate the machine diagrams in visualizations/
  rmm inspect-replay FILE [--inspect-url URL]
                                   send a recorded --inspect-log file to a Stately inspector
  rmm status [--url URL] [--json] [--watch] [--interval S] [--decisions N]
                                   a running service's models, hosts and last decisions as a table
  rmm chains [--url URL] [--json]  each task's fallback chain, where it comes from and why
  rmm simulate [--trace day|FILE] [--seed N] [--rate N] [--faults SPEC] [--baseline ollama|lru|none]
               [--state-dir D] [--config FILE] [--json] [--explore N]
                                   the real runtime on virtual time against in-process simulated hosts:
                                   a whole day in seconds, the same figures every run of a seed
  rmm help                         this text

Environment: RMM_CONFIG, OLLAMA_HOST, RMM_HOST, RMM_PORT, RMM_STATE_DIR, RMM_API_KEY, RMM_LOG_LEVEL,
RMM_REDIS_URL, RMM_REPLICA_ID.`;

/**
 * `rmm COMMAND --help`: the command's own entry of the usage text (its lines up to the next command), or
 * null for a command the text does not list.
 */
export function usageOf(command: string): string | null {
  const lines = USAGE.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  rmm ${command} `) || l === `  rmm ${command}`);
  if (start < 0) return null;
  let end = start + 1;
  while (end < lines.length && lines[end]!.startsWith('   ') && !lines[end]!.startsWith('  rmm ')) end++;
  return `Usage:\n${lines.slice(start, end).join('\n')}\n\nrmm help lists every command.`;
}

/** Entry point for bin/rmm.js; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  if (rest.includes('--help') || rest.includes('-h')) {
    const usage = usageOf(command);
    if (usage !== null) {
      console.log(usage);
      return 0;
    }
  }
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      case 'sim': {
        const { runSimulatorCli } = await import('./simulator/main.ts');
        await runSimulatorCli(rest);
        return 0;
      }
      case 'status':
        return await status(rest);
      case 'chains':
        return await chains(rest);
      case 'simulate': {
        const { simulateCommand } = await import('./simulate/command.ts');
        return await simulateCommand(rest);
      }
      case 'visualize': {
        const { runVisualize } = await import('./visualize/main.ts');
        return runVisualize(rest);
      }
      case 'inspect-replay':
        return await inspectReplay(rest);
      case 'replay': {
        const { replayCommand } = await import('./replay/command.ts');
        return await replayCommand(rest);
      }
      case 'why': {
        const { whyCommand } = await import('./replay/command.ts');
        return await whyCommand(rest);
      }
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"; run "rmm help" for the list`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`rmm: ${err.message}`);
      return 2;
    }
    throw err;
  }
}

async function serve(argv: string[]): Promise<number> {
  const { flags } = parseArgs(argv, {
    config: 'string',
    host: 'string',
    port: 'number',
    'state-dir': 'string',
  });
  const { loadConfig } = await import('./config/load.ts');
  const config = loadConfig({
    file: flags['config'] as string | undefined,
    overrides: {
      ...(flags['host'] !== undefined && { host: flags['host'] as string }),
      ...(flags['port'] !== undefined && { port: flags['port'] as number }),
      ...(flags['state-dir'] !== undefined && { stateDir: flags['state-dir'] as string }),
    },
  });
  const { startService } = await import('./service.ts');
  const inspecting = flags['inspect'] === true || flags['inspect-log'] !== undefined;
  const service = await startService(config, {
    ...(inspecting && {
      inspection: {
        inspect: flags['inspect'] === true,
        ...(flags['inspect-log'] !== undefined && { logFile: flags['inspect-log'] as string }),
        ...(flags['inspect-url'] !== undefined && { url: flags['inspect-url'] as string }),
      },
    }),
  });
  const stop = async (signal: string) => {
    service.logger.info({ signal }, 'shutting down');
    // Closing waits on things that hold no handle of their own (the log transport's worker ending): keep
    // the process up until it is done, or Node would end it early with exit code 13.
    const hold = setInterval(() => {}, 1000);
    await service.close();
    clearInterval(hold);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  // Keep running until a signal arrives.
  await new Promise<never>(() => {});
  return 0;
}

async function status(argv: string[]): Promise<number> {
  const { statusCommand } = await import('./cli/status-command.ts');
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  return statusCommand(argv, {
    out: (text) => process.stdout.write(text),
    err: (line) => console.error(line),
    isTTY: process.stdout.isTTY === true,
    env: process.env,
    signal: stop.signal,
  });
}

async function chains(argv: string[]): Promise<number> {
  const { chainsCommand } = await import('./cli/chains-command.ts');
  return chainsCommand(argv, {
    out: (text) => process.stdout.write(text),
    err: (line) => console.error(line),
    isTTY: process.stdout.isTTY === true,
    env: process.env,
  });
}

async function inspectReplay(argv: string[]): Promise<number> {
  const { flags, positionals } = parseArgs(argv, { 'inspect-url': 'string' });
  const file = positionals[0];
  if (!file) throw new UsageError('inspect-replay needs the FILE written by --inspect-log');
  const { replayToInspector } = await import('./inspection/index.ts');
  try {
    const { sent, skipped } = await replayToInspector(file, {
      ...(flags['inspect-url'] !== undefined && { url: flags['inspect-url'] as string }),
    });
    console.log(`sent ${sent} inspection events${skipped ? ` (${skipped} unreadable lines skipped)` : ''}`);
    return 0;
  } catch (err) {
    console.error(`rmm inspect-replay: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
