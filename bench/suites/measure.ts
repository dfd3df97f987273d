// One run of one row against one library: fork the server child and the load child, load, read figures.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Config } from "../lib/config.js";
import { BenchError, Child } from "../lib/ipc.js";
import type { EchoResult } from "../load/echo.js";
import type { FanoutResult } from "../load/fanout.js";
import type { ServerMemory, ServerReport } from "../server/main.js";
import type { Impl, Scenario } from "../server/types.js";
import type { BenchRedis } from "./redis.js";
import type { MemoryRow, ThroughputRow } from "./rows.js";

/** Figures of one throughput run. `cpuUs` is per echoed message, or per delivery for fan-out rows. */
export interface ThroughputSample {
  cpuUs: number;
  /** Echoes/s, or deliveries/s for fan-out rows, as seen by the generator. */
  rate: number;
  p50: number;
  p99: number;
  /** Messages (echo) or deliveries (fan-out) the server handled in its window. */
  serverUnits: number;
  /** CPU time of the server(s) in the window, summed over the nodes of a cluster row. */
  serverCpuMs: number;
  /** Cluster rows: redis-server CPU time per delivery (µs). */
  redisCpuUs?: number;
}

export interface MemorySample {
  rssPerConn: number;
  heapPerConn: number;
  connections: number;
}

export const PROFILE_DIR = fileURLToPath(new URL("../results/profiles/", import.meta.url));

export interface Env {
  config: Config;
  /** Our soft open-files limit. */
  fdLimit: number;
}

function forkServer(env: Env, impl: Impl, scenario: Scenario, flags: string[], fds: number): Child {
  return Child.fork("server/main.ts", [impl, scenario], {
    label: `server ${impl}`,
    nodeFlags: flags,
    fdLimit: fds,
    currentFdLimit: env.fdLimit,
  });
}

function forkLoad(env: Env, fds: number): Child {
  return Child.fork("load/main.ts", [], { label: "load", fdLimit: fds, currentFdLimit: env.fdLimit });
}

/**
 * The children of one throughput row: one server child per side and one load child, kept for all the
 * row's runs (each run still gets a fresh server and fresh connections), so process start-up is paid
 * once per row rather than once per run. A child involved in a failed run is replaced.
 */
export class RowChildren {
  /** Keyed by `side * MAX_NODES + node`. */
  private readonly servers = new Map<number, Child>();
  private loadChild: Child | undefined;

  constructor(
    private readonly env: Env,
    private readonly row: ThroughputRow,
  ) {}

  server(side: number, impl: Impl, node = 0): Child {
    const key = side * MAX_NODES + node;
    let child = this.servers.get(key);
    if (!child) {
      const scenario: Scenario = this.row.kind === "echo" ? "echo" : "fanout";
      child = forkServer(this.env, impl, scenario, [], fdsFor(this.row.clients));
      this.servers.set(key, child);
    }
    return child;
  }

  load(): Child {
    this.loadChild ??= forkLoad(this.env, fdsFor(this.row.clients));
    return this.loadChild;
  }

  /** Stops the children of `side` (and the load child), after a failure. */
  async discard(side: number): Promise<void> {
    const stopping: (Child | undefined)[] = [this.loadChild];
    this.loadChild = undefined;
    for (let node = 0; node < MAX_NODES; node++) {
      const key = side * MAX_NODES + node;
      stopping.push(this.servers.get(key));
      this.servers.delete(key);
    }
    await Promise.all(stopping.map((c) => c?.stop()));
  }

  async stopAll(): Promise<void> {
    const all = [...this.servers.values(), this.loadChild];
    this.servers.clear();
    this.loadChild = undefined;
    await Promise.all(all.map((c) => c?.stop()));
  }
}

/** Most server children of one side of a row (cluster rows). */
const MAX_NODES = 8;

/** Descriptors a child needs for `clients` sockets, with room for node's own. */
const fdsFor = (clients: number) => clients + 1024;

/** Time allowed to open `clients` connections. */
const connectTimeout = (clients: number) => 30_000 + clients * 10;

/**
 * One run of a throughput row. Cluster rows (`row.nodes`) start one server child per node on the row's
 * `redis`, spread the clients over them and sum the nodes' CPU; deliveries are the broadcasts the driver's
 * node handled × all clients, and Redis CPU (INFO CPU before and after the window) is divided by the same.
 */
