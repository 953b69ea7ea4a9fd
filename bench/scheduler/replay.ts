import type { DayRequest } from '../../src/simulate/day-trace.ts';

export interface Outcome {
  ok: boolean;
  status: number;
  /** Real milliseconds from send to the whole answer. */
  ms: number;
  /** The model that answered ('' when none). */
  model: string;
  outOfChain?: boolean;
  error?: string;
  /** Why it failed, when the answer says. */
  why?: string;
}

/**
 * Open-loop replay: each request leaves at its own time (t × scale), whatever the earlier ones are doing,
 * as users do. Resolves with every outcome in trace order.
 */
export async function replay(
  trace: readonly DayRequest[],
  scale: number,
  send: (r: DayRequest) => Promise<Outcome>,
  onProgress?: (done: number) => void,
): Promise<Outcome[]> {
  const start = performance.now();
  const pending: Array<Promise<Outcome>> = [];
  let done = 0;
  for (const r of trace) {
    const due = start + r.t * scale * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      send(r).then((o) => {
        done++;
        onProgress?.(done);
        return o;
      }),
    );
  }
  return Promise.all(pending);
}
