// One run of a three-server row against one library: the server child, the load child(ren), the figures.
import { mkdirSync } from "node:fs";
import { BenchError, Child } from "../lib/ipc.js";
import { median } from "../lib/stats.js";
import type { FanoutResult } from "../load/fanout.js";
import type { EchoResult } from "../load/echo.js";
import type { HandshakeResult } from "../load/handshake.js";
import type { ServerMemory, ServerReport } from "../server/main.js";
import type { Impl, Scenario } from "../server/types.js";
import { type Env, PROFILE_DIR } from "./measure.js";
import type { FlowRow, HandshakeRow, ScaleRow, TrioRow } from "./trio-rows.js";

/** The figures of one run, keyed as the row's measures. */
export type TrioSample = Record<string, number>;

/** The median of each figure over `samples` (NaN where a run lacks it: a failed measure stays visible). */
export function sampleMedians(samples: TrioSample[]): TrioSample {
  const out: TrioSample = {};
  for (const key of new Set(samples.flatMap((s) => Object.keys(s)))) {
    out[key] = median(samples.map((s) => s[key] ?? Number.NaN));
  }
  return out;
}

/**
 * Something watching a run from outside the server (the observe suite's metrics scraper): started once
 * `server` listens on `port`, stopped after the server's report, connections still open; its figures
 * join the sample, and a throw fails the run.
 */
export type RunObserver = (port: number, server: Child) => { stop(): Promise<TrioSample> };

/** The hard open-files limit of this machine: no child can be given more. */
const MAX_FDS = 20_000;
const fdsFor = (sockets: number) => Math.min(MAX_FDS, sockets + 1024);
const connectTimeout = (clients: number) => 30_000 + clients * 10;

function forkServer(env: Env, impl: Impl, scenario: Scenario, fds: number, flags: string[] = []): Child {
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

function scenarioOf(row: TrioRow): Scenario {
  if (row.kind === "scale") return "idle";
  if (row.kind === "handshake" || row.kind === "echo") return "echo";
  if (row.deflate === "shared") return "deflate-shared";
  return row.deflate ? "deflate" : "fanout";
}

/** Sockets a load child holds: polling clients keep up to 2 keep-alive sockets, plus the upgrade. */
const loadSockets = (row: TrioRow) => row.clients * (row.kind === "handshake" ? 3 : 2);

/**
 * The children of one row (one server per side, one load child), kept for the row's runs; each run
 * still starts a fresh server and fresh connections. A side whose run failed gets new children.
 */
export class TrioChildren {
  private readonly servers = new Map<number, Child>();
  private loadChild: Child | undefined;

  constructor(
    private readonly env: Env,
    private readonly row: TrioRow,
  ) {}

  server(side: number, impl: Impl): Child {
    let child = this.servers.get(side);
    if (!child) {
      child = forkServer(this.env, impl, scenarioOf(this.row), fdsFor(loadSockets(this.row)));
      this.servers.set(side, child);
    }
    return child;
  }

  load(): Child {
    this.loadChild ??= forkLoad(this.env, fdsFor(loadSockets(this.row)));
    return this.loadChild;
  }

  async discard(side: number): Promise<void> {
    const stopping = [this.loadChild, this.servers.get(side)];
    this.loadChild = undefined;
    this.servers.delete(side);
    await Promise.all(stopping.map((c) => c?.stop()));
  }

  async stopAll(): Promise<void> {
    const all = [...this.servers.values(), this.loadChild];
    this.servers.clear();
    this.loadChild = undefined;
    await Promise.all(all.map((c) => c?.stop()));
  }
}

/** Idle connections: fresh children every run (the baseline must be a process that never served). */
export async function measureScale(env: Env, row: ScaleRow, impl: Impl): Promise<TrioSample> {
  const server = forkServer(env, impl, "idle", fdsFor(row.clients), ["--expose-gc"]);
  const shares = Array.from(
    { length: row.loaders },
    (_, i) => Math.floor(row.clients / row.loaders) + (i < row.clients % row.loaders ? 1 : 0),
  );
  const loads = shares.map((n) => forkLoad(env, fdsFor(n)));
  try {
    const { port } = await server.request<{ port: number }>("start", {}, 60_000);
    const before = await server.request<ServerMemory>("memory", {}, 30_000);
    // 100 handshakes in flight in all, however many load children share them.
    const concurrency = Math.ceil(100 / row.loaders);
    const started = performance.now();
    await Promise.all(
      loads.map((load, i) =>
        load.request(
          "connect",
          { protocol: "socketio", port, clients: shares[i], size: 1, concurrency },
          connectTimeout(row.clients),
        ),
      ),
    );
    await server.request("waitConnections", { n: row.clients, timeoutMs: 20_000 }, 25_000);
    const connectMs = performance.now() - started;
    const after = await server.request<ServerMemory>("memory", {}, 60_000);
    await Promise.all(loads.map((load) => load.request("close", {}, 30_000)));
    return {
      rssKb: (after.rss - before.rss) / row.clients / 1024,
      heapKb: (after.heapUsed - before.heapUsed) / row.clients / 1024,
      connectMs,
      rssMb: (after.rss - before.rss) / 2 ** 20,
      heapMb: (after.heapUsed - before.heapUsed) / 2 ** 20,
    };
  } finally {
    await Promise.all([...loads.map((load) => load.stop()), server.stop()]);
  }
}

/** With `--profile`: where the server child writes its CPU profile of this run's measured window. */
function profilePathOf(env: Env, row: TrioRow, impl: Impl, run: number): string | undefined {
  if (!env.config.profile) return undefined;
  mkdirSync(PROFILE_DIR, { recursive: true });
  const slug = row.name.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "");
  return `${PROFILE_DIR}${slug}-${impl}-${run + 1}.cpuprofile`;
}

