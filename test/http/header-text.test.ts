import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHeaderText, headerText } from '../../src/http/header-text.ts';

describe('free text in response headers', () => {
  it('sends legal header text as it is', () => {
    for (const v of [
      'llama3.2:3b',
      'qwen2.5-coder:32b',
      'deepseek-r1:14b after llama3.1:70b (open circuit)',
      'a',
    ])
      expect(headerText(v)).toBe(v);
  });

  it('encodes the rest as an RFC 8187 ext-value', () => {
    expect(headerText('chosen → llama3.2:3b')).toBe("UTF-8''chosen%20%E2%86%92%20llama3.2%3A3b");
    expect(headerText('two\nlines')).toBe("UTF-8''two%0Alines");
    expect(headerText(' padded')).toBe("UTF-8''%20padded");
    expect(headerText('')).toBe('');
    // Text that only looks encoded is encoded, so decoding gives it back.
    expect(decodeHeaderText(headerText("UTF-8''x"))).toBe("UTF-8''x");
  });

  it('round-trips any text, and what it sends is always a legal header value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (text) => {
        const sent = headerText(text);
        expect(sent).toMatch(/^[\x21-\x7e]?(?:[\x20-\x7e]*[\x21-\x7e])?$/);
        expect(decodeHeaderText(sent)).toBe(text);
      }),
    );
  });

  it('cuts overlong text (the body has all of it)', () => {
    const sent = headerText('x'.repeat(5000), 100);
    expect(decodeHeaderText(sent)).toBe(`${'x'.repeat(99)}…`);
  });
});
