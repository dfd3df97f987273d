// The options of the Socket.IO-compatible server, their defaults and their checks.
import type { EngineServerOptions, HttpHardeningOptions } from "@volley/engine";
import type { DecoderOptions, Parser } from "@volley/protocol";
import type { AdapterConstructor } from "./adapter.js";
import type { ExactlyOnceOptions } from "./processed-acks.js";
import type { EventRateLimitOptions } from "./rate-limiter.js";
import type { MetricsOptions } from "./prometheus.js";

/** Connection-state recovery: a client that loses its connection gets its state and missed packets back. */
export interface ConnectionStateRecoveryOptions {
  /** How long a disconnected client's session and missed packets are kept, ms. Default 120_000 (2 min). */
  maxDisconnectionDuration?: number;
  /** Skip namespace middlewares for a restored socket. Default true. */
  skipMiddlewares?: boolean;
  /** Most packets kept per namespace for replay. Default 10_000. */
  maxPackets?: number;
  /** Most bytes (encoded) kept per namespace for replay. Default 16 MiB. */
  maxBytes?: number;
  /** Clock used for expiry, injectable for tests. Default `Date.now`. */
  now?: () => number;
}

/** Options of {@link Server}: Socket.IO's plus every option of the engine. */
export interface ServerOptions extends Omit<EngineServerOptions, "path" | "connectTimeout"> {
  /** Path the server answers under. Default "/socket.io". */
  path?: string;
  /** Serve the browser client at `<path>/socket.io.js`, `.min.js` and `.esm.min.js`. Default true. */
  serveClient?: boolean;
  /** Milliseconds a new connection may take to join a namespace before it is closed. Default 45_000. */
  connectTimeout?: number;
  /** Adapter class, one instance per namespace. Default the in-memory {@link Adapter}. */
  adapter?: AdapterConstructor;
  /** Packet codec. Default the `@volley/protocol` parser. */
  parser?: Parser;
  /** Limits of the packet decoder (`maxAttachments`, `maxAckId`). Default `@volley/protocol`'s. */
  decoder?: DecoderOptions;
  /** Enables connection-state recovery (`true` = defaults). Default off. */
  connectionStateRecovery?: ConnectionStateRecoveryOptions | boolean;
  /**
   * Exactly-once processing of acknowledged emits within the recovery window, for clients that ask for it
   * (`@volley/client/exactly-once`); needs `connectionStateRecovery`. `false` refuses it. Default
   * `{ maxEmits: 1000, maxBytes: 262144 }` per session.
   */
  exactlyOnce?: ExactlyOnceOptions | boolean;
  /**
   * Remove a dynamic child namespace (created by `io.of(regex | fn)`) when its last socket leaves or its
   * only join is refused. Default `true` (Socket.IO's default is `false`): names chosen by clients must
   * not stay in memory after the clients leave.
   */
  cleanupEmptyChildNamespaces?: boolean;
  /**
   * Most dynamic child namespaces alive at once (all parent namespaces together). A client asking for a new
   * name beyond it gets a CONNECT_ERROR `too many dynamic namespaces: maxChildNamespaces (N) reached`; names
   * already alive stay joinable. Default 1000.
   */
  maxChildNamespaces?: number;
  /**
   * Per-socket incoming event rate (a token bucket on the `clock`), or `false` for none. Default
   * `{ rate: 100, burst: 200, onExceeded: "disconnect" }`; see {@link EventRateLimitOptions}.
   */
  eventRateLimit?: EventRateLimitOptions | false;
  /** Destroy upgrade requests outside `path` that nobody answered (engine.io's option). Default true. */
  destroyUpgrade?: boolean;
  /** Milliseconds before such an upgrade request is destroyed. Default 1000. */
  destroyUpgradeTimeout?: number;
  /**
   * Timeouts and the connection cap of the http.Server that Volley creates itself (`new Server(port)`,
   * `io.listen(port)`); servers you pass in are left as they are. Defaults: headersTimeout 10 s,
   * requestTimeout 30 s, keepAliveTimeout 5 s, maxConnections 100,000 (see `hardenHttpServer` in
   * `@volley/engine`). Slow clients (slowloris) are cut with 408 at the header timeout.
   */
  httpLimits?: HttpHardeningOptions;
  /**
   * Serve `io.metrics()` in the Prometheus text format at a path of the attached http server
   * (`true` = "/metrics"). Default off. Constructor only.
   */
  metrics?: MetricsOptions | boolean;
}

/** Resolved recovery settings. @internal */
export interface RecoverySettings {
  maxDisconnectionDuration: number;
  skipMiddlewares: boolean;
  maxPackets: number;
  maxBytes: number;
  now: () => number;
}

/** A path as the server keeps it: starting with "/", without a trailing "/". */
export function normalisePath(path: string): string {
  if (typeof path !== "string" || !path.startsWith("/"))
    throw new TypeError(`option path must start with "/" (got ${JSON.stringify(path)})`);
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** An option that must be a positive finite number; `fallback` when absent. */
export function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`option ${name} must be a positive finite number (got ${String(value)})`);
  }
  return value;
}

/** The recovery settings of the `connectionStateRecovery` option; undefined when off. */
export function resolveRecovery(
  opt: ConnectionStateRecoveryOptions | boolean | undefined,
): RecoverySettings | undefined {
  if (!opt) return undefined;
  const o = opt === true ? {} : opt;
  return {
    maxDisconnectionDuration: positive("maxDisconnectionDuration", o.maxDisconnectionDuration, 120_000),
    skipMiddlewares: o.skipMiddlewares ?? true,
    maxPackets: positive("maxPackets", o.maxPackets, 10_000),
    maxBytes: positive("maxBytes", o.maxBytes, 16 * 1024 * 1024),
    now: o.now ?? Date.now,
  };
}

/** Whether the first constructor argument is an http server (else it is the options). */
export function isHttpServer(value: object): boolean {
  return (
    typeof (value as { listen?: unknown }).listen === "function" &&
    typeof (value as { on?: unknown }).on === "function"
  );
}
