import type { VirtualClock } from '../time/virtual-clock.ts';

/** How long (real ms) to wait for real I/O when nothing is scheduled before calling the run stalled. */
const STALL_MS = 2000;

/**
 * Drives virtual time: lets every promise that can settle do so (one macrotask turn drains the microtask
 * queue, and lets file writes finish), then fires the next timer, until `done()` holds. Timers fire in a
 * fixed order (due time, then the order they were set), so the run is the same every time.
 */
export interface Driven {
  clock: VirtualClock;
  /** Real I/O the run must wait for before time moves on (the state folder's writes), if any. */
  quiesce?: (() => Promise<void>) | undefined;
}

export async function runUntil(
  world: Driven,
  done: () => boolean,
  what: string,
  limitAt = Number.POSITIVE_INFINITY,
): Promise<void> {
  const { clock } = world;
  for (;;) {
    await settle();
    if (world.quiesce) {
      // A write finishing is part of "now": let it land (and what it triggers run) before the next timer.
      await world.quiesce();
      await settle();
    }
    if (done()) return;
    let next = clock.nextDueAt();
    // Nothing due in virtual time: real I/O (a file write) may still be on its way; give it real time.
    for (let waited = 0; next === undefined && waited < STALL_MS && !done(); waited += 2) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      next = clock.nextDueAt();
    }
    if (done()) return;
    if (next === undefined) throw new Error(`simulation stalled waiting for ${what}: nothing left to happen`);
    if (next > limitAt)
      throw new Error(`simulation gave up waiting for ${what} at ${new Date(limitAt).toISOString()}`);
    clock.step();
  }
}

/** Lets pending promises (and in-flight file writes) settle before time moves on. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Awaits `promise` while virtual time runs. */
export async function during<T>(world: Driven, promise: Promise<T>, what: string): Promise<T> {
  let outcome: { ok: true; value: T } | { ok: false; err: unknown } | undefined;
  promise.then(
    (value) => {
      outcome = { ok: true, value };
    },
    (err: unknown) => {
      outcome = { ok: false, err };
    },
  );
  await runUntil(world, () => outcome !== undefined, what);
  if (!outcome!.ok) throw outcome!.err;
  return outcome!.value;
}
