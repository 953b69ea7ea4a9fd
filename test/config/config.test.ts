import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, normaliseOllamaUrl, TASK_TYPES } from '../../src/config/index.ts';
import { scaledConfig } from '../../src/config/test-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'rmm-config-'));
function file(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults reproduce the seed', () => {
  const config = loadConfig({ env: {} });

  it('has the seed models with their sizes and load times', () => {
    expect(config.models['qwen2.5-coder:32b']).toMatchObject({ size_gb: 20, load_time_s: 35 });
    expect(config.models['deepseek-r1:32b']).toMatchObject({ size_gb: 18, load_time_s: 30 });
    expect(config.models['llama3.1:70b']).toMatchObject({ size_gb: 40, load_time_s: 90 });
    expect(config.models['deepseek-r1:14b']).toMatchObject({ size_gb: 9, load_time_s: 15 });
    expect(config.models['llama3.2:8b']).toMatchObject({ size_gb: 5, load_time_s: 8 });
    expect(config.models['llama3.2:3b']).toMatchObject({ size_gb: 2.5, load_time_s: 4 });
    expect(Object.keys(config.models)).toEqual(
      expect.arrayContaining(['deepseek-coder:latest', 'tinyllama:latest']),
    );
  });

  it('has the seed chains verbatim and a chain for every task type', () => {
    expect(config.chains['code_generation']).toEqual([
      { model: 'qwen2.5-coder:32b', quality: 0.95 },
      { model: 'deepseek-coder:latest', quality: 0.88 },
      { model: 'deepseek-r1:32b', quality: 0.8 },
      { model: 'deepseek-r1:14b', quality: 0.65 },
      { model: 'llama3.2:8b', quality: 0.5 },
    ]);
    expect(config.chains['fast_response']).toEqual([
      { model: 'llama3.2:3b', quality: 0.95 },
      { model: 'tinyllama:latest', quality: 1.0 },
      { model: 'llama3.2:8b', quality: 0.9 },
    ]);
    for (const task of TASK_TYPES) expect(config.chains[task]?.length).toBeGreaterThan(0);
  });

  it('has the seed thresholds, one 16 GB host and the service contract defaults', () => {
    expect(config.circuit.failure_threshold).toBe(5);
    expect(config.circuit.recovery_timeout_s).toBe(60);
    expect(config.health.ttl_s).toBe(30);
    expect([config.retry.base_delay_s, config.retry.max_delay_s]).toEqual([1, 4]);
    expect(config.deadlines).toMatchObject({ interactive_s: 5, background_s: 30 });
    expect(config.hosts).toHaveLength(1);
    expect(config.hosts[0]?.vram_gb).toBe(16);
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8309 });
    expect(config.state_dir).toBe('./data');
  });

  it('is frozen once validated', () => {
    expect(Object.isFrozen(config.circuit)).toBe(true);
    expect(() => {
      (config.circuit as { failure_threshold: number }).failure_threshold = 1;
    }).toThrow();
  });
});

describe('files and environment', () => {
  it('merges a YAML file over the defaults and replaces arrays', () => {
    const path = file('a.yaml', 'circuit:\n  failure_threshold: 3\nwarm_set: []\n');
    const config = loadConfig({ file: path, env: {} });
    expect(config.circuit.failure_threshold).toBe(3);
    expect(config.circuit.recovery_timeout_s).toBe(60);
    expect(config.warm_set).toEqual([]);
  });

  it('reads JSON through RMM_CONFIG', () => {
    const path = file('b.json', JSON.stringify({ deadlines: { interactive_s: 2 } }));
    expect(loadConfig({ env: { RMM_CONFIG: path } }).deadlines.interactive_s).toBe(2);
  });

  it('a JSON file with a mistake is reported with its line and column; YAML flow syntax still reads', () => {
    const broken = file('c.json', '{\n  "deadlines": { "interactive_s": 2, }\n  "x": 1\n}\n');
    expect(errorOf(() => loadConfig({ file: broken, env: {} })).message).toMatch(
      /not valid YAML or JSON.*line 3/,
    );
    const flow = file('d.yaml', '{ deadlines: { interactive_s: 3 } }\n');
    expect(loadConfig({ file: flow, env: {} }).deadlines.interactive_s).toBe(3);
  });

  it('applies env overrides and flags, flags last', () => {
    const config = loadConfig({
      env: { RMM_HOST: '0.0.0.0', RMM_PORT: '9000', RMM_STATE_DIR: '/tmp/s', RMM_API_KEY: 'secret-token' },
      overrides: { port: 9100 },
    });
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.server.port).toBe(9100);
    expect(config.state_dir).toBe('/tmp/s');
    expect(config.server.api_key).toBe('secret-token');
  });

  it('OLLAMA_HOST names the single host and forbids simulation', () => {
    const config = loadConfig({ env: { OLLAMA_HOST: 'gpu-box:11500' } });
    expect(config.hosts).toHaveLength(1);
    expect(config.hosts[0]).toMatchObject({ url: 'http://gpu-box:11500', vram_gb: 16 });
    expect(config.simulate).toBe('never');
  });

  it('normalises OLLAMA_HOST like Ollama does', () => {
    expect(normaliseOllamaUrl('127.0.0.1')).toBe('http://127.0.0.1:11434');
    expect(normaliseOllamaUrl('https://example.test')).toBe('https://example.test');
    expect(normaliseOllamaUrl('http://h:1')).toBe('http://h:1');
  });
});

