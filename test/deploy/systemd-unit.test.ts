import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const UNIT = readFileSync(join(import.meta.dirname, '../../deploy/rmm.service'), 'utf8');

/** key → values of one section (keys may repeat, e.g. Environment). */
function section(name: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const body = UNIT.split(/^\[/m).find((s) => s.startsWith(`${name}]`)) ?? '';
  for (const line of body.split('\n').slice(1)) {
    const m = /^(\w+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe('deploy/rmm.service', () => {
  it('runs the compiled service as its own user, keeps state in a StateDirectory and restarts on failure', () => {
    const s = section('Service');
    expect(s.get('ExecStart')).toEqual(['/usr/bin/node /opt/rmm/bin/rmm.js serve']);
    expect(s.get('User')).toEqual(['rmm']);
    expect(s.get('StateDirectory')).toEqual(['rmm']);
    expect(s.get('Environment')).toContain('RMM_STATE_DIR=/var/lib/rmm');
    expect(s.get('Environment')).toContain('RMM_HOST=127.0.0.1');
    expect(s.get('Restart')).toEqual(['on-failure']);
    expect(s.get('NoNewPrivileges')).toEqual(['yes']);
    expect(section('Install').get('WantedBy')).toEqual(['multi-user.target']);
  });

  it.skipIf(!existsSync('/usr/bin/systemd-analyze'))('passes systemd-analyze verify', () => {
    // Verified with this machine's node in ExecStart: the unit's /usr/bin/node may live elsewhere here.
    const dir = mkdtempSync(join(tmpdir(), 'rmm-unit-'));
    const file = join(dir, 'rmm.service');
    writeFileSync(file, UNIT.replace('/usr/bin/node ', `${process.execPath} `));
    const run = spawnSync('/usr/bin/systemd-analyze', ['verify', file], { encoding: 'utf8' });
    // Unknown keys are only warnings: any output at all is a failure.
    expect(`${run.stdout}${run.stderr}`).toBe('');
    expect(run.status).toBe(0);
  });
});
