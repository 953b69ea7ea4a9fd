/**
 * When interactive requests last arrived, so background and batch work can tell a quiet spell: a model that
 * cannot fit beside the warm set is loaded for them only after `quietMs` without one (see
 * `mayDisplaceWarmSet`). One number, written once per interactive request: nothing on the hot path to speak of.
 */
export class InteractivePulse {
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly quietMs: number) {}

  seen(now: number): void {
    this.lastAt = now;
  }

  busy(now: number): boolean {
    return this.quietMs > 0 && now - this.lastAt < this.quietMs;
  }
}
