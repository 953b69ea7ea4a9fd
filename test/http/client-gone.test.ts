import { describe, expect, it } from 'vitest';
import { ClientGone } from '../../src/http/client-gone.ts';
import type { CancelSignal } from '../../src/manager/cancel-signal.ts';

/** The request path's cancel signal behaves as the AbortSignal it replaces, where the manager relies on it. */
describe('ClientGone', () => {
  it('fires its listeners once, with the reason, and keeps no listener after', () => {
    const gone = new ClientGone();
    const calls: string[] = [];
    const a = () => calls.push('a');
    const b = () => calls.push('b');
    gone.addEventListener('abort', a);
    gone.addEventListener('abort', b);
    gone.removeEventListener('abort', b);
    const reason = new Error('client left');
    gone.abort(reason);
    gone.abort(new Error('again'));
    expect(calls).toEqual(['a']);
    expect(gone.aborted).toBe(true);
    expect(gone.reason).toBe(reason);
    gone.addEventListener('abort', () => calls.push('late'));
    expect(calls).toEqual(['a']);
  });

  it('matches an AbortSignal on the same sequence', () => {
    const run = (signal: CancelSignal, abort: (r: unknown) => void) => {
      const seen: unknown[] = [];
      const first = () => seen.push(['first', signal.aborted]);
      signal.addEventListener('abort', first, { once: true });
      signal.addEventListener('abort', () => seen.push(['second', signal.reason]), { once: true });
      seen.push(['before', signal.aborted]);
      abort('why');
      abort('twice');
      signal.addEventListener('abort', () => seen.push('late'));
      return seen;
    };
    const controller = new AbortController();
    const gone = new ClientGone();
    expect(run(gone, (r) => gone.abort(r))).toEqual(run(controller.signal, (r) => controller.abort(r)));
  });
});
