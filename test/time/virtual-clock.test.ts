import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/time/virtual-clock.ts';

describe('VirtualClock', () => {
  it('fires timers in (due time, order set) order, each at its own due time', () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => fired.push(`c@${clock.now()}`), 20);
    clock.setTimeout(() => fired.push(`late@${clock.now()}`), 31);
    clock.advance(30);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.now()).toBe(30);
    expect(clock.pending).toBe(1);
  });

  it('skips cleared timers and counts only live ones', () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    const t = clock.setTimeout(() => fired.push(1), 5);
    clock.setTimeout(() => fired.push(2), 6);
    clock.clearTimeout(t);
    clock.clearTimeout(t);
    expect(clock.pending).toBe(1);
    expect(clock.nextDueAt()).toBe(6);
    clock.advance(10);
    expect(fired).toEqual([2]);
    expect(clock.pending).toBe(0);
  });

  it('runs timers set by timers, and step() stops at the limit', () => {
    const clock = new VirtualClock(100);
    const fired: number[] = [];
    clock.setTimeout(() => {
      fired.push(clock.now());
      clock.setTimeout(() => fired.push(clock.now()), 0);
    }, 1);
    expect(clock.step(100)).toBe(false);
    expect(clock.step()).toBe(true);
    expect(clock.step()).toBe(true);
    expect(fired).toEqual([101, 101]);
    expect(clock.step()).toBe(false);
  });

  it('jump moves time without firing anything', () => {
    const clock = new VirtualClock(0);
    let fired = false;
    clock.setTimeout(() => (fired = true), 5);
    clock.jump(50);
    expect(fired).toBe(false);
    expect(clock.now()).toBe(50);
    clock.advance(0);
    expect(fired).toBe(true);
  });
});
