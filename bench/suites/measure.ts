// One run of one row against one library: fork the server child and the load child, load, read figures.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Config } from "../lib/config.js";
import { BenchError, Child } from "../lib/ipc.js";
import type { EchoResult } from "../load/echo.js";
import type { FanoutResult } from "../load/fanout.js";
import type { ServerMemory, ServerReport } from "../server/main.js";
import type { Impl, Scenario } from "../server/types.js";
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
  serverCpuMs: number;
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
  private readonly servers = new Map<number, Child>();
  private loadChild: Child | undefined;

  constructor(
    private readonly env: Env,
    private readonly row: ThroughputRow,
  ) {}

  server(side: number, impl: Impl): Child {
    let child = this.servers.get(side);
    if (!child) {
      const scenario: Scenario = this.row.kind === "echo" ? "echo" : "fanout";
      child = forkServer(this.env, impl, scenario, [], fdsFor(this.row.clients));
      this.servers.set(side, child);
    }
    return child;
  }

  load(): Child {
    this.loadChild ??= forkLoad(this.env, fdsFor(this.row.clients));
    return this.loadChild;
  }

  /** Stops the children of `side` (and the load child), after a failure. */
  async discard(side: number): Promise<void> {
    const server = this.servers.get(side);
    const load = this.loadChild;
    this.servers.delete(side);
    this.loadChild = undefined;
    await Promise.all([server?.stop(), load?.stop()]);
  }

  async stopAll(): Promise<void> {
    const all = [...this.servers.values(), this.loadChild];
    this.servers.clear();
    this.loadChild = undefined;
    await Promise.all(all.map((c) => c?.stop()));
  }
}

/** Descriptors a child needs for `clients` sockets, with room for node's own. */
const fdsFor = (clients: number) => clients + 1024;

/** Time allowed to open `clients` connections. */
const connectTimeout = (clients: number) => 30_000 + clients * 10;

export async function measureThroughput(
  env: Env,
  row: ThroughputRow,
  impl: Impl,
  tag: string,
  children: RowChildren,
  side: number,
): Promise<ThroughputSample> {
  const { config } = env;
  const server = children.server(side, impl);
  const load = children.load();
  try {
    const { port } = await server.request<{ port: number }>("start", {}, 60_000);
    await load.request(
      "connect",
      {
        protocol: row.protocol,
        port,
        clients: row.clients,
        size: row.size,
        rooms: row.rooms,
        fanout: row.kind === "fanout",
      },
      connectTimeout(row.clients),
    );
    await server.request("waitConnections", { n: row.clients, timeoutMs: 10_000 }, 15_000);
    const windowTimeout = (ms: number) => ms + config.drainMs + 10_000;
    const depth = row.depth ?? 1;
    await load.request(
      row.kind,
      { durationMs: config.warmupMs, drainMs: config.drainMs, depth },
      windowTimeout(config.warmupMs),
    );
    let profilePath: string | undefined;
    if (config.profile) {
      mkdirSync(PROFILE_DIR, { recursive: true });
      profilePath = `${PROFILE_DIR}${tag}.cpuprofile`;
    }
    // Generous deadlines: starting and writing a profile take a while on a busy machine.
    await server.request("mark", { profilePath }, 30_000);
    const result = await load.request<EchoResult | FanoutResult>(
      row.kind,
      { durationMs: config.durationMs, drainMs: config.drainMs, depth },
      windowTimeout(config.durationMs),
    );
    const report = await server.request<ServerReport>("report", {}, 60_000);
    if (result.errors > 0) {
      throw new BenchError(
        "RUN_INVALID",
        `${result.errors} errors in the generator, first: ${result.firstError}`,
      );
    }
    const units = row.kind === "echo" ? report.messages : report.deliveries;
    if (units === 0) throw new BenchError("RUN_INVALID", "the server handled no messages in the window");
    const seen = "count" in result ? result.count : result.deliveries;
    await load.request("close", {}, 30_000);
    await server.request("close", {}, 30_000);
    return {
      cpuUs: report.cpuUs / units,
      rate: seen / (result.elapsedMs / 1000),
      p50: result.p50,
      p99: result.p99,
      serverUnits: units,
      serverCpuMs: report.cpuUs / 1000,
    };
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
