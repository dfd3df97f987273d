// The server child: runs one library's server and reports its own CPU time and memory over IPC.
// Usage (by run.ts only): server/main.ts <impl> <scenario>. One child may serve several runs in turn
// (start … close, start … close), each with fresh counters and a fresh server.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { writeHeapSnapshot } from "node:v8";
import { serveIpc } from "../lib/ipc.js";
import { fullGc } from "./full-gc.js";
import type { ClusterOptions } from "./cluster.js";
import { startNetPollingFloor } from "./net-polling-floor.js";
import { startProfile, stopProfile } from "./profiler.js";
import { startSocketIoReference } from "./socketio-reference.js";
import { StallProbe, type StallReport } from "./stall-probe.js";
import type { Counters, Impl, Scenario, ServerUnderTest, StartServer } from "./types.js";
import { startVolleyObserved } from "./volley-observed.js";
import { startVolleyServer } from "./volley-server.js";
import { startVolleyWs } from "./volley-ws.js";
import { startWsFloor } from "./ws-floor.js";
import { startWsReference } from "./ws-reference.js";

const STARTERS: Record<Impl, StartServer> = {
  ws: startWsReference,
  "volley-ws": startVolleyWs,
  "socket.io": startSocketIoReference,
  volley: startVolleyServer,
  "ws-floor": startWsFloor,
  "volley-observed": startVolleyObserved,
  "net-floor": startNetPollingFloor,
};

/** CPU and counters over the window since the last `mark`. */
export interface ServerReport {
  cpuUs: number;
  userUs: number;
  systemUs: number;
  messages: number;
  deliveries: number;
  connections: number;
  windowMs: number;
  /** Largest lateness of a 10 ms timer in this process over the window (event-loop stall), ms. */
  maxStallMs: number;
  /** The longest gap of a 10 ms JS timer, split into the main thread's run time and wait for a core. */
  stall: StallReport;
}

/** Memory after full GCs. */
export interface ServerMemory {
  rss: number;
  heapUsed: number;
  external: number;
  connections: number;
}

const [impl, scenario] = process.argv.slice(2) as [Impl, Scenario];
// Replaced on every start, so late close events of a previous server cannot touch the current counts.
let counters: Counters = { messages: 0, deliveries: 0, connections: 0 };
let profilePath: string | undefined;
let server: ServerUnderTest | undefined;
let cpuMark = process.cpuUsage();
let timeMark = performance.now();
// A 10 ms timer whose lateness is recorded: the longest time the event loop could not run anything.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const stallProbe = new StallProbe();

// Unhandled errors end this child with a message; the orchestrator records the run as failed.
process.on("uncaughtException", (err) => {
  console.error(`[server ${impl}] uncaught:`, err);
  process.exit(1);
});

serveIpc({
  start: async (args: { cluster?: ClusterOptions } | undefined) => {
    const start = STARTERS[impl];
    if (!start) throw new Error(`unknown impl '${impl}'`);
    if (server) throw new Error("already started");
    counters = { messages: 0, deliveries: 0, connections: 0 };
    server = await start(scenario, counters, args?.cluster);
    return { port: server.port };
  },
  mark: async (args: { profilePath?: string } | undefined) => {
    profilePath = args?.profilePath;
    if (profilePath) await startProfile();
    counters.messages = 0;
    counters.deliveries = 0;
    cpuMark = process.cpuUsage();
    timeMark = performance.now();
    loopDelay.reset();
    stallProbe.reset();
    return {};
  },
  report: async (): Promise<ServerReport> => {
    const cpu = process.cpuUsage(cpuMark);
    const windowMs = performance.now() - timeMark;
    // Taken before the profile is written: writing it blocks the loop for a while.
    const report: ServerReport = {
      cpuUs: cpu.user + cpu.system,
      userUs: cpu.user,
      systemUs: cpu.system,
      messages: counters.messages,
      deliveries: counters.deliveries,
      connections: counters.connections,
      windowMs,
      maxStallMs: loopDelay.max / 1e6,
      stall: stallProbe.take(),
    };
    if (profilePath) await stopProfile(profilePath);
    profilePath = undefined;
    return report;
  },
  memory: async (): Promise<ServerMemory> => {
    await fullGc();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, connections: counters.connections };
  },
  heapSnapshot: async ({ path }: { path: string }) => {
    await fullGc();
    return { path: writeHeapSnapshot(path) };
  },
  waitConnections: async ({ n, timeoutMs }: { n: number; timeoutMs: number }) => {
    const deadline = performance.now() + timeoutMs;
    while (counters.connections < n) {
      if (performance.now() > deadline) {
        throw new Error(`only ${counters.connections} of ${n} connections after ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return { connections: counters.connections };
  },
  waitServers: async ({ n, timeoutMs }: { n: number; timeoutMs: number }) => {
    const count = server?.serverCount;
    if (!server || !count) throw new Error("not a cluster node");
    const deadline = performance.now() + timeoutMs;
    let seen = await count.call(server);
    while (seen < n) {
      if (performance.now() > deadline)
        throw new Error(`the adapter counts ${seen} of ${n} servers after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
      seen = await count.call(server);
    }
    return { servers: seen };
  },
  scrapeStats: async () => {
    const stats = server?.scrapeStats?.();
    if (!stats) throw new Error("this server serves no metrics");
    return stats;
  },
  close: async () => {
    await server?.close();
    server = undefined;
    return {};
  },
});
