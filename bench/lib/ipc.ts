// Request/response over the IPC channel of a forked child. The orchestrator drives a server child and a
// load child through it; every request has a deadline so a stuck child can never hang the run.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** One command sent to a child. */
export interface IpcRequest {
  id: number;
  cmd: string;
  args?: unknown;
}

/** The answer to one {@link IpcRequest}; `error` is set when the handler threw. */
export interface IpcResponse {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** A failure of a child or of a request to it, with a code (STYLE.md #5). */
export class BenchError extends Error {
  constructor(
    readonly code: "CHILD_EXIT" | "REQUEST_TIMEOUT" | "REQUEST_FAILED" | "SPAWN_FAILED" | "RUN_INVALID",
    message: string,
  ) {
    super(message);
    this.name = "BenchError";
  }
}

export interface ForkOptions {
  /** Extra node flags, e.g. `--expose-gc`, `--cpu-prof`. */
  nodeFlags?: string[];
  /** Raise the open-files limit of the child to this (through `bash -c ulimit -n`), when above ours. */
  fdLimit?: number;
  /** Our own soft open-files limit, to decide whether a raise is needed. */
  currentFdLimit?: number;
  /** Label used in error messages. */
  label: string;
}

const BENCH_DIR = fileURLToPath(new URL("..", import.meta.url));

/** A forked TypeScript child (run through tsx against the Volley sources) that answers requests. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private exitError: BenchError | undefined;
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly proc: ChildProcess,
    private readonly label: string,
  ) {
    proc.on("message", (msg: IpcResponse) => this.onResponse(msg));
    this.exited = new Promise((resolve) => {
      proc.on("exit", (code, signal) => {
        this.exitError = new BenchError("CHILD_EXIT", `${label} exited (code ${code}, signal ${signal})`);
        for (const [, p] of this.pending) {
          clearTimeout(p.timer);
          p.reject(this.exitError);
        }
        this.pending.clear();
        resolve(code);
      });
      proc.on("error", (err) => {
        this.exitError = new BenchError("SPAWN_FAILED", `${label}: ${err.message}`);
      });
    });
  }

  /** Whether children load Volley's TypeScript sources (the `volley-source` condition) or its built `dist/`. */
  static volleySources = false;

  /**
   * Forks `entry` (a path relative to bench/, run through tsx) with `args`; Volley is loaded from its built
   * packages, or from its sources with {@link volleySources}.
   */
  static fork(entry: string, args: string[], options: ForkOptions): Child {
    const nodeArgs = [
      ...(Child.volleySources ? ["--conditions=volley-source"] : []),
      "--import",
      "tsx",
      ...(options.nodeFlags ?? []),
      `${BENCH_DIR}${entry}`,
      ...args,
    ];
    const stdio: ("inherit" | "ipc")[] = ["inherit", "inherit", "inherit", "ipc"];
    const needRaise = options.fdLimit !== undefined && (options.currentFdLimit ?? 0) < options.fdLimit;
    // `exec` keeps the IPC descriptor (NODE_CHANNEL_FD) open, so the node that replaces bash still talks to us.
    const proc = needRaise
      ? spawn(
          "bash",
          ["-c", `ulimit -n ${options.fdLimit} && exec "$0" "$@"`, process.execPath, ...nodeArgs],
          {
            stdio,
          },
        )
      : spawn(process.execPath, nodeArgs, { stdio });
    return new Child(proc, options.label);
  }

  /** The child's process id (the node process: the fd-limit wrapper `exec`s it). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Sends `cmd` and resolves with the child's result, or rejects after `timeoutMs`. */
  request<T>(cmd: string, args: unknown, timeoutMs: number): Promise<T> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new BenchError("REQUEST_TIMEOUT", `${this.label}: '${cmd}' took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        this.proc.send({ id, cmd, args } satisfies IpcRequest);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new BenchError("REQUEST_FAILED", `${this.label}: ${(err as Error).message}`));
      }
    });
  }

  private onResponse(msg: IpcResponse): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new BenchError("REQUEST_FAILED", `${this.label}: ${msg.error}`));
  }

  /** Asks the child to exit, and kills it if it has not within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    if (this.proc.connected) this.proc.disconnect();
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export type Handler = (args: never) => unknown;

/** Child side: answers requests with `handlers`; exits when the parent goes away. */
export function serveIpc(handlers: Record<string, Handler>): void {
  if (!process.send) {
    console.error("this file is a bench child: start it through bench/run.ts");
    process.exit(2);
  }
  process.on("message", async (req: IpcRequest) => {
    const handler = handlers[req.cmd];
    let res: IpcResponse;
    try {
      if (!handler) throw new Error(`unknown command '${req.cmd}'`);
      res = { id: req.id, ok: true, result: await (handler as (a: unknown) => unknown)(req.args) };
    } catch (err) {
      res = { id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (process.connected) process.send?.(res);
  });
  // The parent closing the channel is the signal to leave (also after a crash of the parent).
  process.on("disconnect", () => process.exit(0));
}
