// `volley` (the Socket.IO-compatible server) running the same app as socketio-reference.ts; as a cluster
// node with `@volley/redis-adapter`. Loaded by name at run time and typed by the members the bench uses, so
// their changing types cannot break the bench.
import { type ClusterOptions, connectRedisPair, type RedisPair } from "./cluster.js";
import { createTrackedHttpServer } from "./http.js";
import { type AppLogger, attachSioApp, type SioServerLike } from "./sio-app.js";
import type { Server } from "node:http";
import {
  type Counters,
  deflateOption,
  type Scenario,
  type ScrapeStats,
  type ServerUnderTest,
} from "./types.js";

interface VolleyAdapter {
  serverCount(): Promise<number>;
  whenJoined?(): Promise<void>;
}
interface VolleyServer extends SioServerLike {
  close(): unknown;

  of(name: string): { adapter: VolleyAdapter };
}
interface VolleyModule {
  Server: new (http: unknown, options?: Record<string, unknown>) => VolleyServer;
}
interface VolleyRedisAdapterModule {
  createAdapter(pub: unknown, sub: unknown, options?: Record<string, unknown>): unknown;
}

const MODULE = "volley";
const ADAPTER_MODULE = "@volley/redis-adapter";

/** What the observed variant adds to the plain server (volley-observed.ts). */
export interface Observation {
  /** Server options merged over the bench's (`metrics`). */
  options: Record<string, unknown>;
  /** The app's own debug logger, guarded at every handler. */
  log: AppLogger;
  /** Called with the http server once Volley's request listener is on it. */
  instrument(http: Server): void;
  scrapeStats(): ScrapeStats;
}

export async function startVolleyServer(
  scenario: Scenario,
  counters: Counters,
  cluster?: ClusterOptions,
  observation?: Observation,
): Promise<ServerUnderTest> {
  const mod = (await import(MODULE)) as VolleyModule;
  if (typeof mod.Server !== "function") throw new Error(`${MODULE} does not export Server`);
  const http = createTrackedHttpServer();
  // The load generator sends as fast as it can, beyond a public server's per-socket event rate; socket.io has
  // no such limit, so the comparison runs without it.
  const options: Record<string, unknown> = {
    serveClient: false,
    eventRateLimit: false,
    perMessageDeflate: deflateOption(scenario),
    ...observation?.options,
  };
  let redis: RedisPair | undefined;
  if (cluster) {
    const adapterMod = (await import(ADAPTER_MODULE)) as VolleyRedisAdapterModule;
    redis = await connectRedisPair(cluster.redisPort);
    options.adapter = adapterMod.createAdapter(redis.pub, redis.sub, { key: cluster.key });
  }
  const io = new mod.Server(http.server, options);
  observation?.instrument(http.server);
  attachSioApp(io, scenario, counters, observation?.log);
  const adapter = io.of("/").adapter;
  // A node reports itself ready only once Redis has confirmed its subscriptions (adapter README, "Joining").
  if (cluster) await adapter.whenJoined?.();
  const port = await http.listen();
  return {
    port,
    serverCount: cluster ? () => adapter.serverCount() : undefined,
    scrapeStats: observation?.scrapeStats,
    close: async () => {
      await io.close();
      await http.close();
      await redis?.quit();
    },
  };
}
