import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, UsageError } from '../cli/args.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { generateDiagrams, staleDiagrams, writeDiagrams } from './outputs.ts';
import { graphvizAvailable } from './svg.ts';

/** The repository's visualizations/ folder, wherever the command is run from. */
export const DIAGRAM_DIR = join(PACKAGE_ROOT, 'visualizations');

const USAGE = `Usage: npm run visualize [-- --check] [-- --out DIR]
  writes every machine's diagrams (.mmd, .dot, .svg, .stately.ts) into visualizations/
  --check   write nothing; exit 1 listing the files that are stale`;

export interface VisualizeIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** `npm run visualize` (and `rmm visualize`): returns the exit code. */
export function runVisualize(
  argv: string[],
  io: VisualizeIo = { out: console.log, err: console.error },
): number {
  let flags: Record<string, unknown>;
  try {
    ({ flags } = parseArgs(argv, { check: 'boolean', out: 'string', help: 'boolean' }));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`visualize: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (flags['help']) {
    io.out(USAGE);
    return 0;
  }
  const dir = (flags['out'] as string | undefined) ?? DIAGRAM_DIR;
  const svg = graphvizAvailable();
  if (!svg) io.err('visualize: Graphviz `dot` not found (apt-get install graphviz): SVGs skipped');
  const files = generateDiagrams({ svg });

  if (flags['check']) {
    const stale = staleDiagrams(dir, files, { svg });
    if (stale.length === 0) {
      io.out(`visualize: ${files.length} files up to date in ${dir}`);
      return 0;
    }
    io.err(`visualize: stale diagrams in ${dir} (run npm run visualize):`);
    for (const s of stale) io.err(`  ${s.name} (${s.reason})`);
    return 1;
  }
  const touched = writeDiagrams(dir, files, { svg });
  io.out(touched.length ? `visualize: updated ${touched.join(', ')}` : 'visualize: nothing changed');
  // Half a set is not a set: say so in the exit code, so nobody commits text without its SVG.
  return svg ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = runVisualize(process.argv.slice(2));
}
