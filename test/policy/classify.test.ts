import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TASK_TYPES } from '../../src/config/schema.ts';
import { classifyTask, MAX_SCAN_CHARS } from '../../src/policy/classify.ts';

describe('classifyTask: the seed keyword classes', () => {
  const seed: Array<[string, string[]]> = [
    ['code_generation', ['write', 'create', 'implement', 'function', 'class']],
    ['code_review', ['review', 'check', 'analyze code', 'find bugs', 'security']],
    ['reasoning', ['why', 'explain', 'logic', 'deduce', 'infer']],
    ['complex', ['design', 'architect', 'comprehensive', 'detailed analysis']],
    ['fast_response', ['quick', 'brief', 'summary', 'tldr']],
    ['simple', ['what is', 'define', 'basic', 'tell me']],
  ];
  for (const [task, words] of seed) {
    for (const word of words) {
      it(`"${word}" alone → ${task}`, () => {
        const r = classifyTask(`please ${word} the thing`);
        expect(r.task_type).toBe(task);
        expect(r.matched).toEqual([word]);
        expect(r.confidence).toBeGreaterThan(0);
      });
    }
  }

  it('creative cues', () => {
    for (const t of [
      'a story about dragons',
      'a poem on autumn',
      'an anime character sheet',
      'imagine a city',
    ]) {
      expect(classifyTask(t).task_type).toBe('creative');
    }
    expect(classifyTask('Write an anime character description').task_type).toBe('creative');
    expect(classifyTask('tell me a story').task_type).toBe('creative');
  });

  it("the seed's example query is code generation with full confidence", () => {
    const r = classifyTask('Generate a Python function to parse JSON');
    expect(r.task_type).toBe('code_generation');
    expect(r.confidence).toBe(1);
    expect(r.matched).toEqual(['generate', 'python', 'function', 'json']);
  });
});

describe('classifyTask: matching rules', () => {
  it('nothing matched → general with confidence 0', () => {
    expect(classifyTask('hello there, friend')).toEqual({ task_type: 'general', confidence: 0, matched: [] });
    expect(classifyTask('')).toEqual({ task_type: 'general', confidence: 0, matched: [] });
  });

  it('matches whole words only', () => {
    expect(classifyTask('classify these rewrites').task_type).toBe('general');
    expect(classifyTask('the checkerboard whys').task_type).toBe('general');
    expect(classifyTask('classes and functions').matched).toEqual(['class', 'function']);
  });

  it('is case-insensitive and multi-word phrases span any whitespace', () => {
    expect(classifyTask('WHAT IS rust?').matched).toContain('what is');
    expect(classifyTask('Detailed\n  Analysis of markets').task_type).toBe('complex');
    expect(classifyTask('Find   Bugs here').matched).toEqual(['find bugs']);
  });

  it('"analyze code" is review, not generation, even though "code" is a code cue', () => {
    const r = classifyTask('analyze code from our repo');
    expect(r.task_type).toBe('code_review');
    expect(r.matched).toEqual(['analyze code']);
  });

  it('phrases outweigh single words', () => {
    // "what is" (2) beats "class" (1).
    expect(classifyTask('what is a class').task_type).toBe('simple');
    // "tell me a story" (3) is one cue and wins over "tell me".
    expect(classifyTask('tell me a story').matched).toEqual(['tell me a story']);
  });

  it('code cues follow review when a review cue is present, else generation', () => {
    expect(classifyTask('review this python function').task_type).toBe('code_review');
    expect(classifyTask('```ts\nconst f = (x) => x\n```').task_type).toBe('code_generation');
    expect(classifyTask('check this:\n```js\nx => x\n```').task_type).toBe('code_review');
    expect(classifyTask('def parse(s):\n  pass').matched).toEqual(['def']);
  });

  it('each cue counts once however often it repeats', () => {
    const once = classifyTask('why is it slow, and write it faster');
    const many = classifyTask('why why why why is it slow, and write it faster');
    expect(many.matched).toEqual(once.matched);
    expect(many.task_type).toBe(once.task_type);
  });

  it('tie-break: heavier cue first, then the earliest cue in the text', () => {
    // reasoning 1 vs fast_response 1: equal weight, so the first cue in the text decides.
    expect(classifyTask('quick: why is the sky blue?').task_type).toBe('fast_response');
    expect(classifyTask('why is the sky blue? quick').task_type).toBe('reasoning');
    // reasoning 1 ("explain") vs generation 1 (two code cues of 0.5): the heavier single cue wins.
    expect(classifyTask('explain this python code').task_type).toBe('reasoning');
  });

  it('confidence grows with agreeing evidence and falls with competition', () => {
    const one = classifyTask('why').confidence;
    const two = classifyTask('why explain').confidence;
    const mixed = classifyTask('why write').confidence;
    expect(one).toBe(0.5);
    expect(two).toBe(1);
    expect(mixed).toBeLessThan(one);
  });

  it('scans only the start of a very long text', () => {
    const filler = 'lorem ipsum '.repeat(Math.ceil(MAX_SCAN_CHARS / 12));
    expect(classifyTask(`${filler} why`).task_type).toBe('general');
    expect(classifyTask(`why ${filler}`).task_type).toBe('reasoning');
  });
});

describe('classifyTask: properties', () => {
  const words = fc.constantFrom(
    'write',
    'review',
    'why',
    'design',
    'quick',
    'what is',
    'story',
    'python',
    '```',
    'hello',
    'the',
    'analyze code',
    'x',
  );
  const text = fc.oneof(
    fc.string(),
    fc.array(words, { maxLength: 12 }).map((ws) => ws.join(' ')),
  );

  it('always answers a known task type with confidence in [0, 1]; general exactly when nothing matched', () => {
    fc.assert(
      fc.property(text, (t) => {
        const r = classifyTask(t);
        expect(TASK_TYPES).toContain(r.task_type);
        expect(r.confidence).toBeGreaterThanOrEqual(0);
        expect(r.confidence).toBeLessThanOrEqual(1);
        expect(r.task_type === 'general').toBe(r.matched.length === 0);
        expect(r.confidence === 0).toBe(r.matched.length === 0);
        expect(new Set(r.matched).size).toBe(r.matched.length);
      }),
    );
  });

  it('is a function of the text alone: earlier calls leave no trace', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const first = classifyTask(a);
        classifyTask(b);
        expect(classifyTask(a)).toEqual(first);
      }),
    );
  });

  it('many distinct matched texts (past the internal cue cache) do not change answers', () => {
    const before = classifyTask('def parse(s): explain why');
    for (let i = 0; i < 1500; i++) classifyTask(`def f${i}(x): pass`);
    expect(classifyTask('def parse(s): explain why')).toEqual(before);
    expect(classifyTask('def g1499(x)').matched).toEqual(['def']);
  });

  it('is case-insensitive', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(classifyTask(t.toUpperCase()).task_type).toBe(classifyTask(t.toLowerCase()).task_type);
      }),
    );
  });
});