function checkErrors(result: { errors: number; firstError?: string }): void {
  if (result.errors > 0) {
    throw new BenchError(
      "RUN_INVALID",
      `${result.errors} errors in the generator, first: ${result.firstError}`,
    );
  }
}

/** An echo or broadcast window (socketio-suite method), with the server's stall and the bytes received. */
export async function measureFlow(
  env: Env,
  row: FlowRow,
  impl: Impl,
  side: number,
  children: TrioChildren,
  run: number,
  observe?: RunObserver,
): Promise<TrioSample> {
  const { config } = env;
  const server = children.server(side, impl);
  const load = children.load();
  let observer: ReturnType<RunObserver> | undefined;
  try {
    const { port } = await server.request<{ port: number }>("start", {}, 60_000);
    observer = observe?.(port, server);
    await load.request(
      "connect",
      {
        protocol: row.protocol,
        port,
        clients: row.clients,
        size: row.size,
        rooms: row.rooms,
        deflate: row.deflate !== undefined,
        json: row.deflate !== undefined || row.json === true,
      },
      connectTimeout(row.clients),
    );
    await server.request("waitConnections", { n: row.clients, timeoutMs: 10_000 }, 15_000);
    const depth = row.depth ?? 1;
    const windowTimeout = (ms: number) => ms + config.drainMs + 10_000;
    await load.request(
      row.kind,
      { durationMs: config.warmupMs, drainMs: config.drainMs, depth },
      windowTimeout(config.warmupMs),
    );
    await server.request("mark", { profilePath: profilePathOf(env, row, impl, run) }, 30_000);
    const bytesBefore = row.deflate ? await load.request<{ bytes: number }>("bytes", {}, 10_000) : undefined;
    const result = await load.request<EchoResult | FanoutResult>(
      row.kind,
      { durationMs: config.durationMs, drainMs: config.drainMs, depth },
      windowTimeout(config.durationMs),
    );
    const bytesAfter = row.deflate ? await load.request<{ bytes: number }>("bytes", {}, 10_000) : undefined;
    const report = await server.request<ServerReport>("report", {}, 60_000);
    const observed = await stopObserver(observer);
    observer = undefined;
    checkErrors(result);
    const units = row.kind === "echo" ? report.messages : report.deliveries;
    if (units === 0) throw new BenchError("RUN_INVALID", "the server handled no messages in the window");
    const seen = "count" in result ? result.count : result.deliveries;
    await load.request("close", {}, 30_000);
    await server.request("close", {}, 30_000);
    const sample: TrioSample = {
      ...observed,
      cpuUs: report.cpuUs / units,
      sysUs: report.systemUs / units,
      rate: seen / (result.elapsedMs / 1000),
      p50: result.p50,
      p99: result.p99,
      stallMs: report.maxStallMs,
      stallRunMs: report.stall.maxRunMs,
      stallWaitMs: report.stall.waitMs,
    };
    if (bytesBefore && bytesAfter && "received" in result) {
      sample.bytesPerDelivery = (bytesAfter.bytes - bytesBefore.bytes) / result.received;
    }
    return sample;
  } catch (err) {
    await stopObserver(observer).catch(() => undefined);
    await children.discard(side);
    throw err;
  }
}

async function stopObserver(observer: ReturnType<RunObserver> | undefined): Promise<TrioSample> {
  return observer ? await observer.stop() : {};
}

/** A handshake storm against a fresh server: every client must get through, else the run fails. */
export async function measureHandshake(
  env: Env,
  row: HandshakeRow,
  impl: Impl,
  side: number,
  children: TrioChildren,
  run: number,
  observe?: RunObserver,
): Promise<TrioSample> {
  const server = children.server(side, impl);
  const load = children.load();
  let observer: ReturnType<RunObserver> | undefined;
  try {
    const { port } = await server.request<{ port: number }>("start", {}, 60_000);
    observer = observe?.(port, server);
    await server.request("mark", { profilePath: profilePathOf(env, row, impl, run) }, 30_000);
    const result = await load.request<HandshakeResult>(
      "handshake",
      { transport: row.transport, port, clients: row.clients, size: 32 },
      // All at once on a busy machine can take far longer than the same handshakes 100 at a time.
      60_000 + row.clients * 30,
    );
    const report = await server.request<ServerReport>("report", {}, 60_000);
    const observed = await stopObserver(observer);
    observer = undefined;
    checkErrors(result);
    if (result.connected !== row.clients) {
      throw new BenchError("RUN_INVALID", `${result.connected} of ${row.clients} clients connected`);
    }
    await load.request("close", {}, 30_000);
    await server.request("close", {}, 30_000);
    return {
      ...observed,
      rate: result.connected / (result.elapsedMs / 1000),
      cpuUs: report.cpuUs / result.connected,
      stallMs: report.maxStallMs,
      stallRunMs: report.stall.maxRunMs,
      stallWaitMs: report.stall.waitMs,
      p50: result.p50,
      p99: result.p99,
    };
  } catch (err) {
    await stopObserver(observer).catch(() => undefined);
    await children.discard(side);
    throw err;
  }
}
