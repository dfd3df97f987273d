// A clustered app (fixtures/clustered-app.ts) in a primary process of its own, and what the tests
// wait on: its workers' reports.
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";

const fixture = new URL("./fixtures/clustered-app.ts", import.meta.url).pathname;

export interface Report {
  pid: number;
  event: string;
  [key: string]: unknown;
}

export class ClusteredApp {
  readonly reports: Report[] = [];
  private readonly child: ChildProcess;
  private readonly waiters = new Set<{ match(r: Report): boolean; resolve(r: Report): void }>();

  private constructor(child: ChildProcess) {
    this.child = child;
    child.on("message", (msg: Report) => {
      this.reports.push(msg);
      for (const w of [...this.waiters]) {
        if (w.match(msg)) {
          this.waiters.delete(w);
          w.resolve(msg);
        }
      }
    });
  }

  /** Starts the primary with `workers` workers; resolves once each listens (with the shared port). */
  static async start(
    workers: number,
    env: Record<string, string> = {},
  ): Promise<{ app: ClusteredApp; port: number }> {
    const child = fork(fixture, [], {
      execArgv: ["--conditions=volley-source", "--import", "tsx"],
      env: { ...process.env, ...env, WORKERS: String(workers) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const app = new ClusteredApp(child);
    const listening: Report[] = [];
    const exited = once(child, "exit").then(([code, signal]) => {
      throw new Error(`the primary exited (${code ?? signal}) before its workers listened`);
    });
    // One waiter for all: reports that arrive together are handed over in one turn.
    await Promise.race([app.next((r) => r.event === "listening" && listening.push(r) === workers), exited]);
    exited.catch(() => {});
    const ports = new Set(listening.map((r) => r.port));
    if (ports.size !== 1) throw new Error(`workers listen on different ports: ${[...ports]}`);
    return { app, port: listening[0]!.port as number };
  }

  /** The next report matching `match` (reports already received do not count). */
  next(match: (r: Report) => boolean): Promise<Report> {
    return new Promise((resolve) => this.waiters.add({ match, resolve }));
  }

  /** Worker pids that reported listening and have not been killed by the test. */
  workerPids(): number[] {
    return [...new Set(this.reports.filter((r) => r.event === "listening").map((r) => r.pid))];
  }

  /** Every worker's forwarding stats and count of 400 answers. */
  async stats(workers: number): Promise<Report[]> {
    const out: Report[] = [];
    // One waiter for all: reports that arrive together are handed over in one turn.
    const all = new Promise<void>((resolve) => {
      this.waiters.add({
        match: (r) => r.event === "stats" && out.push(r) === workers,
        resolve: () => resolve(),
      });
    });
    this.child.send({ cmd: "stats" });
    await all;
    return out;
  }

  /** SIGKILLs the primary; resolves once it exited. */
  async killPrimary(): Promise<void> {
    const exited = once(this.child, "exit");
    this.child.kill("SIGKILL");
    await exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.send({ cmd: "stop" });
    await exited;
  }
}
