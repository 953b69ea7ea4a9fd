import pino from 'pino';
import { validateConfig } from '../src/config/load.ts';
import { scaledConfig } from '../src/config/test-config.ts';
import { startService } from '../src/runtime/service.ts';
import { startSimulator } from '../src/simulator/index.ts';

const base = scaledConfig(1, {
  hosts: [{ name: 'local', url: 'http://127.0.0.1:1', vram_gb: 16, num_parallel: 128, max_loaded_models: 3 }],
});
const c = structuredClone(base) as any;
for (const m of Object.values(c.models) as any[]) { m.tokens_per_s = 1e9; m.load_time_s = 0.01; }
const cfg0 = validateConfig(c);
const sim = await startSimulator({ config: cfg0 });
const cfg = validateConfig({ ...structuredClone(cfg0), hosts: cfg0.hosts.map((h) => ({ ...h, url: sim.url })), simulate: 'never' });
const svc = await startService(cfg, { logger: pino({ level: 'info' }, pino.destination('/dev/null')) });
await (svc.manager as any).started;
const body = JSON.stringify({ model: 'llama3.2:3b', prompt: 'hello there', stream: false, options: { num_predict: 16 } });
for (const target of [sim.url, svc.url]) {
  const r = await fetch(`${target}/api/generate`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  console.log(target, r.status, (await r.text()).slice(0, 400));
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) { const r = await fetch(`${target}/api/generate`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }); await r.text(); }
  console.log('avg ms', (performance.now() - t0) / 2000);
}
console.log(JSON.stringify(svc.manager.status().models.map((m) => [m.name, m.state])));
await svc.close(); await sim.close();
