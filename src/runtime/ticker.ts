import type { Clock } from '../time/clock.ts';

/**
 * Runs `task` every `intervalMs`, never two at once: the next run is armed only when the previous one has
 * finished, so a slow host cannot pile up reconciliations. Errors are the task's to report.
 */
export class Ticker {
  private handle: unknown;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly task: () => Promise<unknown> | unknown,
  ) {
    this.arm();
  }

  private arm() {
    if (this.stopped) return;
    this.handle = this.clock.setTimeout(
      async () => {
        try {
          await this.task();
        } catch {
          // The task logs its own failures; a ticker must keep ticking.
        }
        this.arm();
      },
      Math.max(1, this.intervalMs),
    );
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.handle);
  }
}
