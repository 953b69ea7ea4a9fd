/**
 * Runs async jobs one at a time in call order. Writers use it so two writes to the same file never overlap
 * (they would share a temp name, or interleave lines). A failed job rejects only its own promise: the
 * queue carries on with the next.
 */
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve();

  run(job: () => Promise<void>): Promise<void> {
    const run = this.tail.then(job);
    this.tail = run.catch(() => {});
    return run;
  }

  /** Resolves when every job queued so far has finished; never rejects. */
  idle(): Promise<void> {
    return this.tail;
  }
}

/**
 * A job that waits on a SerialQueue at most once: asking again while it waits returns the waiting run, so
 * any number of requests behind the write in flight cost one write, which takes whatever is current when
 * it starts. Once it starts, the next request queues a new run.
 */
export class CoalescedJob {
  private waitingRun: Promise<void> | null = null;

  constructor(
    private readonly queue: SerialQueue,
    private readonly work: () => Promise<void>,
  ) {}

  /** True from a request until the run it queued starts. */
  get waiting(): boolean {
    return this.waitingRun !== null;
  }

  request(): Promise<void> {
    if (this.waitingRun !== null) return this.waitingRun;
    const run = this.queue.run(async () => {
      this.waitingRun = null;
      await this.work();
    });
    this.waitingRun = run;
    return run;
  }
}
