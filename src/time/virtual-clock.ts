import type { Clock } from './clock.ts';

interface Timer {
  at: number;
  /** Tie-breaker: timers due at the same time fire in the order they were set. */
  seq: number;
  fn: () => void;
  live: boolean;
}

/**
 * A clock that moves only when told to. Timers sit in a binary heap ordered by (due time, sequence), so
 * the order in which they fire is fully determined by the calls made: the same program on the same inputs
 * fires the same timers in the same order, which is what tests and the deterministic simulation rely on.
 * Nothing here reads the machine's clock or schedules real timers.
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #heap: Timer[] = [];
  /** Cancelled timers stay in the heap (removal would be O(n)) and are skipped when they surface. */
  #live = 0;

  constructor(start = Date.parse('2025-01-01T00:00:00.000Z')) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const at = this.#now + Math.max(0, Number.isFinite(ms) ? ms : 0);
    const timer: Timer = { at, seq: this.#seq++, fn, live: true };
    this.#push(timer);
    this.#live++;
    return timer;
  }

  clearTimeout(handle: unknown): void {
    const t = handle as Timer | null | undefined;
    if (t && typeof t === 'object' && t.live === true) {
      t.live = false;
      this.#live--;
    }
  }

  /** Timers set and neither fired nor cleared. */
  get pending(): number {
    return this.#live;
  }

  /** When the next live timer is due, or undefined when none is set. */
  nextDueAt(): number | undefined {
    this.#dropCancelledTop();
    return this.#heap[0]?.at;
  }

  /**
   * Fires the next timer due at or before `limit` (moving time to its due time); false when there is none.
   * Callers that run async code between timers (the simulation) drain their promises after each step.
   */
  step(limit = Number.POSITIVE_INFINITY): boolean {
    this.#dropCancelledTop();
    const top = this.#heap[0];
    if (top === undefined || top.at > limit) return false;
    this.#pop();
    top.live = false;
    this.#live--;
    if (top.at > this.#now) this.#now = top.at;
    top.fn();
    return true;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, each at its own due time. */
  advance(ms: number): void {
    const end = this.#now + Math.max(0, ms);
    while (this.step(end)) {}
    this.#now = end;
  }

  /** Moves time to `at` (never backwards) without firing anything, as if the process had been down. */
  jump(ms: number): void {
    this.#now += Math.max(0, ms);
  }

  #dropCancelledTop(): void {
    while (this.#heap.length > 0 && !this.#heap[0]!.live) this.#pop();
  }

  #push(t: Timer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): Timer | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && earlier(h[l]!, h[m]!)) m = l;
        if (r < h.length && earlier(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function earlier(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
