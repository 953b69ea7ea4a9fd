import { Ollama } from 'ollama';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { engineState, holdAfterChunks } from './control.ts';
import { TINY_MODEL } from './models.ts';
import { type EngineProcess, startEngineProcess } from './process.ts';
import { realEngineAvailable, suiteTitle } from './suite.ts';

/** The engine as a child process that a test can kill -9, as a real Ollama host dies. */

/** The errno behind a failed fetch (undici puts it on the cause). */
async function connectError(url: string): Promise<string | undefined> {
  try {
    await fetch(`${url}/api/version`);
    return undefined;
  } catch (err) {
    return ((err as Error).cause as { code?: string } | undefined)?.code;
  }
}

const paused = async (url: string) => (await engineState(url)).gate.paused;

// Generous: a child's start (tsx, node-llama-cpp, llama.cpp's backends) can take seconds on a busy machine.
describe.skipIf(!realEngineAvailable)(
  suiteTitle('real engine as a child process'),
  { timeout: 90_000 },
  () => {
    let child: EngineProcess | undefined;

    afterEach(async () => {
      await child?.kill();
      child = undefined;
    });

    it('serves the official client, then refuses connections once killed with SIGKILL', async () => {
      child = await startEngineProcess({ models: ['tiny'] });
      const ollama = new Ollama({ host: child.url });
      expect((await ollama.list()).models.map((m) => m.name)).toContain(TINY_MODEL);
      const answer = await ollama.generate({ model: TINY_MODEL, prompt: 'hi', options: { num_predict: 3 } });
      expect(answer.done).toBe(true);
      expect(answer.eval_count).toBeGreaterThan(0);

      await child.kill('SIGKILL');
      expect(await connectError(child.url)).toBe('ECONNREFUSED');
    });

    it('killed before the first token: the request fails without a response', async () => {
      child = await startEngineProcess({ models: ['tiny'] });
      await holdAfterChunks(child.url, 0);
      const pending = fetch(`${child.url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({ model: TINY_MODEL, prompt: 'never', options: { num_predict: 5 } }),
      }).then(
        (res) => ({ status: res.status }),
        (err: Error) => ({ error: err }),
      );
      const url = child.url;
      await eventually(async () => (await paused(url)) === 1, 'the request to wait at the gate');
      await child.kill('SIGKILL');
      const outcome = await pending;
      expect(outcome).toHaveProperty('error');
    });

    it('killed after the first token: the stream breaks off without a done record', async () => {
      child = await startEngineProcess({ models: ['tiny'] });
      await holdAfterChunks(child.url, 1);
      const res = await fetch(`${child.url}/api/generate`, {
        method: 'POST',
        body: JSON.stringify({ model: TINY_MODEL, prompt: 'cut', options: { num_predict: 20 } }),
      });
      expect(res.status).toBe(200);
      const url = child.url;
      await eventually(async () => (await paused(url)) === 1, 'the stream to pause after one chunk');
      // Read what arrived before the kill: an errored stream drops whatever it still had queued.
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let body = '';
      while (!body.includes('\n')) {
        const { value, done } = await reader.read();
        if (done) break;
        body += decoder.decode(value, { stream: true });
      }
      await child.kill('SIGKILL');
      const failure = await reader.read().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(Error);
      const records = body
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { done: boolean; response: string });
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ done: false, model: TINY_MODEL });
    });

    it('reports a child that cannot start, with its stderr', async () => {
      await expect(startEngineProcess({ keepAlive: '30' })).rejects.toThrow(/missing unit in duration "30"/);
    });
  },
);
