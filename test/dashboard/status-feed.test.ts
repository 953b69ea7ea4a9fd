import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FeedSink, StatusFeed } from '../../src/http/dashboard/status-feed.ts';
import { FakeManager } from './fake-manager.ts';

class RecordingSink implements FeedSink {
  frames: string[] = [];
  heartbeats = 0;
  ended = false;
  send(frame: string): void {
    this.frames.push(frame);
  }
  heartbeat(): void {
    this.heartbeats++;
  }
  end(): void {
    this.ended = true;
  }
  /** The status objects received, in order. */
  statuses(): Array<Record<string, unknown>> {
    return this.frames.filter((f) => f.startsWith('data: ')).map((f) => JSON.parse(f.slice(6)));
  }
}

describe('StatusFeed', () => {
  let manager: FakeManager;
  let feed: StatusFeed;
  let errors: unknown[];

  beforeEach(() => {
    vi.useFakeTimers();
    manager = new FakeManager();
    errors = [];
    feed = new StatusFeed({
      read: () => manager.status(),
      pollMs: 500,
      heartbeatMs: 15_000,
      onError: (e) => errors.push(e),
    });
  });

  afterEach(() => {
    feed.close();
    vi.useRealTimers();
  });

  it('sends the status at connect and then only when it changes', () => {
    const sink = new RecordingSink();
    feed.subscribe(sink);
    expect(sink.statuses()).toHaveLength(1);

    vi.advanceTimersByTime(2_000);
    expect(sink.statuses()).toHaveLength(1);

    manager.setState('llama3.2:3b@local', 'open');
    vi.advanceTimersByTime(500);
    const statuses = sink.statuses();
    expect(statuses).toHaveLength(2);
    const models = statuses[1]?.['models'] as Array<{ id: string; state: string }>;
    expect(models.find((m) => m.id === 'llama3.2:3b@local')?.state).toBe('open');
  });

  it('does not count uptime moving as a change', () => {
    const sink = new RecordingSink();
    feed.subscribe(sink);
    for (let i = 0; i < 6; i++) {
      manager.status_.uptime_s += 1;
      vi.advanceTimersByTime(500);
    }
    expect(sink.statuses()).toHaveLength(1);
  });

  it('gives a late subscriber the current status and does not resend it to the others', () => {
    const first = new RecordingSink();
    const second = new RecordingSink();
    feed.subscribe(first);
    feed.subscribe(second);
    expect(first.statuses()).toHaveLength(1);
    expect(second.statuses()).toHaveLength(1);

    // A change the poller has not seen yet reaches everyone when the next client connects.
    manager.setState('deepseek-r1:14b@local', 'loaded');
    const third = new RecordingSink();
    feed.subscribe(third);
    expect(first.statuses()).toHaveLength(2);
    expect(third.statuses()).toHaveLength(1);
  });

  it('sends a heartbeat comment every heartbeat interval', () => {
    const sink = new RecordingSink();
    feed.subscribe(sink);
    vi.advanceTimersByTime(45_000);
    expect(sink.heartbeats).toBe(3);
  });

  it('holds timers only while someone listens', () => {
    expect(feed.running).toBe(false);
    const unsubscribers = Array.from({ length: 5 }, () => feed.subscribe(new RecordingSink()));
    expect(feed.running).toBe(true);
    expect(feed.clients).toBe(5);
    expect(vi.getTimerCount()).toBe(2);
    for (const off of unsubscribers) off();
    unsubscribers[0]?.(); // twice is harmless
    expect(feed.clients).toBe(0);
    expect(feed.running).toBe(false);
    expect(vi.getTimerCount()).toBe(0);

    const callsBefore = manager.statusCalls;
    vi.advanceTimersByTime(10_000);
    expect(manager.statusCalls).toBe(callsBefore);
  });

  it('reports a failing status read once, then recovers', () => {
    const sink = new RecordingSink();
    feed.subscribe(sink);
    manager.failWith = new Error('supervisor stopped');
    vi.advanceTimersByTime(2_000);
    const errorFrames = sink.frames.filter((f) => f.startsWith('event: feed-error'));
    expect(errorFrames).toHaveLength(1);
    expect(errorFrames[0]).toContain('supervisor stopped');
    expect(errors).toHaveLength(1);

    manager.failWith = undefined;
    vi.advanceTimersByTime(500);
    expect(sink.statuses()).toHaveLength(2);
  });

  it('close ends every client, stops timers and ends later subscribers at once', () => {
    const a = new RecordingSink();
    const b = new RecordingSink();
    feed.subscribe(a);
    feed.subscribe(b);
    feed.close();
    expect(a.ended && b.ended).toBe(true);
    expect(feed.running).toBe(false);
    expect(feed.clients).toBe(0);

    const late = new RecordingSink();
    feed.subscribe(late);
    expect(late.ended).toBe(true);
    expect(late.frames).toHaveLength(0);
    expect(feed.clients).toBe(0);
  });
});
