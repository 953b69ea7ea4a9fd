import type { FaultSpec } from '../src/simulator/index.ts';
import { seedWorld } from './lib/configs.ts';
import { postJson } from './lib/http.ts';
import { percentile, round } from './lib/stats.ts';
import { startWorld, type World } from './lib/world.ts';

const PRIMARY = 'llama3.2:8b';
const FALLBACK = 'llama3.2:3b';

/** The five faults of the issue, as simulator faults on the preferred model. */
const KINDS: Array<{ name: string; spec: FaultSpec; urgency: 'interactive' | 'background' }> = [
  { name: 'refused', spec: { kind: 'refuse', model: PRIMARY }, urgency: 'interactive' },
  { name: 'http 500', spec: { kind: 'http_500', model: PRIMARY }, urgency: 'interactive' },
  { name: 'hang', spec: { kind: 'hang', model: PRIMARY }, urgency: 'interactive' },
  { name: '404 missing', spec: { kind: 'missing', model: PRIMARY }, urgency: 'interactive' },
  // Out of memory happens at load: the preferred model is not loaded and the request can wait for a load.
  { name: 'OOM on load', spec: { kind: 'oom_on_load', model: PRIMARY }, urgency: 'background' },
];

export interface FailoverRow {
  fault: string;
  /** Median time to an answer from the fallback while the primary's circuit is still closed (ms, measured). */
  closed_ms: number;
  closed_p90_ms: number;
  /** The same once the circuit is open (or the model marked missing). */
  open_ms: number;
  open_p90_ms: number;
  /** What the primary's state was during the second measurement. */
  open_state: string;
  /** Requests it took for the circuit to open. */
  requests_to_open: number;
  /** closed_ms and open_ms at real-world scale (÷ scale): fixed costs (HTTP, the box) are inflated too. */
  closed_real_s: number;
  open_real_s: number;
  answered_by_fallback: string;
  errors: number;
}

export interface FailoverResult {
  scale: number;
  samples: number;
  healthy_ms: number;
  fallback_healthy_ms: number;
  rows: FailoverRow[];
}

/**
 * Time from a fault to an answer from the fallback, per fault kind: the `simple` chain prefers llama3.2:8b
 * and falls back to llama3.2:3b (both loaded from the start unless the fault is OOM, where 8b has to load).
 * "Closed": the first request after the fault appears, on a fresh stack each time (the circuit has seen
 * nothing yet). "Open": requests once the circuit has opened (or the model is marked missing).
 */
export async function runFailover(opts: {
  quick: boolean;
  log(line: string): void;
}): Promise<FailoverResult> {
  const scale = 0.1;
  const samples = opts.quick ? 3 : 7;
  const healthyWorld = await startWorld(worldConfig(scale, true), 'failover');
  let healthy: number[];
  let fallbackHealthy: number[];
  try {
    healthy = await times(healthyWorld, samples * 2, 'interactive', PRIMARY);
    fallbackHealthy = await times(healthyWorld, samples * 2, 'interactive', FALLBACK, FALLBACK);
  } finally {
    await healthyWorld.close();
  }
  const rows: FailoverRow[] = [];
  for (const kind of KINDS) {
    const preloaded = kind.spec.kind !== 'oom_on_load';
    const closed: number[] = [];
    let errors = 0;
    const usedBy = new Set<string>();
    for (let i = 0; i < samples; i++) {
      const world = await startWorld(worldConfig(scale, preloaded), 'failover');
      try {
        world.sim.faults.add(kind.spec);
        const a = await ask(world, kind.urgency);
        if (a.ok) closed.push(a.ms);
        else errors++;
        usedBy.add(a.model);
      } finally {
        await world.close();
      }
    }
    const world = await startWorld(worldConfig(scale, preloaded), 'failover');
    const open: number[] = [];
    let toOpen = 0;
    let openState = '?';
    try {
      world.sim.faults.add(kind.spec);
      for (; toOpen < 50; toOpen++) {
        openState = stateOf(world, PRIMARY);
        if (openState === 'open' || openState === 'missing') break;
        const a = await ask(world, kind.urgency);
        if (!a.ok) errors++;
      }
      for (let i = 0; i < samples * 2; i++) {
        const a = await ask(world, kind.urgency);
        if (a.ok) open.push(a.ms);
        else errors++;
        usedBy.add(a.model);
      }
      openState = `${openState}${stateOf(world, PRIMARY) !== openState ? ` → ${stateOf(world, PRIMARY)}` : ''}`;
    } finally {
      await world.close();
    }
    const row: FailoverRow = {
      fault: kind.name,
      closed_ms: med(closed),
      closed_p90_ms: p90(closed),
      open_ms: med(open),
      open_p90_ms: p90(open),
      open_state: openState,
      requests_to_open: toOpen,
      closed_real_s: round(med(closed) / 1000 / scale, 2),
      open_real_s: round(med(open) / 1000 / scale, 2),
      answered_by_fallback: [...usedBy].join(', '),
      errors,
    };
    rows.push(row);
    opts.log(
      `failover ${kind.name}: closed ${row.closed_ms} ms, open ${row.open_ms} ms (${openState} after ${toOpen}), by ${row.answered_by_fallback}`,
    );
  }
  return { scale, samples, healthy_ms: med(healthy), fallback_healthy_ms: med(fallbackHealthy), rows };
}

function worldConfig(scale: number, primaryLoaded: boolean) {
  return seedWorld(scale, { warm_set: primaryLoaded ? [PRIMARY, FALLBACK] : [FALLBACK] });
}

async function ask(world: World, urgency: string, model = 'auto:simple') {
  const a = await postJson(`${world.url}/api/generate`, {
    model,
    prompt: 'Summarise the plot of a short story in two lines.',
    urgency,
    stream: false,
    options: { num_predict: 8 },
  });
  const used = decodeURIComponent(String(a.headers['x-rmm-model-used'] ?? ''));
  return {
    ok: a.status === 200 && used !== '' && used !== PRIMARY,
    ms: a.ms,
    model: used || `error ${a.status}`,
  };
}

async function times(
  world: World,
  n: number,
  urgency: string,
  expect: string,
  model?: string,
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = await postJson(`${world.url}/api/generate`, {
      model: model ?? 'auto:simple',
      prompt: 'Summarise the plot of a short story in two lines.',
      urgency,
      stream: false,
      options: { num_predict: 8 },
    });
    const used = decodeURIComponent(String(a.headers['x-rmm-model-used'] ?? ''));
    if (a.status === 200 && used === expect) out.push(a.ms);
  }
  return out;
}

function stateOf(world: World, model: string): string {
  return world.service.manager.status().models.find((m) => m.name === model)?.state ?? '?';
}

function med(xs: number[]): number {
  return round(
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    ),
    1,
  );
}

function p90(xs: number[]): number {
  return round(
    percentile(
      [...xs].sort((a, b) => a - b),
      90,
    ),
    1,
  );
}
