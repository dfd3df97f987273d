// The `workers` rows' server child: a node:cluster primary with N workers sharing one port, each running
// the Socket.IO bench app (sio-app.ts). volley: @volley/cluster-adapter (workers listen on the shared
// port, no sticky sessions); socket.io: @socket.io/cluster-adapter + @socket.io/sticky (the primary listens
// and hands each connection to a worker). Server CPU = the workers' and the primary's own
// `process.cpuUsage()` over the window. Usage (by run.ts only): server/workers-primary.ts <impl> <workers>.
import { execFileSync } from "node:child_process";
import cluster, { type Worker } from "node:cluster";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { serveIpc } from "../lib/ipc.js";

const [impl, workersArg] = process.argv.slice(2) as ["volley" | "socket.io", string];
const count = Number(workersArg);
const WORKER = fileURLToPath(new URL("./workers-worker.ts", import.meta.url));

/** What a worker answers to `{ bench: "report" }`. */
export interface WorkerReport {
  cpuUs: number;
  messages: number;
  deliveries: number;
  connections: number;
}

let workers: Worker[] = [];
let http: Server | undefined;
let primaryMark = process.cpuUsage();
let nextId = 1;

/** Sends `{ bench: cmd, id }` to every worker and collects their answers. */
function ask<T>(cmd: string): Promise<T[]> {
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<T>((resolve) => {
          const id = nextId++;
          const onMessage = (msg: { bench?: string; id?: number; result?: T }) => {
            if (msg?.bench !== "answer" || msg.id !== id) return;
            worker.off("message", onMessage);
            resolve(msg.result as T);
          };
          worker.on("message", onMessage);
          worker.send({ bench: cmd, id });
        }),
    ),
  );
}

/** Pins every thread of `pid` to `cpus` (a taskset list); a machine without taskset runs unpinned. */
function pin(pid: number, cpus: string): void {
  try {
    execFileSync("taskset", ["-a", "-pc", cpus, String(pid)], { stdio: "ignore" });
  } catch {}
}

serveIpc({
  start: async ({ workerCpus, primaryCpus }: { workerCpus: string[]; primaryCpus: string }) => {
    let port: number | undefined;
    if (impl === "volley") {
      const { setupPrimary } = await import("@volley/cluster-adapter");
      setupPrimary();
    } else {
      const { setupPrimary } = await import("@socket.io/cluster-adapter");
      const { setupMaster } = await import("@socket.io/sticky");
      setupPrimary();
      // As their documentation sets it up: sticky hands the first bytes over as a Buffer.
      cluster.setupPrimary({ serialization: "advanced" });
      http = createServer();
      setupMaster(http, { loadBalancingMethod: "least-connection" });
      await new Promise<void>((resolve) => http!.listen(0, "127.0.0.1", resolve));
      port = (http.address() as AddressInfo).port;
    }
    cluster.setupPrimary({
      exec: WORKER,
      execArgv: ["--conditions=volley-source", "--import", "tsx"],
      args: [impl],
    });
    pin(process.pid, primaryCpus);
    const ready: Array<Promise<number | undefined>> = [];
    for (let i = 0; i < count; i++) {
      const worker = cluster.fork();
      workers.push(worker);
      ready.push(
        new Promise((resolve, reject) => {
          worker.on("message", (msg: { bench?: string; port?: number }) => {
            if (msg?.bench === "ready") resolve(msg.port);
          });
          worker.once("exit", (code) => reject(new Error(`worker exited (${code}) before it was ready`)));
        }),
      );
      pin(worker.process.pid!, workerCpus[i % workerCpus.length]!);
    }
    const ports = await Promise.all(ready);
    return { port: port ?? ports[0]!, pids: [process.pid, ...workers.map((w) => w.process.pid)] };
  },
  mark: async () => {
    await ask("mark");
    primaryMark = process.cpuUsage();
    return {};
  },
  report: async () => {
    const primary = process.cpuUsage(primaryMark);
    const reports = await ask<WorkerReport>("report");
    return {
      cpuUs: primary.user + primary.system + reports.reduce((n, r) => n + r.cpuUs, 0),
      primaryCpuUs: primary.user + primary.system,
      messages: reports.reduce((n, r) => n + r.messages, 0),
      connections: reports.reduce((n, r) => n + r.connections, 0),
    };
  },
  waitConnections: async ({ n, timeoutMs }: { n: number; timeoutMs: number }) => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const total = (await ask<WorkerReport>("report")).reduce((s, r) => s + r.connections, 0);
      if (total >= n) return { connections: total };
      if (performance.now() > deadline)
        throw new Error(`only ${total} of ${n} connections after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  },
  close: async () => {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once("exit", () => resolve());
            w.process.kill("SIGKILL");
          }),
      ),
    );
    workers = [];
    http?.close();
    return {};
  },
});
