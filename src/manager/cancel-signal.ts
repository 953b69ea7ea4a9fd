/**
 * What the manager needs of a caller's cancellation: whether it happened, why, and a call when it does.
 * An AbortSignal is one, so library callers pass theirs. The HTTP layer passes a lighter one of its own
 * (http/client-gone.ts) on every request: on Node 20 each AbortSignal is an EventTarget given its prototype
 * with Object.setPrototypeOf, ~4 µs to make and ~1 µs per listener, for a signal that almost never fires.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}
