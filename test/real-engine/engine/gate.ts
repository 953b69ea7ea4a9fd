/**
 * A test hook that holds answers at a chosen point: with `pauseAfterChunks` n, every completion stops
 * before sending its (n+1)-th piece of text (one chunk on the wire; a token is one piece unless it ends
 * mid-character) until the gate opens again or the client leaves. It makes "kill the engine before the
 * first token" (n = 0: not even headers have gone out) and "after the first token" (n ≥ 1) exact instead
 * of a race against generation speed. Time held counts in eval_duration. Open (null) by default.
 */
export class ChunkGate {
  private pauseAfter: number | null = null;
  private held = new Set<() => void>();

  get pauseAfterChunks(): number | null {
    return this.pauseAfter;
  }

  /** Completions currently held at the gate. */
  get paused(): number {
    return this.held.size;
  }

  set(pauseAfterChunks: number | null): void {
    this.pauseAfter = pauseAfterChunks;
    if (pauseAfterChunks === null) {
      const waiting = [...this.held];
      this.held.clear();
      for (const go of waiting) go();
    }
  }

  /** Resolves when a completion that has sent `sent` tokens may send the next one. */
  async pass(sent: number, signal: AbortSignal): Promise<void> {
    if (this.pauseAfter === null || sent < this.pauseAfter || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const go = () => {
        this.held.delete(go);
        signal.removeEventListener('abort', go);
        resolve();
      };
      this.held.add(go);
      signal.addEventListener('abort', go, { once: true });
    });
  }
}
