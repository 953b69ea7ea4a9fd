import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { scaledConfig } from '../../src/config/test-config.ts';
import { createManager, RmmError, startSimulator, validateConfig } from '../../src/index.ts';
import { SMALL_CATALOG } from './harness.ts';

describe('the in-process library API', () => {
  it('completeWithFallback, preloadModel, checkHealth, status, prometheusMetrics and close', async () => {
    const base = scaledConfig(0.05, SMALL_CATALOG);
    const sim = await startSimulator({ config: base });
    const config = validateConfig({ ...structuredClone(base), hosts: [{ ...base.hosts[0]!, url: sim.url }] });
    const manager = await createManager(config, { logger: pino({ level: 'silent' }) });
    try {
      await manager.started;
      const answer = await manager.completeWithFallback({
        prompt: 'what is a monad',
        taskType: 'general',
        urgency: 'background',
      });
      expect(answer.model_used).toBe('alpha');
      expect(answer.response.length).toBeGreaterThan(0);

      const preload = await manager.preloadModel('delta');
      expect(preload).toMatchObject({ model_name: 'delta', status: 'loaded' });
      expect(manager.status().models.find((m) => m.name === 'delta')?.state).toBe('loaded');
      expect((await manager.preloadModel('delta')).status).toBe('already_loaded');
      await expect(manager.preloadModel('nope')).rejects.toBeInstanceOf(RmmError);

      const health = await manager.checkHealth('alpha', true);
      expect(health).toMatchObject({ model_name: 'alpha', healthy: true, cached: false });
      expect((await manager.checkHealth('alpha')).cached).toBe(true);

      const text = await manager.prometheusMetrics();
      expect(text).toMatch(
        /rmm_requests_total\{model="alpha",outcome="success",task_type="general",urgency="background"\} 1/,
      );
      expect(text).toContain('rmm_loads_total');
    } finally {
      await manager.close();
      await sim.close();
    }
  });
});
