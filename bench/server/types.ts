// What every server under test exposes to the server child, whatever library runs underneath.
import type { ClusterOptions } from "./cluster.js";

/** Counts kept by the benchmark app inside the server process (the same app code for every library). */
export interface Counters {
  /** Messages handled by an app handler: echoes, or broadcast triggers. */
  messages: number;
  /** Messages the app asked the server to deliver (recipients of each broadcast). */
  deliveries: number;
  /** Open connections (WebSocket) or connected sockets (Socket.IO). */
  connections: number;
}

/**
 * What the app does with incoming traffic. `deflate` and `deflate-shared` are `fanout` with
 * permessage-deflate on (see {@link deflateOption}) and every broadcast sent with `compress(true)`
 * (socket.io's default flag).
 */
export type Scenario = "echo" | "fanout" | "idle" | "deflate" | "deflate-shared";

/**
 * The `perMessageDeflate` server option of a scenario, the same for every server: `deflate` is the plain
 * option (context takeover, each connection its own history); `deflate-shared` negotiates
 * `server_no_context_takeover`, the condition under which one deflate can serve every recipient.
 */
export function deflateOption(scenario: Scenario): boolean | { serverNoContextTakeover: true } {
  if (scenario === "deflate-shared") return { serverNoContextTakeover: true };
  return scenario === "deflate";
}

/** What answering metrics scrapes cost a server (measured around its request handler). */
export interface ScrapeStats {
  served: number;
  cpuUs: number;
}

/** A running server under test. */
export interface ServerUnderTest {
  readonly port: number;
  /** Cluster rows: servers of the cluster this one counts (itself included), as its adapter sees them. */
  serverCount?(): Promise<number>;
  /** Observed servers: metrics scrapes answered since the start, and the CPU their handler took. */
  scrapeStats?(): ScrapeStats;
  close(): Promise<void>;
}

/**
 * Starts one library's server on 127.0.0.1:0 with the benchmark app for `scenario`; with `cluster`, as one
 * node of a cluster on that Redis, through the library's Redis adapter.
 */
export type StartServer = (
  scenario: Scenario,
  counters: Counters,
  cluster?: ClusterOptions,
) => Promise<ServerUnderTest>;

/** The libraries the bench knows; `volley-*` import the workspace sources. */
/** `ws-floor`: the Socket.IO app on bare `ws` with a hand-written minimum of the protocols (the floor). */
/** `volley-observed`: `volley` as a production app runs it — metrics served, a debug logger installed, off. */
/** `net-floor`: the floor's app and protocols serving long-polling on node:net with its own HTTP/1.1. */
export const IMPLS = [
  "ws",
  "volley-ws",
  "socket.io",
  "volley",
  "ws-floor",
  "volley-observed",
  "net-floor",
] as const;
export type Impl = (typeof IMPLS)[number];