export async function measureThroughput(
  env: Env,
  row: ThroughputRow,
  impl: Impl,
  tag: string,
  children: RowChildren,
  side: number,
  redis?: BenchRedis,
): Promise<ThroughputSample> {
  const { config } = env;
  const nodes = row.nodes ?? 1;
  if (nodes > MAX_NODES) throw new BenchError("RUN_INVALID", `at most ${MAX_NODES} nodes per row`);
  if (nodes > 1 && !redis) throw new BenchError("RUN_INVALID", "a cluster row needs its Redis");
  const servers = Array.from({ length: nodes }, (_, node) => children.server(side, impl, node));
  const load = children.load();
  try {
    // Every run is a cluster of its own (a fresh key), so nodes of earlier runs can never count.
    const cluster = redis ? { redisPort: redis.port, key: `bench-${tag}` } : undefined;
    const ports: number[] = [];
    for (const server of servers) {
      ports.push((await server.request<{ port: number }>("start", { cluster }, 60_000)).port);
    }
    if (cluster) {
      await Promise.all(
        servers.map((s) => s.request("waitServers", { n: nodes, timeoutMs: 20_000 }, 25_000)),
      );
    }
    await load.request(
      "connect",
      {
        protocol: row.protocol,
        port: ports[0],
        ports: nodes > 1 ? ports : undefined,
        clients: row.clients,
        size: row.size,
        rooms: row.rooms,
        fanout: row.kind === "fanout",
      },
      connectTimeout(row.clients),
    );
    await Promise.all(
      servers.map((s, node) => {
        const n = Math.floor(row.clients / nodes) + (node < row.clients % nodes ? 1 : 0);
        return s.request("waitConnections", { n, timeoutMs: 10_000 }, 15_000);
      }),
    );
    const windowTimeout = (ms: number) => ms + config.drainMs + 10_000;
    const depth = row.depth ?? 1;
    await load.request(
      row.kind,
      { durationMs: config.warmupMs, drainMs: config.drainMs, depth },
      windowTimeout(config.warmupMs),
    );
    if (config.profile) mkdirSync(PROFILE_DIR, { recursive: true });
    // Generous deadlines: starting and writing a profile take a while on a busy machine.
    await Promise.all(
      servers.map((s, node) => {
        const suffix = nodes > 1 ? `-node${node}` : "";
        const profilePath = config.profile ? `${PROFILE_DIR}${tag}${suffix}.cpuprofile` : undefined;
        return s.request("mark", { profilePath }, 30_000);
      }),
    );
    const redisBefore = await redis?.cpuUs();
    const result = await load.request<EchoResult | FanoutResult>(
      row.kind,
      { durationMs: config.durationMs, drainMs: config.drainMs, depth },
      windowTimeout(config.durationMs),
    );
    const redisAfter = await redis?.cpuUs();
    const reports = await Promise.all(servers.map((s) => s.request<ServerReport>("report", {}, 60_000)));
    if (result.errors > 0) {
      throw new BenchError(
        "RUN_INVALID",
        `${result.errors} errors in the generator, first: ${result.firstError}`,
      );
    }
    const cpuUs = reports.reduce((sum, r) => sum + r.cpuUs, 0);
    const units =
      row.kind === "echo"
        ? reports[0]!.messages
        : nodes > 1
          ? reports.reduce((sum, r) => sum + r.messages, 0) * row.clients
          : reports[0]!.deliveries;
    if (units === 0) throw new BenchError("RUN_INVALID", "the server handled no messages in the window");
    const seen = "count" in result ? result.count : result.deliveries;
    await load.request("close", {}, 30_000);
    for (const server of servers) await server.request("close", {}, 30_000);
    const sample: ThroughputSample = {
      cpuUs: cpuUs / units,
      rate: seen / (result.elapsedMs / 1000),
      p50: result.p50,
      p99: result.p99,
      serverUnits: units,
      serverCpuMs: cpuUs / 1000,
    };
    if (redisBefore !== undefined && redisAfter !== undefined) {
      sample.redisCpuUs = (redisAfter - redisBefore) / units;
    }
    return sample;
  } catch (err) {
    await children.discard(side);
    throw err;
  }
}

/** Memory rows use fresh children for every run: the baseline must be a process that never served. */
export async function measureMemory(env: Env, row: MemoryRow, impl: Impl): Promise<MemorySample> {
  const fds = fdsFor(row.clients);
  const server = forkServer(env, impl, "idle", ["--expose-gc"], fds);
  const load = forkLoad(env, fds);
  try {
    const { port } = await server.request<{ port: number }>("start", {}, 60_000);
    const before = await server.request<ServerMemory>("memory", {}, 30_000);
    await load.request(
      "connect",
      { protocol: row.protocol, port, clients: row.clients, size: 1 },
      connectTimeout(row.clients),
    );
    await server.request("waitConnections", { n: row.clients, timeoutMs: 20_000 }, 25_000);
    const after = await server.request<ServerMemory>("memory", {}, 30_000);
    await load.request("close", {}, 30_000);
    return {
      rssPerConn: (after.rss - before.rss) / row.clients,
      heapPerConn: (after.heapUsed - before.heapUsed) / row.clients,
      connections: after.connections,
    };
  } finally {
    await Promise.all([load.stop(), server.stop()]);
  }
}
