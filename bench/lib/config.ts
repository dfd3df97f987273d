// Command-line options of bench/run.ts and the run sizes they select.

export const SUITES = [
  "websocket",
  "socketio",
  "cluster",
  "workers",
  "memory",
  "bundle",
  // Three servers side by side (volley, socket.io, the bare-ws floor): suites/trio-rows.ts.
  "scale",
  "polling",
  "handshake",
  "broadcast",
  "compression",
  "floor",
  // Volley plain vs Volley with metrics scraped and a disabled debug logger: suites/observe.ts.
  "observe",
] as const;
export type Suite = (typeof SUITES)[number];

export interface Config {
  quick: boolean;
  suites: Suite[];
  /** Runs per library per row (alternating A, B, A, B …). */
  runs: number;
  /** Measured window per run, ms. */
  durationMs: number;
  /** Unmeasured load before the window, ms. */
  warmupMs: number;
  /** How long to wait for in-flight messages after a window, ms. */
  drainMs: number;
  /** Measure the reference against itself (a noise check of the harness; ratios should be ~1.00). */
  aa: boolean;
  /** Write a V8 CPU profile of each server child's measured window to bench/results/profiles/. */
  profile: boolean;
  /** Only rows whose name contains this text. */
  filter?: string;
  /** Only re-render results/<name>.md and the README from the JSON, measuring nothing. */
  render: boolean;
  /** Load Volley's TypeScript sources through tsx instead of its built packages (see lib/volley-build.ts). */
  source: boolean;
  /** Upper bound for one whole suite, ms: rows past it are skipped, never the process left hanging. */
  suiteBudgetMs: number;
  /**
   * The third side of the three-server suites: `ws`, the floor on node:http + `ws` (ws-floor); `net`, the
   * floor's polling on node:net with a hand-written HTTP/1.1 (net-floor; polling rows only).
   */
  floor: FloorChoice;
}

export const FLOORS = ["ws", "net"] as const;
export type FloorChoice = (typeof FLOORS)[number];

export class UsageError extends Error {
  readonly code = "USAGE";
}

const USAGE = `usage: node --conditions=volley-source --import tsx bench/run.ts [options]
  --quick              fewer runs and clients, short windows (harness check, < ~2 min)
  --only <suites>      comma list of: ${SUITES.join(", ")} (default: all)
  --runs <n>           runs per library per row (default 5, quick 2)
  --duration <ms>      measured window per run (default 3000, quick 400)
  --warmup <ms>        unmeasured load before each window (default 1000, quick 150)
  --filter <text>      only rows whose name contains <text>
  --aa                 reference vs itself (noise check)
  --render             only rewrite results/*.md (and the README) from results/*.json
  --profile            CPU-profile each server child's measured window into bench/results/profiles/
  --source             load Volley's TypeScript sources (tsx) instead of the built packages (npm run build)
  --floor <ws|net>     third side of the three-server suites: ws = node:http + ws (default), net = node:net
                       with a hand-written HTTP/1.1, long-polling only (the polling suite)`;

function positiveInt(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`${name} needs a positive integer, got '${value}'`);
  return n;
}

export function parseArgs(argv: string[]): Config | "help" {
  const quick = argv.includes("--quick");
  const config: Config = {
    quick,
    suites: [...SUITES],
    runs: quick ? 2 : 5,
    durationMs: quick ? 400 : 3000,
    warmupMs: quick ? 150 : 1000,
    drainMs: 5000,
    aa: false,
    profile: false,
    render: false,
    source: false,
    suiteBudgetMs: quick ? 120_000 : 1_800_000,
    floor: "ws",
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    switch (arg) {
      case "--quick":
        break;
      case "--help":
      case "-h":
        return "help";
      case "--aa":
        config.aa = true;
        break;
      case "--profile":
        config.profile = true;
        break;
      case "--source":
        config.source = true;
        break;
      case "--render":
        config.render = true;
        config.suites = [];
        break;
      case "--only": {
        const list = (argv[++i] ?? "").split(",").filter(Boolean);
        for (const s of list) {
          if (!(SUITES as readonly string[]).includes(s))
            throw new UsageError(`unknown suite '${s}'\n${USAGE}`);
        }
        if (list.length === 0) throw new UsageError(`--only needs a suite\n${USAGE}`);
        config.suites = list as Suite[];
        break;
      }
      case "--runs":
        config.runs = positiveInt(arg, argv[++i]);
        break;
      case "--duration":
        config.durationMs = positiveInt(arg, argv[++i]);
        break;
      case "--warmup":
        config.warmupMs = positiveInt(arg, argv[++i]);
        break;
      case "--filter":
        config.filter = argv[++i];
        break;
      case "--floor": {
        const floor = argv[++i] ?? "";
        if (!(FLOORS as readonly string[]).includes(floor))
          throw new UsageError(`--floor needs one of ${FLOORS.join(", ")}, got '${floor}'\n${USAGE}`);
        config.floor = floor as FloorChoice;
        break;
      }
      default:
        throw new UsageError(`unknown option '${arg}'\n${USAGE}`);
    }
  }
  // The node:net floor serves polling only: the other three-server suites' rows would all fail on it.
  if (config.floor === "net" && !config.suites.every((s) => s === "polling")) {
    throw new UsageError(`--floor net serves the polling suite only: add --only polling\n${USAGE}`);
  }
  return config;
}

export { USAGE };
