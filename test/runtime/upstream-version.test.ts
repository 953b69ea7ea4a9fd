import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/runtime/clock.ts';
import { compareVersions, lowestVersion, watchUpstreamVersions } from '../../src/runtime/upstream-version.ts';

/** A clock whose timers run only when the test says so. */
function manualClock() {
  const timers = new Map<number, () => void>();
  let next = 0;
  const clock: Clock = {
    now: () => 0,
    setTimeout: (fn) => {
      timers.set(++next, fn);
      return next;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  const tick = () => {
    const due = [...timers.entries()];
    timers.clear();
    for (const [, fn] of due) fn();
  };
  return { clock, tick, pending: () => timers.size };
}

describe('semantic version order', () => {
  it('compares numerically, pre-releases below their release', () => {
    const sorted = ['0.12.0', '0.6.8', '0.33.0-rc2', '0.33.0', '0.33.0-rc10', 'v0.9.1', '0.0.0', '1.0'];
    expect([...sorted].sort(compareVersions)).toEqual([
      '0.0.0',
      '0.6.8',
      'v0.9.1',
      '0.12.0',
      '0.33.0-rc2',
      '0.33.0-rc10',
      '0.33.0',
      '1.0',
    ]);
    expect(compareVersions('0.12.0', '0.12.0+build.5')).toBe(0);
  });

  it('picks the lowest', () => {
    expect(lowestVersion(['0.12.0', '0.6.8', '0.20.1'])).toBe('0.6.8');
    expect(lowestVersion([])).toBeUndefined();
  });
});

describe('watching the hosts’ versions', () => {
  it('asks every host at start and on each tick, and keeps a host’s last answer while it is down', async () => {
    const { clock, tick, pending } = manualClock();
    const answers: Record<string, string | Error> = { a: '0.12.0', b: new Error('refused') };
    const asked: string[] = [];
    const source = (host: string) => ({
      host,
      version: async () => {
        asked.push(host);
        const a = answers[host]!;
        if (a instanceof Error) throw a;
        return a;
      },
    });
    const watch = watchUpstreamVersions([source('a'), source('b')], {
      clock,
      intervalMs: 1000,
      timeoutMs: 100,
    });
    await watch.first;
    expect(watch.lowest()).toBe('0.12.0');

    answers['b'] = '0.6.8';
    tick();
    await expect.poll(() => watch.lowest()).toBe('0.6.8');
    expect(asked).toEqual(['a', 'b', 'a', 'b']);

    // b goes away: its last version still counts. b is upgraded and comes back: the lowest moves up.
    answers['b'] = new Error('reset');
    await watch.refresh();
    expect(watch.lowest()).toBe('0.6.8');
    answers['b'] = '0.20.0';
    await watch.refresh();
    expect(watch.lowest()).toBe('0.12.0');

    watch.stop();
    expect(pending()).toBe(0);
  });

  it('knows no version until a host answers', async () => {
    const { clock } = manualClock();
    const watch = watchUpstreamVersions(
      [{ host: 'a', version: async () => Promise.reject(new Error('down')) }],
      {
        clock,
        intervalMs: 1000,
        timeoutMs: 100,
      },
    );
    await watch.first;
    expect(watch.lowest()).toBeUndefined();
    watch.stop();
  });
});
