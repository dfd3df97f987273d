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
  /** How long {@link ClusterHandle.close} waits for a worker to finish its cleanup before SIGKILL, ms. Default 10000. */
  closeTimeout?: number;
  /** In the primary, SIGINT and SIGTERM close the workers (see {@link ClusterHandle.close}) and end the process. Default true. */
  handleSignals?: boolean;
}

/** What `main` may return: run when the primary closes the cluster (e.g. `() => io.close()`). */
export type WorkerCleanup = () => unknown;

// The primary asks a worker to shut down with this message; the worker runs its cleanup and exits.
const SHUTDOWN = { t: "volley:shutdown" };

/** The primary's handle on its workers. */
export interface ClusterHandle {
  readonly relay: PrimaryRelay;
  /** The workers alive now. */
  workers(): Worker[];
  /**
   * Stops replacing workers and asks each to shut down: it runs the cleanup its `main` returned
   * (closing its servers), then exits; one still running after `closeTimeout` is killed. Resolves
   * when every worker exited.
   */
  close(): Promise<void>;
}

/**
 * Runs `main` in one worker per core behind a shared listening port: in the primary it forks the
 * workers, relays between them and replaces those that die; in a worker it runs `main` (which
 * creates the http server, the Volley `Server` with `createAdapter()`, and listens). `main` may
 * return (or resolve with) a {@link WorkerCleanup}, run when the primary shuts the worker down.
 * Resolves with the handle in the primary, with undefined in a worker once `main` finished.
 * @throws TypeError when an option is out of range.
 */
export async function runClustered(
  main: () => unknown,
  opts: RunClusteredOptions = {},
): Promise<ClusterHandle | undefined> {
  if (!cluster.isPrimary) {
    await runWorker(main);
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
  const closeTimeout = opts.closeTimeout ?? 10_000;
  if (typeof closeTimeout !== "number" || !(closeTimeout >= 0)) {
    throw new TypeError(
      `option closeTimeout must be a non-negative number of ms (got ${String(closeTimeout)})`,
    );
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
  let closed: Promise<void> | undefined;
  const handle: ClusterHandle = {
    relay,
    workers: () => [...forkedAt.keys()].filter((w) => !w.isDead()),
    close() {
      closed ??= (async () => {
        closing = true;
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        await Promise.all(handle.workers().map((worker) => shutDown(worker, closeTimeout)));
        cluster.off("exit", onExit);
        relay.close();
      })();
      return closed;
    },
  };
  if (opts.handleSignals !== false) {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        handle.close().then(() => process.exit(0));
      });
    }
  }
  return handle;
}

/** Asks a worker to shut down; SIGKILL after `timeout` ms. Resolves once it exited. */
function shutDown(worker: Worker, timeout: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (worker.isDead()) return resolve();
    const timer = setTimeout(() => worker.process.kill("SIGKILL"), timeout);
    worker.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    try {
      worker.send(SHUTDOWN);
    } catch {
      worker.process.kill("SIGKILL");
    }
  });
}

/** In a worker: runs `main`, and its cleanup when the primary asks the worker to shut down. */
async function runWorker(main: () => unknown): Promise<void> {
  let cleanup: WorkerCleanup | undefined;
  let stopping = false;
  const stop = async () => {
    stopping = true;
    try {
      await cleanup?.();
    } catch (err) {
      process.emitWarning(`cleanup of worker ${process.pid} failed: ${(err as Error).message}`);
    }
    process.exit(0);
  };
  process.on("message", (msg: unknown) => {
    if ((msg as { t?: unknown })?.t === SHUTDOWN.t && !stopping) void stop();
  });
  const result = await main();
  if (typeof result === "function") cleanup = result as WorkerCleanup;
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
