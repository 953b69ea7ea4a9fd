import { readFileSync } from 'node:fs';
import { TASK_TYPES, type TaskType, URGENCIES, type Urgency } from '../config/schema.ts';
import { dayTrace } from './day-trace.ts';

/** One request of a simulated run: `t` seconds after the day starts. */
export interface SimRequest {
  t: number;
  task_type: TaskType;
  urgency: Urgency;
  query: string;
  model?: string;
}

export class TraceError extends Error {}

/** The seeded 24-hour day of the scheduler bench, at its real pace (no gap is cut: virtual time is free). */
export function dayRequests(seed: number, rate = 1): SimRequest[] {
  const out: SimRequest[] = [];
  for (let copy = 0; copy < rate; copy++) {
    for (const r of dayTrace({ seed: seed * 7919 + copy, hours: HOURS, gapCapS: Number.POSITIVE_INFINITY })) {
      out.push({ t: r.clock, task_type: r.task_type, urgency: r.urgency, query: r.prompt });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

const HOURS = Array.from({ length: 24 }, (_, h) => h);

/** A JSONL trace: one `{t, task_type, urgency, query, model?}` per line; every mistake named with its line. */
export function readTrace(path: string): SimRequest[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TraceError(`cannot read trace ${path}: ${(err as Error).message}`);
  }
  const out: SimRequest[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${path}:${i + 1}`;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new TraceError(`${where}: not JSON (${(err as Error).message})`);
    }
    if (typeof v !== 'object' || v === null)
      throw new TraceError(`${where}: each line must be a JSON object`);
    if (typeof v['t'] !== 'number' || !(v['t'] >= 0))
      throw new TraceError(`${where}: "t" must be seconds from the start, a number ≥ 0`);
    const task = v['task_type'] ?? 'general';
    if (!TASK_TYPES.includes(task as TaskType))
      throw new TraceError(`${where}: "task_type" must be one of ${TASK_TYPES.join(', ')}`);
    const urgency = v['urgency'] ?? 'interactive';
    if (!URGENCIES.includes(urgency as Urgency))
      throw new TraceError(`${where}: "urgency" must be one of ${URGENCIES.join(', ')}`);
    if (typeof v['query'] !== 'string' || v['query'] === '')
      throw new TraceError(`${where}: "query" must be a non-empty string`);
    const r: SimRequest = {
      t: v['t'],
      task_type: task as TaskType,
      urgency: urgency as Urgency,
      query: v['query'],
    };
    if (v['model'] !== undefined) {
      if (typeof v['model'] !== 'string') throw new TraceError(`${where}: "model" must be a string`);
      r.model = v['model'];
    }
    out.push(r);
  });
  if (out.length === 0) throw new TraceError(`${path} holds no requests`);
  return out.sort((a, b) => a.t - b.t);
}
