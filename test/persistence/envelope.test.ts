import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checksumOf,
  decodeEnvelope,
  encodeEnvelope,
  stringifyPayload,
} from '../../src/persistence/envelope.ts';

const meta = { schemaVersion: 3, savedAt: '2025-01-01T00:00:00.000Z' };

function encode(payload: unknown, extra: { journalCheckpoint?: string } = {}): string {
  return encodeEnvelope(stringifyPayload(payload), { ...meta, ...extra });
}

describe('envelope', () => {
  it('round-trips payload, version, time and checkpoint in one newline-terminated line', () => {
    const payload = { machine: 'supervisor', context: { models: ['a', 'b'], n: 1.5 } };
    const text = encode(payload, { journalCheckpoint: 'ck-1' });
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);
    const decoded = decodeEnvelope(text, 3);
    expect(decoded).toEqual({
      ok: true,
      envelope: {
        schema_version: 3,
        saved_at: meta.savedAt,
        checksum: checksumOf(JSON.stringify(payload)),
        journal_checkpoint: 'ck-1',
        payload,
      },
    });
  });

  it('checksum is sha256 of the payload JSON text', () => {
    // The standard SHA-256 test vector for 'abc'.
    expect(checksumOf('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('reports a different schema version as incompatible', () => {
    const decoded = decodeEnvelope(encode({ a: 1 }), 4);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.kind).toBe('incompatible');
      expect(decoded.reason).toContain('3');
      expect(decoded.reason).toContain('4');
    }
  });

  it.each([
    ['empty file', ''],
    ['whitespace', '  \n'],
    ['not JSON', 'hello'],
    ['an array', '[1,2]'],
    ['no version', '{"saved_at":"2025-01-01T00:00:00.000Z","checksum":"sha256:00","payload":1}'],
    ['bad saved_at', '{"schema_version":3,"saved_at":"yesterday","checksum":"sha256:00","payload":1}'],
    ['no checksum', '{"schema_version":3,"saved_at":"2025-01-01T00:00:00.000Z","payload":1}'],
    [
      'no payload',
      `{"schema_version":3,"saved_at":"2025-01-01T00:00:00.000Z","checksum":"${checksumOf('1')}"}`,
    ],
    [
      'checkpoint not a string',
      `{"schema_version":3,"saved_at":"2025-01-01T00:00:00.000Z","checksum":"${checksumOf('1')}","journal_checkpoint":7,"payload":1}`,
    ],
  ])('reports %s as corrupt', (_label, text) => {
    const decoded = decodeEnvelope(text, 3);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.kind).toBe('corrupt');
  });

  it('detects a changed value through the checksum', () => {
    const text = encode({ failures: 1 }).replace('"failures":1', '"failures":2');
    expect(decodeEnvelope(text, 3)).toEqual({ ok: false, kind: 'corrupt', reason: 'checksum mismatch' });
  });

  it('accepts a pretty-printed copy with the same values', () => {
    const text = encode({ list: [1, 2, { x: 'y' }] });
    const pretty = JSON.stringify(JSON.parse(text), null, 2);
    expect(decodeEnvelope(pretty, 3).ok).toBe(true);
  });

  it('refuses payloads JSON cannot hold', () => {
    expect(() => stringifyPayload(undefined)).toThrow(TypeError);
    expect(() => stringifyPayload({ n: 1n })).toThrow(TypeError);
  });

  it('property: any JSON payload round-trips, and every truncation is rejected', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (payload, cut) => {
        const text = encode(payload);
        const decoded = decodeEnvelope(text, 3);
        expect(decoded.ok).toBe(true);
        if (decoded.ok) expect(decoded.envelope.payload).toEqual(JSON.parse(JSON.stringify(payload)));
        // Dropping only the final newline leaves a complete document; any shorter prefix must be refused.
        const prefix = text.slice(0, cut % (text.length - 1));
        expect(decodeEnvelope(prefix, 3).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
