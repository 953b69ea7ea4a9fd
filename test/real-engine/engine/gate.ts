/**
 * A test hook that holds streamed answers at a chosen token: with `pauseAfterTokens` n, every completion
 * stops before sending its (n+1)-th token until the gate opens again (or the client leaves). It makes
 * "kill the engine before the first token" (n = 0) and "after the first token" (n ≥ 1) exact instead of a
 * race against generation speed. Open (null) by default.
 */
export class TokenGate {
  private pauseAfter: number | null = null;
  private held = new Set<() => void>();

  get pauseAfterTokens(): number | null {
    return this.pauseAfter;
  }

  /** Completions currently held at the gate. */
  get paused(): number {
    return this.held.size;
  }

  set(pauseAfterTokens: number | null): void {
    this.pauseAfter = pauseAfterTokens;
    if (pauseAfterTokens === null) {
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
