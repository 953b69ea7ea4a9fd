import { describe, expect, it } from 'vitest';
import { compareVersions, lowestVersion } from '../../src/policy/versions.ts';

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
