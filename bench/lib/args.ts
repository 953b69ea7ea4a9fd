/** The benches `npm run bench` knows, in the order they run. */
export const BENCH_NAMES = [
  'overhead',
  'failover',
  'scheduler',
  'simulation',
  'chaos',
  'soak',
  'replicas',
] as const;
export type BenchName = (typeof BENCH_NAMES)[number];

export interface BenchArgs {
  only: BenchName[];
  /** Shorter runs everywhere (smoke test of the whole suite, a few minutes). */
  quick: boolean;
  /** Soak length in minutes; default 10 (2 with --quick). */
  soakMinutes: number;
  /** Skip rewriting bench/README.md (results/latest.json is still written). */
  noReadme: boolean;
  /** Run nothing: rewrite bench/README.md from bench/results/latest.json. */
  renderOnly: boolean;
}

/** `--only overhead,failover`, `--quick`, `--soak-minutes 3`, `--no-readme`, `--render-only`. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    only: [...BENCH_NAMES],
    quick: false,
    soakMinutes: Number.NaN,
    noReadme: false,
    renderOnly: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--quick') args.quick = true;
    else if (flag === '--no-readme') args.noReadme = true;
    else if (flag === '--render-only') args.renderOnly = true;
    else if (flag === '--only') args.only = parseOnly(value());
    else if (flag === '--soak-minutes') {
      const n = Number(value());
      if (!(n > 0)) throw new Error('--soak-minutes must be a number above 0');
      args.soakMinutes = n;
    } else
      throw new Error(
        `unknown flag ${arg}; use --only ${BENCH_NAMES.join(',')}, --quick, --soak-minutes N, --no-readme, --render-only`,
      );
  }
  if (Number.isNaN(args.soakMinutes)) args.soakMinutes = args.quick ? 2 : 10;
  return args;
}

function parseOnly(list: string): BenchName[] {
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(BENCH_NAMES as readonly string[]).includes(n)) {
      throw new Error(`--only: unknown bench "${n}"; choose from ${BENCH_NAMES.join(', ')}`);
    }
  }
  return BENCH_NAMES.filter((n) => names.includes(n));
}
