import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/defaults.ts';
import {
  chainHead,
  createDemand,
  type DemandState,
  decayed,
  dominantTaskAt,
  HOURLY_CAP,
  hourOfDay,
  modelDemand,
  predictPreloads,
  ratePerMinute,
  recordOutcome,
  recordRequest,
  risingTasks,
  taskDemand,
} from '../../src/policy/demand.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const config = defaultConfig();
const predictive = {
  preload: { predictive: true, interval_s: 60, demand_half_life_s: 600 },
  chains: config.chains,
};

describe('decayed demand', () => {
  it('halves every half-life and adds one per request', () => {
    const s = createDemand({ halfLifeS: 60 });
    recordRequest(s, { now: 0, model: 'a', taskType: 'simple' });
    expect(modelDemand(s, 'a', 0)).toBe(1);
    expect(modelDemand(s, 'a', 60_000)).toBeCloseTo(0.5);
    expect(modelDemand(s, 'a', 120_000)).toBeCloseTo(0.25);
    recordRequest(s, { now: 60_000, model: 'a', taskType: 'simple' });
    expect(modelDemand(s, 'a', 60_000)).toBeCloseTo(1.5);
    expect(taskDemand(s, 'simple', 60_000)).toBeCloseTo(1.5);
    expect(modelDemand(s, 'never-asked', 0)).toBe(0);
  });

  it('a steady stream converges to rate × half-life ÷ ln 2', () => {
    const s = createDemand({ halfLifeS: 60 });
    // 6 requests a minute for an hour.
    for (let t = 0; t <= HOUR; t += 10_000) recordRequest(s, { now: t, model: 'a' });
    expect(ratePerMinute(modelDemand(s, 'a', HOUR), 60)).toBeCloseTo(6, 0);
  });

  it('out-of-order events never move time backwards nor inflate the count', () => {
    const s = createDemand({ halfLifeS: 60 });
    recordRequest(s, { now: 60_000, model: 'a' });
    recordRequest(s, { now: 0, model: 'a' });
    expect(s.models['a']!.at).toBe(60_000);
    expect(modelDemand(s, 'a', 60_000)).toBe(2);
  });

  it('property: decay never grows with time and stays non-negative', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.integer({ min: 1, max: 1e5 }),
        fc.nat(1e9),
        fc.nat(1e9),
        (v, half, t1, t2) => {
          const d = { v, at: 0 };
          const [a, b] = t1 < t2 ? [t1, t2] : [t2, t1];
          expect(decayed(d, half, b)).toBeLessThanOrEqual(decayed(d, half, a));
          expect(decayed(d, half, b)).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});

describe('hour-of-day histogram', () => {
  it('buckets by local hour using the configured UTC offset', () => {
    expect(hourOfDay({ utcOffsetMin: 0 }, 9 * HOUR + 59 * 60_000)).toBe(9);
    expect(hourOfDay({ utcOffsetMin: 120 }, 9 * HOUR)).toBe(11);
    expect(hourOfDay({ utcOffsetMin: -600 }, 3 * HOUR)).toBe(17);
    expect(hourOfDay({ utcOffsetMin: 0 }, -1)).toBe(23);
  });

  it('mornings are code work: the dominant task of an hour with enough history', () => {
    const s = createDemand();
    for (let day = 0; day < 10; day++) {
      for (let i = 0; i < 4; i++)
        recordRequest(s, { now: day * DAY + 9 * HOUR + i * 60_000, taskType: 'code_generation' });
      recordRequest(s, { now: day * DAY + 9 * HOUR + 30 * 60_000, taskType: 'simple' });
      recordRequest(s, { now: day * DAY + 20 * HOUR, taskType: 'creative' });
    }
    expect(dominantTaskAt(s, 9)).toEqual({ taskType: 'code_generation', share: 0.8, samples: 50 });
    // 10 evenings of creative work: too little history for a pattern.
    expect(dominantTaskAt(s, 20)).toBeNull();
    expect(dominantTaskAt(s, 20, 5)).toMatchObject({ taskType: 'creative', share: 1 });
  });

  it('halves an hour once it passes the cap, keeping the shares', () => {
    const s = createDemand();
    for (let i = 0; i <= HOURLY_CAP; i++) {
      recordRequest(s, { now: 9 * HOUR, taskType: i % 4 === 0 ? 'simple' : 'code_review' });
    }
    expect(s.hourlyTotal[9]).toBeLessThanOrEqual(HOURLY_CAP);
    expect(s.hourlyTotal[9]).toBeGreaterThan(HOURLY_CAP / 2 - 1);
    expect(dominantTaskAt(s, 9)!.share).toBeCloseTo(0.75, 2);
  });
});

describe('rising task mix', () => {
  it('flags a task whose recent share is well above its usual share', () => {
    const s = createDemand({ halfLifeS: 300, baselineHalfLifeS: 6 * 3600 });
    // Hours of mostly simple questions...
    for (let i = 1; i <= 200; i++)
      recordRequest(s, { now: i * 60_000, taskType: i % 10 === 1 ? 'code_review' : 'simple' });
    let t = 200 * 60_000;
    expect(risingTasks(s, t)).toEqual([]);
    // ...then a burst of code reviews.
    for (let i = 1; i <= 15; i++) recordRequest(s, { now: t + i * 20_000, taskType: 'code_review' });
    t += 15 * 20_000;
    const rising = risingTasks(s, t);
    expect(rising.map((r) => r.taskType)).toEqual(['code_review']);
    expect(rising[0]!.recentShare).toBeGreaterThan(rising[0]!.baselineShare + 0.25);
  });

  it('nothing recorded → nothing rising', () => {
    expect(risingTasks(createDemand(), 0)).toEqual([]);
  });
});

describe('consecutive code failures', () => {
  it('counts failed code requests, resets on success, ignores other tasks', () => {
    const s = createDemand();
    for (let i = 0; i < 3; i++) recordOutcome(s, { now: i, taskType: 'code_generation', ok: false });
    recordOutcome(s, { now: 3, taskType: 'simple', ok: false });
    recordOutcome(s, { now: 4, taskType: 'creative', ok: true });
    expect(s.codeFailures).toEqual({ consecutive: 3, lastAt: 2 });
    recordOutcome(s, { now: 5, taskType: 'code_review', ok: false });
    expect(s.codeFailures.consecutive).toBe(4);
    recordOutcome(s, { now: 6, taskType: 'code_review', ok: true });
    expect(s.codeFailures.consecutive).toBe(0);
  });
});

describe('predictPreloads', () => {
  function codeMornings(): DemandState {
    const s = createDemand();
    for (let day = 0; day < 7; day++) {
      for (let i = 0; i < 6; i++)
        recordRequest(s, { now: day * DAY + 9 * HOUR + i * 300_000, taskType: 'code_generation' });
    }
    return s;
  }

  it('does nothing unless config.preload.predictive is on', () => {
    const s = codeMornings();
    expect(
      predictPreloads(s, 7 * DAY + 8 * HOUR + 50 * 60_000, {
        ...predictive,
        preload: { predictive: false, interval_s: 60, demand_half_life_s: 600 },
      }),
    ).toEqual([]);
  });

  it('before a code morning, suggests the best code model with the reason', () => {
    const s = codeMornings();
    const out = predictPreloads(s, 7 * DAY + 8 * HOUR + 50 * 60_000, predictive);
    expect(out).toEqual([
      { model: 'qwen2.5-coder:32b', reason: '100% of 42 requests at 9:00 were code_generation' },
    ]);
    // Not at 15:00.
    expect(predictPreloads(s, 7 * DAY + 15 * HOUR, predictive)).toEqual([]);
  });

  it('more than three consecutive code failures suggest the best code model first', () => {
    const s = createDemand();
    for (let i = 0; i < 3; i++) recordOutcome(s, { now: i, taskType: 'code_generation', ok: false });
    expect(predictPreloads(s, 10, predictive)).toEqual([]);
    recordOutcome(s, { now: 4, taskType: 'code_generation', ok: false });
    expect(predictPreloads(s, 10, predictive)).toEqual([
      { model: 'qwen2.5-coder:32b', reason: '4 consecutive failures on code requests' },
    ]);
  });

  it('never suggests a loaded model, dedupes, and caps the list', () => {
    const s = codeMornings();
    for (let i = 0; i < 5; i++) recordOutcome(s, { now: i, taskType: 'code_review', ok: false });
    const now = 7 * DAY + 8 * HOUR + 50 * 60_000;
    // Both signals point at qwen: one suggestion.
    expect(predictPreloads(s, now, predictive).map((x) => x.model)).toEqual(['qwen2.5-coder:32b']);
    expect(predictPreloads(s, now, predictive, { loaded: ['qwen2.5-coder:32b'] })).toEqual([]);
    for (let i = 0; i < 6; i++) recordRequest(s, { now: now - i * 1000, model: 'llama3.2:8b' });
    for (let i = 0; i < 4; i++) recordRequest(s, { now: now - i * 1000, model: 'deepseek-r1:14b' });
    const hot = predictPreloads(s, now, predictive, { loaded: [], maxSuggestions: 3 });
    expect(hot.map((x) => x.model)).toEqual(['qwen2.5-coder:32b', 'llama3.2:8b', 'deepseek-r1:14b']);
    expect(hot[1]!.reason).toMatch(/^asked for 6\.0 times recently/);
    expect(predictPreloads(s, now, predictive, { loaded: [], maxSuggestions: 1 })).toHaveLength(1);
  });

  it('a rising task suggests the head of its chain', () => {
    const s = createDemand({ halfLifeS: 300 });
    const start = 12 * HOUR;
    for (let i = 1; i <= 200; i++) recordRequest(s, { now: start + i * 60_000, taskType: 'simple' });
    const burst = start + 200 * 60_000;
    for (let i = 1; i <= 15; i++) recordRequest(s, { now: burst + i * 20_000, taskType: 'reasoning' });
    const t = burst + 15 * 20_000;
    const out = predictPreloads(s, t, predictive);
    // The afternoon's hour pattern (all simple) comes first; the rising reasoning work second.
    expect(out.map((x) => x.model)).toEqual(['llama3.2:8b', 'deepseek-r1:32b']);
    expect(out[1]!.reason).toMatch(/^reasoning rising: \d+% of recent requests vs \d+% usually$/);
  });

  it('chainHead picks the highest quality (first on ties)', () => {
    expect(chainHead(config.chains, 'fast_response')).toBe('tinyllama:latest');
    expect(chainHead(config.chains, 'general')).toBe('llama3.2:8b');
    expect(chainHead(config.chains, 'nope')).toBeNull();
  });
});

describe('serialisable state', () => {
  it('is plain JSON: a round trip gives the same predictions', () => {
    const s = createDemand({ utcOffsetMin: 60 });
    for (let i = 0; i < 30; i++) {
      recordRequest(s, {
        now: i * 60_000 + 8 * HOUR,
        taskType: 'code_generation',
        model: 'deepseek-coder:latest',
      });
    }
    recordOutcome(s, { now: 1, taskType: 'code_generation', ok: false });
    const copy = JSON.parse(JSON.stringify(s)) as DemandState;
    expect(copy).toEqual(s);
    const now = 9 * HOUR;
    expect(predictPreloads(copy, now, predictive, { loaded: [] })).toEqual(
      predictPreloads(s, now, predictive, { loaded: [] }),
    );
    expect(modelDemand(copy, 'deepseek-coder:latest', now)).toBe(
      modelDemand(s, 'deepseek-coder:latest', now),
    );
  });
});
