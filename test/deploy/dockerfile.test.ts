import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { scaledConfig } from '../../src/config/test-config.ts';
import { SMALL_CATALOG } from '../e2e/harness.ts';

const ROOT = join(import.meta.dirname, '../..');

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  steps: Instruction[];
}

/** The Dockerfile as stages of instructions (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const stages: Stage[] = [];
  for (const line of logical) {
    const [op = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: m![1]!, name: m![2], steps: [] });
    } else if (op.toUpperCase() !== 'ARG' || stages.length > 0) {
      stages.at(-1)?.steps.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

/** COPY instructions as [from stage or undefined, sources, destination]. */
function copies(stage: Stage): Array<{ from: string | undefined; sources: string[]; dest: string }> {
  return stage.steps
    .filter((s) => s.op === 'COPY')
    .map((s) => {
      const parts = s.args.split(/\s+/);
      const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
      const dest = parts.pop()!;
      return { from, sources: parts, dest };
    });
}

/** Package specifiers of a compiled module's static imports, re-exports and dynamic imports. */
function bareImports(js: string): string[] {
  const patterns = [
    /^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((re) => [...js.matchAll(re)].map((m) => m[1]!)).filter((s) => !/^[./]/.test(s));
}

const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;
const build = stages.find((s) => s.name === 'build')!;

describe('Dockerfile', () => {
  it('is multi-stage: a build stage compiles, the runtime stage runs the compiled service as non-root', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    for (const s of stages) expect(s.from).toMatch(/^node:\$\{NODE_VERSION\}-bookworm-slim$/);
    expect(build.steps.some((s) => s.op === 'RUN' && s.args.includes('npm run build'))).toBe(true);
    // The runtime stage gets no compiler and no sources to compile: only build output and static files.
    expect(runtime.steps.some((s) => s.op === 'RUN' && /npm (ci|install|run build)/.test(s.args))).toBe(
      false,
    );
    const users = runtime.steps.filter((s) => s.op === 'USER').map((s) => s.args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    expect(runtime.steps.find((s) => s.op === 'CMD')?.args).toBe('["node", "bin/rmm.js", "serve"]');
  });

  it('checks health on /healthz', () => {
    const check = runtime.steps.find((s) => s.op === 'HEALTHCHECK');
    expect(check?.args).toMatch(/^--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+ CMD \[/);
    expect(check?.args).toContain('/healthz');
  });

  it('copies only files that exist, and ignores local state in the build context', () => {
    for (const stage of stages)
      for (const c of copies(stage).filter((c) => c.from === undefined))
        for (const src of c.sources) expect(existsSync(join(ROOT, src)), `COPY ${src}`).toBe(true);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', 'data', '.git']) expect(ignored).toContain(p);
  });

  it('needs no devDependency at run time: every package dist/ imports is a production dependency', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const imported = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (e.name.endsWith('.js'))
          for (const spec of bareImports(readFileSync(path, 'utf8'))) {
            if (spec.startsWith('node:')) continue;
            imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
          }
      }
    };
    walk(join(ROOT, 'dist'));
    // pino-pretty is loaded by name through pino's transport, not imported.
    expect([...imported].filter((name) => !(name in pkg.dependencies))).toEqual([]);
    expect(imported.size).toBeGreaterThan(5);
  });

  describe("the runtime stage's files, laid out as in the image", () => {
    let child: ChildProcess | undefined;
    afterAll(() => {
      child?.kill('SIGKILL');
    });

    it('start the service, pass the HEALTHCHECK command and serve the dashboard', async () => {
      const app = mkdtempSync(join(tmpdir(), 'rmm-image-'));
      for (const c of copies(runtime)) {
        for (const src of c.sources) {
          // --from=build paths are /app/... in the build stage: here, the built repository.
          const from = join(ROOT, c.from ? src.replace(/^\/app\//, '') : src);
          const to = join(app, c.dest.endsWith('/') ? join(c.dest, src.split('/').at(-1)!) : c.dest);
          mkdirSync(dirname(to), { recursive: true });
          // node_modules is big: linked rather than copied (the image holds its production part).
          if (src.endsWith('node_modules')) symlinkSync(from, to);
          else cpSync(from, to, { recursive: true });
        }
      }
      expect(existsSync(join(app, 'src/http/dashboard/assets/app.js'))).toBe(true);
      expect(readdirSync(join(app, 'src/http/dashboard'))).toEqual(['assets']);

      const config = join(app, 'config.json');
      writeFileSync(config, JSON.stringify({ ...scaledConfig(0.05, SMALL_CATALOG), simulate: 'always' }));
      const env: Record<string, string> = { PATH: process.env['PATH'] ?? '' };
      for (const s of runtime.steps.filter((s) => s.op === 'ENV'))
        for (const m of s.args.matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
      Object.assign(env, {
        RMM_HOST: '127.0.0.1',
        RMM_PORT: '0',
        RMM_CONFIG: config,
        RMM_STATE_DIR: mkdtempSync(join(tmpdir(), 'rmm-image-state-')),
        RMM_LOG_LEVEL: 'info',
      });
      const cmd = JSON.parse(runtime.steps.find((s) => s.op === 'CMD')!.args) as string[];
      const started = spawn(process.execPath, cmd.slice(1), {
        cwd: app,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      let stderr = '';
      started.stderr!.on('data', (d) => {
        stderr += d;
      });
      const url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: started.stdout! }).on('line', (line) => {
          const rec = JSON.parse(line) as { msg?: string; url?: string };
          if (rec.msg === 'resilient model manager listening') resolve(rec.url!);
        });
        started.once('exit', (code) => reject(new Error(`service exited with ${code}: ${stderr}`)));
      });

      const health = runtime.steps.find((s) => s.op === 'HEALTHCHECK')!.args;
      const probe = JSON.parse(health.slice(health.indexOf('CMD ') + 4)) as string[];
      const run = spawnSync(process.execPath, probe.slice(1), {
        env: { ...env, RMM_PORT: new URL(url).port },
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);

      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const diagram = /src="(\/dashboard\/diagrams\/[^"]+\.svg)"/.exec(html)?.[1];
      expect(diagram, 'the page shows the machine diagrams').toBeDefined();
      expect((await fetch(`${url}${diagram}`)).status).toBe(200);
      expect((await fetch(`${url}/dashboard/app.js`)).status).toBe(200);

      started.kill('SIGTERM');
      const code = await new Promise((resolve) => started.once('exit', resolve));
      expect(code).toBe(0);
      expect(stderr).toBe('');
    });
  });
});
