import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import { modelState } from './control.ts';
import { startEngine } from './engine/server.ts';
import { writeLlamaModel } from './gguf/llama-model.ts';
import { defaultModelDir, ensureModels, MODELS } from './models.ts';

/**
 * Prints what the real engine costs on this machine: model generation time, cold load time (median of
 * several), memory as /api/ps reports it and as the process's RSS grows, and generation speed.
 *   node --import tsx test/real-engine/measure.ts [repetitions]
 * A report, not a test: numbers vary with the machine and its load.
 */

const repetitions = Number(process.argv[2] ?? 5);
const dir = defaultModelDir();
ensureModels(dir);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

const scratch = mkdtempSync(join(tmpdir(), 'rmm-measure-'));
for (const [key, shape] of Object.entries(MODELS)) {
  const started = performance.now();
  writeLlamaModel(join(scratch, `${key}.gguf`), shape);
  console.log(`${key}: generated in ${(performance.now() - started).toFixed(0)} ms`);
}
rmSync(scratch, { recursive: true });

const running = await startEngine({ dir });
const ollama = new Ollama({ host: running.url });
try {
  for (const key of Object.keys(MODELS)) {
    const name = `${key}:latest`;
    const loads: number[] = [];
    const rssGrowth: number[] = [];
    let psSize = 0;
    for (let i = 0; i < repetitions; i++) {
      const rss = process.memoryUsage().rss;
      await ollama.generate({ model: name, prompt: '' });
      loads.push((await modelState(running.url, name))!.last_load_ms!);
      rssGrowth.push(process.memoryUsage().rss - rss);
      psSize = (await ollama.ps()).models.find((m) => m.name === name)!.size;
      await ollama.generate({ model: name, prompt: '', keep_alive: 0 });
      while ((await ollama.ps()).models.some((m) => m.name === name))
        await new Promise((r) => setTimeout(r, 10));
    }
    const answer = await ollama.generate({
      model: name,
      prompt: 'measure',
      options: { num_predict: 64, seed: 1 },
    });
    const tokensPerSecond = answer.eval_count / (answer.eval_duration / 1e9);
    const promptPerSecond = answer.prompt_eval_count / (answer.prompt_eval_duration / 1e9);
    console.log(
      `${name}: file ${mb(statSync(join(dir, `${key}.gguf`)).size)}; cold load median ${median(loads).toFixed(0)} ms ` +
        `(${loads.map((l) => l.toFixed(0)).join(', ')}); /api/ps size ${mb(psSize)}; ` +
        `RSS growth on first load ${mb(rssGrowth[0]!)} (later loads reuse freed memory); eval ${tokensPerSecond.toFixed(0)} tokens/s ` +
        `(${answer.eval_count} tokens), prompt ${promptPerSecond.toFixed(0)} tokens/s`,
    );
    await ollama.generate({ model: name, prompt: '', keep_alive: 0 });
  }
} finally {
  await running.close();
}
