// The `workers` rows: one machine, every core, no Redis. volley + @volley/cluster-adapter (runClustered's
// set-up: workers share the port, no sticky sessions) beside socket.io + @socket.io/cluster-adapter +
// @socket.io/sticky, with 1 and with 2 workers; io.emit fan-out and echo+ack. Both clusters of a worker
// count stay up for all their runs, which alternate between the libraries. CPU pinning (taskset), as far
// as 2 cores allow: 1 worker → server on CPU 0, generator on CPU 1; 2 workers → one worker per CPU, the
// primary on both, the generator on CPU 1 (it shares that core with the second worker).
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { BenchError, Child } from "../lib/ipc.js";
import type { EchoResult } from "../load/echo.js";
import type { FanoutResult } from "../load/fanout.js";
import { median } from "../lib/stats.js";
import type { Env } from "./measure.js";

export type WorkersImpl = "volley" | "socket.io";

export interface WorkersRow {
  name: string;
  kind: "echo" | "fanout";
  workers: number;
  clients: number;
}

export interface WorkersSample {
  /** Echoes/s, or deliveries/s, as seen by the generator. */
  rate: number;
  /** Server CPU (workers + primary) per echo or per delivery, µs. */
  cpuUs: number;
  /** The primary's share of it, µs. */
  primaryCpuUs: number;
  p50: number;
  p99: number;
}

export interface WorkersSide {
  impl: WorkersImpl;
  samples: WorkersSample[];
  errors: string[];
  median: Partial<WorkersSample>;
}

export interface WorkersResult {
  row: WorkersRow;
  sides: [WorkersSide, WorkersSide];
  /** How the processes were pinned. */
  pinning: string;
}

export function workersRows(quick: boolean): WorkersRow[] {
  const fan = quick ? 200 : 1000;
  const echo = quick ? 20 : 50;
  return [1, 2].flatMap((workers): WorkersRow[] => [
    {
      name: `${workers} worker${workers > 1 ? "s" : ""}, io.emit 32 B to ${fan}`,
      kind: "fanout",
      workers,
      clients: fan,
    },
    {
      name: `${workers} worker${workers > 1 ? "s" : ""}, echo+ack 32 B, ${echo} clients`,
      kind: "echo",
      workers,
      clients: echo,
    },
  ]);
}

const IMPLS: WorkersImpl[] = ["volley", "socket.io"];

function pin(pid: number | undefined, cpuList: string): void {
  if (pid === undefined) return;
  try {
    execFileSync("taskset", ["-a", "-pc", cpuList, String(pid)], { stdio: "ignore" });
  } catch {}
}

/** CPU lists for a worker count on this machine: [per worker…], primary, generator. */
function placement(workers: number): {
  workerCpus: string[];
  primaryCpus: string;
  loadCpus: string;
  text: string;
} {
  const n = cpus().length;
  if (n < 2) return { workerCpus: ["0"], primaryCpus: "0", loadCpus: "0", text: "1 CPU: unpinned" };
  const last = String(n - 1);
  if (workers === 1) {
    return {
      workerCpus: ["0"],
      primaryCpus: "0",
      loadCpus: last,
      text: `server on CPU 0, generator on CPU ${last}`,
    };
  }
  const workerCpus = Array.from({ length: workers }, (_, i) => String(i % n));
  return {
    workerCpus,
    primaryCpus: `0-${last}`,
    loadCpus: last,
    text: `worker i on CPU i mod ${n}, primary on all, generator on CPU ${last}`,
  };
}

async function measure(
  env: Env,
  row: WorkersRow,
  server: Child,
  port: number,
  load: Child,
): Promise<WorkersSample> {
  const { config } = env;
  await load.request(
    "connect",
    { protocol: "socketio", port, clients: row.clients, size: 32 },
    30_000 + row.clients * 10,
  );
  try {
    await server.request("waitConnections", { n: row.clients, timeoutMs: 20_000 }, 25_000);
    const timeout = (ms: number) => ms + config.drainMs + 10_000;
    const depth = row.kind === "fanout" ? 2 : 1;
    await load.request(
      row.kind,
      { durationMs: config.warmupMs, drainMs: config.drainMs, depth },
      timeout(config.warmupMs),
    );
    await server.request("mark", {}, 30_000);
    const result = await load.request<EchoResult | FanoutResult>(
      row.kind,
      { durationMs: config.durationMs, drainMs: config.drainMs, depth },
      timeout(config.durationMs),
    );
    const report = await server.request<{ cpuUs: number; primaryCpuUs: number; messages: number }>(
      "report",
      {},
      60_000,
    );
    if (result.errors > 0)
      throw new BenchError("RUN_INVALID", `${result.errors} errors, first: ${result.firstError}`);
    // Fan-out: every broadcast the driver triggered reached every client, whichever worker holds it.
    const units = row.kind === "echo" ? report.messages : report.messages * row.clients;
    if (units === 0) throw new BenchError("RUN_INVALID", "the servers handled no messages in the window");
    const seen = "count" in result ? result.count : result.deliveries;
    return {
      rate: seen / (result.elapsedMs / 1000),
      cpuUs: report.cpuUs / units,
      primaryCpuUs: report.primaryCpuUs / units,
      p50: result.p50,
      p99: result.p99,
    };
  } finally {
    await load.request("close", {}, 30_000);
  }
}

export async function runWorkersRows(
  env: Env,
  rows: WorkersRow[],
  onRow: (result: WorkersResult) => void,
): Promise<WorkersResult[]> {
  const out: WorkersResult[] = [];
  for (const workers of [...new Set(rows.map((r) => r.workers))]) {
    const place = placement(workers);
    const clusters = new Map<WorkersImpl, { child: Child; port: number }>();
    const load = Child.fork("load/main.ts", [], {
      label: "load",
      fdLimit: 3000,
      currentFdLimit: env.fdLimit,
    });
    try {
      for (const impl of IMPLS) {
        const child = Child.fork("server/workers-primary.ts", [impl, String(workers)], {
          label: `${impl} primary`,
          fdLimit: 3000,
          currentFdLimit: env.fdLimit,
        });
        const { port } = await child.request<{ port: number }>(
          "start",
          { workerCpus: place.workerCpus, primaryCpus: place.primaryCpus },
          120_000,
        );
        clusters.set(impl, { child, port });
      }
      pin(load.pid, place.loadCpus);
      for (const row of rows.filter((r) => r.workers === workers)) {
        const sides = IMPLS.map((impl) => ({ impl, samples: [], errors: [], median: {} })) as unknown as [
          WorkersSide,
          WorkersSide,
        ];
        for (let run = 0; run < env.config.runs; run++) {
          for (let i = 0; i < 2; i++) {
            const side = sides[(run + i) % 2]!;
            const cluster = clusters.get(side.impl)!;
            try {
              side.samples.push(await measure(env, row, cluster.child, cluster.port, load));
            } catch (err) {
              side.errors.push((err as Error).message);
            }
          }
        }
        for (const side of sides) {
          for (const key of ["rate", "cpuUs", "primaryCpuUs", "p50", "p99"] as const) {
            side.median[key] = median(side.samples.map((s) => s[key]));
          }
        }
        const result = { row, sides, pinning: place.text };
        out.push(result);
        onRow(result);
      }
    } finally {
      await Promise.all(
        [...clusters.values()].map(async (c) => {
          await c.child.request("close", {}, 30_000).catch(() => {});
          await c.child.stop();
        }),
      );
      await load.stop();
    }
  }
  return out;
}
