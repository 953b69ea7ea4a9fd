import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** In-process V8 CPU profiling on demand, so start-up (tsx compiling the sources) stays out of the profile. */
export function profilerHandlers() {
  const session = new Session();
  session.connect();
  return {
    async startProfile(intervalUs = 200) {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
      await session.post('Profiler.start');
    },
    async stopProfile(file: string) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      await session.post('Profiler.disable');
      return file;
    },
  };
}
