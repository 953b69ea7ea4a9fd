import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServiceLogger } from '../../src/observability/service-logger.ts';

describe('service logger', () => {
  it('writes pretty, readable lines through pino-pretty on a terminal, with secrets redacted', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rmm-log-')), 'out.log');
    const { logger, close } = createServiceLogger({ level: 'info', pretty: true, prettyDestination: file });
    logger.warn({ headers: { authorization: 'Bearer s3cret' }, model: 'llama3.2:3b' }, 'circuit opened');
    logger.debug('below the level');
    await close();
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: circuit opened$/m);
    expect(text).toMatch(/^ {4}model: "llama3\.2:3b"$/m);
    expect(text).toContain('[Redacted]');
    expect(text).not.toContain('s3cret');
    expect(text).not.toContain('below the level');
    expect(() => JSON.parse(text.split('\n')[0]!)).toThrow();
  });
});
