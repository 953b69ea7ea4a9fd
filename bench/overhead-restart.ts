import { validateConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { startChild } from './lib/child.ts';
import { freshStateDir, overheadConfig, pointedAt } from './lib/configs.ts';
import { serveRmm } from './lib/rmm-serve.ts';
import { type Spread, spread } from './overhead-judge.ts';

export interface RestartResult {
  /** Model actors restored at each restart (models × hosts). */
  actors: number;
  /** The first start, with no snapshot. */
  first_start_ms: number;
  /** Each restart: spawn of `rmm serve` to the first 200 from /readyz, snapshot and journal restored. */
  ready_ms: Spread;
  runs: number[];
}

/**
 * Time to ready after a restart with 20 model actors to restore: the seed's catalog plus small models up to
 * 20 on one simulated host (its own process, so it keeps its models loaded across our restarts). The
 * service is started once (warm set loaded, a few models asked for, so the snapshot holds a busy fleet),
 * stopped cleanly, then restarted on the same state folder; each restart is timed from spawn to /readyz.
 */
export async function measureRestart(opts: {
  quick: boolean;
  log(line: string): void;
}): Promise<RestartResult> {
  const config = twentyModels();
  const sim = await startChild('sim', { config });
  try {
    const own = pointedAt(config, sim.url, 'restart');
    const first = await serveRmm(own, own.state_dir);
    for (const model of Object.keys(config.models).slice(0, 4)) {
      const res = await fetch(`${first.url}/api/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, prompt: 'hello', stream: false }),
      });
      await res.arrayBuffer();
    }
    await first.close();
    const runs: number[] = [];
    for (let i = 0; i < (opts.quick ? 2 : 5); i++) {
      const again = await serveRmm(own, own.state_dir);
      runs.push(Math.round(again.readyMs));
      await again.close();
    }
    opts.log(
      `overhead: restart to ready ${runs.join(', ')} ms (first start ${Math.round(first.readyMs)} ms)`,
    );
    return {
      actors: Object.keys(config.models).length * config.hosts.length,
      first_start_ms: Math.round(first.readyMs),
      ready_ms: spread(runs, 0),
      runs,
    };
  } finally {
    await sim.close();
  }
}

function twentyModels(): Readonly<Config> {
  const c = structuredClone(overheadConfig()) as Config;
  for (let i = 1; Object.keys(c.models).length < 20; i++) {
    c.models[`small-${i}:1b`] = {
      size_gb: 0.5,
      load_time_s: 0.01,
      tokens_per_s: 1e9,
      strengths: ['general'],
    };
  }
  c.state_dir = freshStateDir('restart');
  return validateConfig(c);
}
