import type { TaskType, Urgency } from '../../src/config/schema.ts';
import { Prng } from '../../src/simulator/prng.ts';
import { postJson } from './http.ts';
import { judgeAnswer, type Shape, type Verdict } from './outcome.ts';
import { Samples } from './stats.ts';

export interface MixedLoadOptions {
  url: string;
  /** Concurrent clients, each with one request in flight. */
  workers: number;
  /** Stop starting requests when this returns true (checked before each request). */
  stop: () => boolean;
  /** Or a fixed number of requests per worker. */
  perWorker?: number;
  seed: number;
  /** Client-side limit per request: an answer slower than this counts as lost. */
  timeoutMs: number;
  urgencies?: readonly Urgency[];
  /** Every judged answer as it comes (timelines: what failed when). */
  onResult?: (verdict: Verdict, ms: number) => void;
}

export interface MixedLoadTally {
  requests: number;
  answered: number;
  clearErrors: number;
  lost: number;
  byCode: Record<string, number>;
  lostWhy: Record<string, number>;
  byModel: Record<string, number>;
  /** Whole-answer times of answered requests (ms). */
  latency: Samples;
}

const TASKS: TaskType[] = ['general', 'fast_response', 'simple', 'code_generation', 'reasoning', 'creative'];
const SHAPES: Shape[] = ['seed', 'seed', 'seed_stream', 'ollama_stream', 'openai'];

/**
 * Closed-loop mixed traffic: every worker sends one request at a time, drawn from a seeded mix of API
 * shapes (seed JSON and NDJSON, Ollama chat streaming, OpenAI), task types and urgencies, and judges
 * each answer (see outcome.ts).
 */
export async function runMixedLoad(opts: MixedLoadOptions): Promise<MixedLoadTally> {
  const tally: MixedLoadTally = {
    requests: 0,
    answered: 0,
    clearErrors: 0,
    lost: 0,
    byCode: {},
    lostWhy: {},
    byModel: {},
    latency: new Samples(),
  };
  const urgencies = opts.urgencies ?? ['interactive', 'interactive', 'background'];
  const worker = async (w: number) => {
    const rng = new Prng(opts.seed * 1000 + w);
    for (let i = 0; (opts.perWorker === undefined || i < opts.perWorker) && !opts.stop(); i++) {
      const shape = rng.pick(SHAPES);
      const task = rng.pick(TASKS);
      const urgency = rng.pick(urgencies);
      const { path, body } = requestFor(shape, task, urgency, `${task} question ${w}-${i}`);
      const a = await postJson(`${opts.url}${path}`, body, { timeoutMs: opts.timeoutMs });
      const verdict = judgeAnswer(shape, a.status, a.text, a.transportError);
      record(tally, verdict, a.ms);
      opts.onResult?.(verdict, a.ms);
    }
  };
  await Promise.all(Array.from({ length: opts.workers }, (_, w) => worker(w)));
  return tally;
}

function record(t: MixedLoadTally, v: Verdict, ms: number): void {
  t.requests++;
  if (v.kind === 'answered') {
    t.answered++;
    t.byModel[v.model] = (t.byModel[v.model] ?? 0) + 1;
    t.latency.push(ms);
  } else if (v.kind === 'clear_error') {
    t.clearErrors++;
    t.byCode[v.code] = (t.byCode[v.code] ?? 0) + 1;
  } else {
    t.lost++;
    t.lostWhy[v.why] = (t.lostWhy[v.why] ?? 0) + 1;
  }
}

function requestFor(
  shape: Shape,
  task: TaskType,
  urgency: Urgency,
  text: string,
): { path: string; body: unknown } {
  switch (shape) {
    case 'seed':
      return { path: '/api/echo/resilient/query', body: { query: text, task_type: task, urgency } };
    case 'seed_stream':
      return {
        path: '/api/echo/resilient/query',
        body: { query: text, task_type: task, urgency, stream: true },
      };
    case 'ollama_stream':
      return {
        path: '/api/chat',
        body: { model: `auto:${task}`, urgency, messages: [{ role: 'user', content: text }], stream: true },
      };
    case 'openai':
      return {
        path: '/v1/chat/completions',
        body: { model: `auto:${task}`, urgency, messages: [{ role: 'user', content: text }] },
      };
  }
}

export function mergeTallies(into: MixedLoadTally, from: MixedLoadTally): void {
  into.requests += from.requests;
  into.answered += from.answered;
  into.clearErrors += from.clearErrors;
  into.lost += from.lost;
  for (const [k, v] of Object.entries(from.byCode)) into.byCode[k] = (into.byCode[k] ?? 0) + v;
  for (const [k, v] of Object.entries(from.lostWhy)) into.lostWhy[k] = (into.lostWhy[k] ?? 0) + v;
  for (const [k, v] of Object.entries(from.byModel)) into.byModel[k] = (into.byModel[k] ?? 0) + v;
  into.latency.merge(from.latency);
}
