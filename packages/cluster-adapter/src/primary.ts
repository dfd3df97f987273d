// The primary of a node:cluster: the relay between the workers (setupPrimary), and a helper that
// forks one worker per core, replaces a worker that dies, and shares the listening port
// (runClustered). Connections are distributed by node:cluster itself; nothing routes sessions.
import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { type PrimaryOptions, PrimaryRelay } from "./primary-relay.js";

/**
 * Starts relaying between the workers of this primary (every worker forked from now on, and those
 * already running). Forks made after it use "advanced" serialization (frames travel as bytes)
 * unless `cluster.setupPrimary` was given a serialization already.
 * @throws Error when called in a worker; TypeError when an option is out of range.
 */
export function setupPrimary(opts: PrimaryOptions = {}): PrimaryRelay {
  if (!cluster.isPrimary) throw new Error("setupPrimary() runs in the primary of a node:cluster");
  const relay = new PrimaryRelay(opts);
  if (cluster.settings.serialization === undefined) cluster.setupPrimary({ serialization: "advanced" });
  for (const worker of Object.values(cluster.workers ?? {})) if (worker) relay.attach(worker);
  cluster.on("fork", (worker: Worker) => relay.attach(worker));
  return relay;
}

/** Options of {@link runClustered}. */
export interface RunClusteredOptions extends PrimaryOptions {
  /** Workers to fork. Default: `VOLLEY_WORKERS` from the environment, else `os.availableParallelism()`. */
  workers?: number;
  /**
   * A worker that dies unasked is replaced at once; one that dies within this long of being forked
   * is replaced after a delay doubling from 100 ms up to 10 s (a crash loop), ms. Default 1000.
   */
  minUptime?: number;
}

/** The primary's handle on its workers. */
export interface ClusterHandle {
  readonly relay: PrimaryRelay;
  /** The workers alive now. */
  workers(): Worker[];
  /** Stops replacing workers and disconnects them (each closes its servers); resolves when all exited. */
  close(): Promise<void>;
}

/**
 * Runs `main` in one worker per core behind a shared listening port: in the primary it forks the
 * workers, relays between them and replaces those that die; in a worker it runs `main` (which
 * creates the http server, the Volley `Server` with `createAdapter()`, and listens).
 * Resolves with the handle in the primary, with undefined in a worker once `main` finished.
 * @throws TypeError when an option is out of range.
 */
export async function runClustered(
  main: () => void | Promise<void>,
  opts: RunClusteredOptions = {},
): Promise<ClusterHandle | undefined> {
  if (!cluster.isPrimary) {
    await main();
    return undefined;
  }
  const count = opts.workers ?? workersFromEnv() ?? availableParallelism();
  if (!Number.isSafeInteger(count) || count <= 0) {
    throw new TypeError(`option workers must be a positive integer (got ${String(count)})`);
  }
  const minUptime = opts.minUptime ?? 1000;
  if (typeof minUptime !== "number" || !(minUptime >= 0)) {
    throw new TypeError(`option minUptime must be a non-negative number of ms (got ${String(minUptime)})`);
  }
  const relay = setupPrimary(opts);
  let closing = false;
  let backoff = 0;
  const forkedAt = new Map<Worker, number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const fork = () => forkedAt.set(cluster.fork(), Date.now());
  const onExit = (worker: Worker) => {
    const started = forkedAt.get(worker);
    forkedAt.delete(worker);
    if (closing || started === undefined || worker.exitedAfterDisconnect) return;
    if (Date.now() - started >= minUptime) {
      backoff = 0;
      fork();
      return;
    }
    backoff = backoff === 0 ? 100 : Math.min(backoff * 2, 10_000);
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closing) fork();
    }, backoff);
    timers.add(timer);
  };
  cluster.on("exit", onExit);
  for (let i = 0; i < count; i++) fork();
  return {
    relay,
    workers: () => [...forkedAt.keys()].filter((w) => !w.isDead()),
    async close() {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const alive = [...forkedAt.keys()].filter((w) => !w.isDead());
      await Promise.all(
        alive.map(
          (worker) =>
            new Promise<void>((resolve) => {
              worker.once("exit", () => resolve());
              worker.disconnect();
            }),
        ),
      );
      cluster.off("exit", onExit);
      relay.close();
    },
  };
}

function workersFromEnv(): number | undefined {
  const raw = process.env.VOLLEY_WORKERS;
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new TypeError(`VOLLEY_WORKERS must be a positive integer (got ${JSON.stringify(raw)})`);
  }
  return n;
}
