import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.ts';

afterEach(() => vi.restoreAllMocks());

function run(argv: string[]) {
  const out = vi.spyOn(console, 'log').mockImplementation(() => {});
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  return main(argv).then((code) => ({
    code,
    out: out.mock.calls.flat().join('\n'),
    err: err.mock.calls.flat().join('\n'),
  }));
}

describe('rmm COMMAND --help', () => {
  it.each([
    ['serve', '--port N'],
    ['simulate', '--explore N'],
    ['replay', '--verify'],
    ['status', '--watch'],
  ])('rmm %s --help prints that command’s usage and exits 0, starting nothing', async (command, flag) => {
    const r = await run([command, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`rmm ${command} `);
    expect(r.out).toContain(flag);
    // Only this command's entry, not the whole list.
    expect(r.out).not.toContain('rmm visualize');
    expect(r.err).toBe('');
  });

  it('-h works the same, and an unknown command still says so', async () => {
    expect((await run(['chains', '-h'])).out).toContain('rmm chains [--url URL]');
    const bad = await run(['nonsense', '--help']);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/unknown command "nonsense"/);
  });
});
