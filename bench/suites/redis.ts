// The row's own redis-server on a free loopback port, and its CPU time (INFO CPU: user + system of the
// whole redis-server process), so Redis work per delivery is measured beside the servers' own.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { BenchError } from "../lib/ipc.js";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export class BenchRedis {
  private constructor(
    private readonly proc: ChildProcess,
    readonly port: number,
    private readonly client: Redis,
  ) {}

  /** Starts `redis-server` without persistence on 127.0.0.1 and waits until it answers. */
  static async start(): Promise<BenchRedis> {
    const port = await freePort();
    const proc = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    );
    const failed = new Promise<never>((_, reject) => {
      proc.once("error", (err) => reject(new BenchError("SPAWN_FAILED", `redis-server: ${err.message}`)));
      proc.once("exit", (code) =>
        reject(new BenchError("CHILD_EXIT", `redis-server exited (code ${code}) on port ${port}`)),
      );
    });
    failed.catch(() => {});
    // redis-server takes a moment to listen: try again until it answers, within a deadline.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true, retryStrategy: () => null });
      client.on("error", () => {});
      try {
        await Promise.race([client.connect().then(() => client.ping()), failed]);
        return new BenchRedis(proc, port, client);
      } catch (err) {
        client.disconnect();
        if (err instanceof BenchError || Date.now() > deadline) {
          proc.kill("SIGKILL");
          throw err instanceof BenchError
            ? err
            : new BenchError("SPAWN_FAILED", `redis-server on port ${port} does not answer`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** redis-server's CPU time so far (user + system), µs. */
  async cpuUs(): Promise<number> {
    const info = await this.client.info("cpu");
    const field = (name: string) => Number(info.match(new RegExp(`^${name}:([0-9.]+)`, "m"))?.[1]);
    const total = field("used_cpu_user") + field("used_cpu_sys");
    if (!Number.isFinite(total))
      throw new BenchError("RUN_INVALID", "INFO CPU of redis-server has no used_cpu_*");
    return total * 1e6;
  }

  async stop(): Promise<void> {
    this.client.disconnect();
    if (this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}