describe('validation names the key, the value and what is allowed', () => {
  it('rejects a wrong type', () => {
    const err = errorOf(() =>
      loadConfig({ file: file('c.yaml', 'circuit:\n  failure_threshold: many\n'), env: {} }),
    );
    expect(err.key).toBe('circuit.failure_threshold');
    expect(err.message).toContain('"many"');
    expect(err.message).toMatch(/integer/);
  });

  it('rejects an out-of-range number', () => {
    const err = errorOf(() => loadConfig({ file: file('d.yaml', 'server:\n  port: 70000\n'), env: {} }));
    expect(err.key).toBe('server.port');
    expect(err.message).toContain('70000');
    expect(err.message).toContain('65535');
  });

  it('rejects an unknown key and lists the allowed ones', () => {
    const err = errorOf(() =>
      loadConfig({ file: file('e.yaml', 'circuit:\n  failure_treshold: 3\n'), env: {} }),
    );
    expect(err.key).toBe('circuit.failure_treshold');
    expect(err.message).toContain('failure_threshold');
  });

  it('rejects an enum value and lists the choices', () => {
    const err = errorOf(() => loadConfig({ file: file('f.yaml', 'simulate: sometimes\n'), env: {} }));
    expect(err.key).toBe('simulate');
    expect(err.message).toContain('"auto"');
  });

  it('rejects a chain naming an unknown model', () => {
    const text = 'chains:\n  general:\n    - { model: "gpt-5", quality: 0.9 }\n';
    const err = errorOf(() => loadConfig({ file: file('g.yaml', text), env: {} }));
    expect(err.key).toBe('chains.general[0].model');
    expect(err.message).toContain('gpt-5');
  });

  it('rejects a bad item inside a list with its index', () => {
    const text =
      'hosts:\n  - { name: a, url: "http://x:1", vram_gb: -4, num_parallel: 1, max_loaded_models: 3 }\n';
    const err = errorOf(() => loadConfig({ file: file('h.yaml', text), env: {} }));
    expect(err.key).toBe('hosts[0].vram_gb');
  });

  it('rejects unreadable and unparsable files and bad env values', () => {
    expect(errorOf(() => loadConfig({ file: join(dir, 'nope.yaml'), env: {} })).message).toContain(
      'no such file',
    );
    expect(errorOf(() => loadConfig({ file: file('i.yaml', 'a: [1,\n'), env: {} })).message).toContain(
      'not valid',
    );
    expect(errorOf(() => loadConfig({ env: { RMM_PORT: 'eighty' } })).key).toBe('RMM_PORT');
    expect(errorOf(() => loadConfig({ file: file('j.yaml', '- 1\n'), env: {} })).message).toContain(
      'mapping',
    );
  });
});

describe('scaledConfig', () => {
  it('shrinks every timing by the scale and keeps the catalog consistent', () => {
    const c = scaledConfig(0.001);
    expect(c.models['qwen2.5-coder:32b']?.load_time_s).toBeCloseTo(0.035);
    expect(c.circuit.recovery_timeout_s).toBeCloseTo(0.06);
    expect(c.deadlines.interactive_s).toBeCloseTo(0.005);
    expect(c.simulator.time_scale).toBe(1);
  });
});
