import type { Backend } from '../backend/backend.ts';
import type { Config } from '../config/schema.ts';
import type { RunningManager } from '../runtime/manager-options.ts';
import { runUntil } from './pump.ts';
import { bestOf } from './quality.ts';
import type { SimRequest } from './trace.ts';
import { DAY_START, type SimWorld } from './world.ts';

/** What happened to one request, in virtual milliseconds. */
export interface Outcome {
  ok: boolean;
  latencyMs: number;
  /** To the first token (the whole answer when none streamed). */
  ttftMs: number;
  model: string;
  code?: string;
}

/**
 * Replays `trace` open-loop in virtual time: each request leaves at its own time whatever the others are
 * doing, as users do, and the run ends when every one has settled. `send` makes one request.
 */
async function replay(
  world: SimWorld,
  trace: readonly SimRequest[],
  send: (r: SimRequest, i: number, firstToken: () => void) => Promise<string>,
): Promise<Outcome[]> {
  const { clock } = world;
  const outcomes: Outcome[] = new Array(trace.length);
  let settled = 0;
  trace.forEach((r, i) => {
    clock.setTimeout(
      () => {
        const start = clock.now();
        let first: number | undefined;
        send(r, i, () => {
          first ??= clock.now();
        }).then(
          (model) => {
            const end = clock.now();
            outcomes[i] = { ok: true, latencyMs: end - start, ttftMs: (first ?? end) - start, model };
            settled++;
          },
          (err: unknown) => {
            const end = clock.now();
            const code = (err as { code?: unknown }).code;
            outcomes[i] = {
              ok: false,
              latencyMs: end - start,
              ttftMs: end - start,
              model: '',
              code: typeof code === 'string' ? code : 'ERROR',
            };
            settled++;
          },
        );
      },
      Math.max(0, DAY_START + r.t * 1000 - clock.now()),
    );
  });
  await runUntil(world, () => settled === trace.length, 'every request to settle');
  return outcomes;
}

/** The trace through the service. Request ids are the trace positions, so the journal is the same every run. */
export function runService(
  world: SimWorld,
  manager: RunningManager,
  trace: readonly SimRequest[],
): Promise<Outcome[]> {
  return replay(world, trace, async (r, i, firstToken) => {
    const res = await manager.complete({
      kind: 'generate',
      prompt: r.query,
      taskType: r.task_type,
      urgency: r.urgency,
      requestId: `sim-${String(i).padStart(6, '0')}`,
      onChunk: firstToken,
      ...(r.model !== undefined && { model: r.model }),
    });
    return res.model_used;
  });
}

/**
 * "Ollama alone": each request straight to its chain's best model on one host, no retries, no fallbacks,
 * Ollama's own queueing and eviction (default keep-alive), no deadline but Ollama's.
 */
export function runOllamaAlone(
  world: SimWorld,
  config: Readonly<Config>,
  trace: readonly SimRequest[],
): Promise<Outcome[]> {
  const backend: Backend = world.backends.values().next().value!;
  return replay(world, trace, async (r, _i, firstToken) => {
    const model = r.model ?? bestOf(config, r.task_type).model;
    await backend.infer({ kind: 'generate', model, prompt: r.query, onChunk: firstToken });
    return model;
  });
}
