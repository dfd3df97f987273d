import type { IncomingMessage } from "node:http";
import { AddressSet } from "./client-address.js";
import { type Clock, systemClock } from "./clock.js";
import type { CookieOptions } from "./cookie.js";
import type { CorsOptions, CorsOptionsDelegate } from "./cors.js";
import { type AllowedOrigins, type OriginCheck, originCheck } from "./origin-check.js";
import type { RateLimit } from "./token-bucket.js";
import type { SessionRouter } from "./session-router.js";
import type { WebSocketServerConstructor } from "./transports/websocket-like.js";
import { FLUSH_SLICE_MS } from "./flush-queue.js";
import type { OwedCloseHintsOptions } from "./owed-close-hints.js";

/** The transports this server speaks, by their `transport` query value. */
export type TransportName = "polling" | "websocket";

/** `allowRequest` answers through this callback: an error message (sent as the 403 body) or success. */
export type AllowRequestCallback = (err: string | null | undefined, success: boolean) => void;

/** gzip/deflate of polling responses. */
export interface HttpCompressionOptions {
  /** Smallest response body (bytes) worth compressing. Default: 1024. */
  threshold?: number;
}

/** Handshake rate limits (token buckets); `false` turns one off. */
export interface HandshakeRateOptions {
  /** Per client address (IPv6 by /64). Default: `{ rate: 10, burst: 50 }`; over it: HTTP 429. */
  perAddress?: RateLimit | false;
  /** All handshakes of this engine. Default: `{ rate: 1000, burst: 2000 }`; over it: HTTP 503. */
  total?: RateLimit | false;
}

/** Options of {@link EngineServer}. Every limit has a safe default. */
export interface EngineServerOptions {
  /** Path the engine answers under; other paths are left to the application. Default: "/engine.io/". */
  path?: string;
  /**
   * Match every pathname under `path` + "/" (engine.io's default); `false` matches every pathname starting
   * with `path`. Default: true.
   */
  addTrailingSlash?: boolean;
  /** Milliseconds between two server pings. Default: 25000. */
  pingInterval?: number;
  /** Milliseconds to wait for the pong before closing with "ping timeout". Default: 20000. */
  pingTimeout?: number;
  /** Milliseconds a polling → websocket upgrade may take before it is abandoned. Default: 10000. */
  upgradeTimeout?: number;
  /** Largest polling POST body and WebSocket message, in bytes (announced as `maxPayload`). Default: 1e6. */
  maxHttpBufferSize?: number;
  /** Most packets accepted in one polling POST body. Default: 1000. */
  maxPacketsPerPayload?: number;
  /**
   * Bytes of an oversized polling POST (over `maxHttpBufferSize`) read and dropped so the client sees the 413
   * instead of a reset connection. Past it the 413 is written at once and the connection cut. Default: 8 MiB.
   */
  maxDiscardBytes?: number;
  /**
   * Milliseconds an oversized polling POST may keep uploading (its body dropped) before the 413 is written
   * and the connection cut. Default: 10000.
   */
  discardTimeout?: number;
  /** Most open sessions; a handshake beyond it gets HTTP 503 with `Retry-After`. Default: 50000. `Infinity` turns it off. */
  maxConnections?: number;
  /**
   * Most open sessions per client address (IPv6 by /64; see `trustedProxies`); a handshake beyond it gets
   * HTTP 429 with `Retry-After`. Default: 100. `Infinity` turns it off.
   */
  maxConnectionsPerAddress?: number;
  /** Handshake rate limits, per address and total; `false` turns both off. Default: see {@link HandshakeRateOptions}. */
  handshakeRate?: HandshakeRateOptions | false;
  /**
   * Addresses/CIDR ranges of reverse proxies whose `X-Forwarded-For` names the client (read from the right,
   * past every trusted hop). Default: [] (the header is ignored; the TCP peer is the client).
   */
  trustedProxies?: string[];
  /**
   * Client addresses/CIDR ranges exempt from the per-address limits and the handshake rates (not from
   * `maxConnections`). Default: ["127.0.0.0/8", "::1"] (local tools, tests, a local proxy not yet trusted).
   */
  exemptAddresses?: string[];
  /** The `Retry-After` hint (ms, sent in whole seconds) of a refusal by a connection cap. Default: 5000. */
  connectionRetryAfter?: number;
  /** Transports accepted, in order of preference. Default: ["polling", "websocket"]. */
  transports?: TransportName[];
  /**
   * Also accept Engine.IO protocol 3 clients (`EIO=3`: Socket.IO v2-era clients, engine.io-client 3). Off, an
   * `EIO=3` request is refused as engine.io refuses it (400, "Unsupported protocol version"). Default: false.
   */
  allowEIO3?: boolean;
  /** Whether polling sessions may upgrade to websocket. Default: true. */
  allowUpgrades?: boolean;
  /** Called on every handshake; answer `cb(null, true)` to accept. Default: accept all. */
  allowRequest?: (req: IncomingMessage, cb: AllowRequestCallback) => void;
  /**
   * CORS for polling requests (socket.io's option shape), or a delegate `(req, cb) => cb(null, options)`
   * deciding per request (engine.io's). Also the default of `allowedOrigins`. Default: false (no CORS headers).
   */
  cors?: CorsOptions | CorsOptionsDelegate | false;
  /**
   * Origins allowed to open a WebSocket (checked on every upgrade; refusal: HTTP 403 `{"code":4,...}`): a
   * string, RegExp or array of them, `"*"`/`true` for any, or `(origin, req) => boolean | Promise<boolean>`.
   * Requests without `Origin` and same-origin ones pass, except with the function form. Default: the
   * origins of `cors.origin` (no check without `cors` or when it allows any origin).
   */
  allowedOrigins?: AllowedOrigins;
  /** Session cookie set on the handshake response. `true` means the defaults of {@link CookieOptions}. Default: false. */
  cookie?: CookieOptions | boolean;
  /** permessage-deflate for the websocket transport (passed to the WebSocket server). Default: false. */
  perMessageDeflate?: boolean | Record<string, unknown>;
  /** Compression of polling responses; `true` means `{ threshold: 1024 }`. Default: true. */
  httpCompression?: boolean | HttpCompressionOptions;
  /** A message packet sent right after the open packet of every session. Default: none. */
  initialPacket?: string | Buffer;
  /** Bytes a session may hold queued for its client; above it the session closes with "slow consumer". Default: 16 MiB. */
  maxBufferedBytes?: number;
  /** Queued bytes above which `session.writable` turns false (volatile packets get dropped). Default: 1 MiB. */
  writableHighWaterMark?: number;
  /**
   * Milliseconds of writing queued packets (a broadcast to thousands of sessions) before the event loop gets
   * a turn; the rest goes out in the next turns, so timers and I/O are not held up. Default: 10.
   */
  flushSliceMs?: number;
  /** When set, a session that sends no message within this many milliseconds is closed ("forced close"). Default: off. */
  connectTimeout?: number;
  /** Milliseconds a closing polling session waits for the client's last poll. Default: = pingTimeout. */
  closeTimeout?: number;
  /**
   * A polling session closed with a close hint while no poll of its client was waiting: the hint and the close
   * packet are kept for that client's next poll (instead of 400 "Session ID unknown"), at most `max` of them,
   * each for `ttl` ms. `false` (or `max`/`ttl` 0) turns it off. Default: `{ max: 1000, ttl: pingInterval +
   * pingTimeout }`.
   */
  owedCloseHints?: OwedCloseHintsOptions | false;
  /** WebSocket server implementation (`ws`'s API). Default: `@volley/websocket`'s WebSocketServer. */
  wsEngine?: WebSocketServerConstructor;
  /**
   * Time source of every engine timer (heartbeats, upgrade/close/connect timeouts), for fake timers in tests.
   * Default: Node's `setTimeout`/`clearTimeout` and `performance.now()`.
   */
  clock?: Clock;
  /**
   * Scale-out without sticky sessions: makes session ids and forwards requests for sessions held by
   * another server (see {@link SessionRouter}). Default: none (ids are random; an unknown sid gets 400).
   */
  sessionRouter?: SessionRouter;
}

/** Options with every default filled in; what the rest of the engine reads. */
export interface ResolvedOptions {
  path: string;
  /** What a request's pathname must start with (see `addTrailingSlash`). */
  pathPrefix: string;
  pingInterval: number;
  pingTimeout: number;
  upgradeTimeout: number;
  maxHttpBufferSize: number;
  maxPacketsPerPayload: number;
  maxDiscardBytes: number;
  discardTimeout: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  handshakeRatePerAddress: RateLimit | false;
  handshakeRateTotal: RateLimit | false;
  trustedProxies: AddressSet;
  exemptAddresses: AddressSet;
  connectionRetryAfter: number;
  transports: TransportName[];
  allowEIO3: boolean;
  allowUpgrades: boolean;
  allowRequest: ((req: IncomingMessage, cb: AllowRequestCallback) => void) | undefined;
  cors: CorsOptions | CorsOptionsDelegate | false;
  /** Undefined when every origin may open a WebSocket. */
  originCheck: OriginCheck | undefined;
  cookie: CookieOptions | false;
  perMessageDeflate: boolean | Record<string, unknown>;
  httpCompressionThreshold: number | false;
  initialPacket: string | Buffer | undefined;
  maxBufferedBytes: number;
  writableHighWaterMark: number;
  flushSliceMs: number;
  connectTimeout: number | undefined;
  closeTimeout: number;
  /** False when off. */
  owedCloseHints: { max: number; ttl: number } | false;
  wsEngine: WebSocketServerConstructor | undefined;
  clock: Clock;
  sessionRouter: SessionRouter | undefined;
}

const TRANSPORTS: readonly TransportName[] = ["polling", "websocket"];

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`option ${name} must be a positive finite number (got ${String(value)})`);
  }
  return value;
}

/** A cap that may be `Infinity` (off). */
function cap(name: string, value: number | undefined, fallback: number): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  return positive(name, value, fallback);
}

function rateLimit(
  name: string,
  value: RateLimit | false | undefined,
  fallback: RateLimit,
): RateLimit | false {
  if (value === false) return false;
  if (value === undefined) return fallback;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`option ${name} must be { rate, burst } or false`);
  }
  const burst = positive(`${name}.burst`, value.burst, fallback.burst);
  if (burst < 1) throw new TypeError(`option ${name}.burst must be at least 1 (got ${burst})`);
  return { rate: positive(`${name}.rate`, value.rate, fallback.rate), burst };
}

/** Checks every option in one place; throws a TypeError naming the option on a bad value. */
export function resolveOptions(options: EngineServerOptions = {}): ResolvedOptions {
  const pingTimeout = positive("pingTimeout", options.pingTimeout, 20000);
  const transports = options.transports ?? ["polling", "websocket"];
  if (!Array.isArray(transports) || transports.length === 0) {
    throw new TypeError("option transports must be a non-empty array");
  }
  for (const t of transports) {
    if (!TRANSPORTS.includes(t))
      throw new TypeError(`option transports: unknown transport ${JSON.stringify(t)}`);
  }
  let path = options.path ?? "/engine.io/";
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(`option path must start with "/" (got ${JSON.stringify(path)})`);
  }
  // Matched with or without its trailing slash; stored without it.
  if (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  const compression = options.httpCompression ?? true;
  const cookie = options.cookie ?? false;
  const handshakeRate = options.handshakeRate ?? {};
  if (handshakeRate !== false && (typeof handshakeRate !== "object" || handshakeRate === null)) {
    throw new TypeError("option handshakeRate must be { perAddress?, total? } or false");
  }
  const maxBufferedBytes = positive("maxBufferedBytes", options.maxBufferedBytes, 16 * 1024 * 1024);
  const pingInterval = positive("pingInterval", options.pingInterval, 25000);
  const pathPrefix = options.addTrailingSlash === false || path.endsWith("/") ? path : `${path}/`;
  return {
    path,
    pathPrefix,
    pingInterval,
    pingTimeout,
    upgradeTimeout: positive("upgradeTimeout", options.upgradeTimeout, 10000),
    maxHttpBufferSize: positive("maxHttpBufferSize", options.maxHttpBufferSize, 1e6),
    maxPacketsPerPayload: positive("maxPacketsPerPayload", options.maxPacketsPerPayload, 1000),
    maxDiscardBytes: positive("maxDiscardBytes", options.maxDiscardBytes, 8 * 1024 * 1024),
    discardTimeout: positive("discardTimeout", options.discardTimeout, 10000),
    maxConnections: cap("maxConnections", options.maxConnections, 50000),
    maxConnectionsPerAddress: cap("maxConnectionsPerAddress", options.maxConnectionsPerAddress, 100),
    handshakeRatePerAddress:
      handshakeRate === false
        ? false
        : rateLimit("handshakeRate.perAddress", handshakeRate.perAddress, { rate: 10, burst: 50 }),
    handshakeRateTotal:
      handshakeRate === false
        ? false
        : rateLimit("handshakeRate.total", handshakeRate.total, { rate: 1000, burst: 2000 }),
    trustedProxies: new AddressSet(options.trustedProxies ?? [], "trustedProxies"),
    exemptAddresses: new AddressSet(options.exemptAddresses ?? ["127.0.0.0/8", "::1"], "exemptAddresses"),
    connectionRetryAfter: positive("connectionRetryAfter", options.connectionRetryAfter, 5000),
    transports: [...transports],
    allowEIO3: options.allowEIO3 === true,
    allowUpgrades: options.allowUpgrades ?? true,
    allowRequest: options.allowRequest,
    cors: options.cors ?? false,
    originCheck: originCheck(options.allowedOrigins, options.cors ?? false),
    cookie: cookie === true ? {} : cookie,
    perMessageDeflate: options.perMessageDeflate ?? false,
    httpCompressionThreshold:
      compression === false ? false : compression === true ? 1024 : (compression.threshold ?? 1024),
    initialPacket: options.initialPacket,
    maxBufferedBytes,
    writableHighWaterMark: Math.min(
      positive("writableHighWaterMark", options.writableHighWaterMark, 1024 * 1024),
      maxBufferedBytes,
    ),
    flushSliceMs: positive("flushSliceMs", options.flushSliceMs, FLUSH_SLICE_MS),
    connectTimeout:
      options.connectTimeout === undefined
        ? undefined
        : positive("connectTimeout", options.connectTimeout, 0),
    closeTimeout: positive("closeTimeout", options.closeTimeout, pingTimeout),
    owedCloseHints: resolveOwedCloseHints(options.owedCloseHints, pingInterval + pingTimeout),
    wsEngine: options.wsEngine,
    clock: resolveClock(options.clock),
    sessionRouter: resolveSessionRouter(options.sessionRouter),
  };
}

function resolveClock(clock: Clock | undefined): Clock {
  if (clock === undefined) return systemClock;
  if (
    typeof clock !== "object" ||
    clock === null ||
    typeof clock.now !== "function" ||
    typeof clock.setTimeout !== "function" ||
    typeof clock.clearTimeout !== "function"
  ) {
    throw new TypeError("option clock must have now(), setTimeout() and clearTimeout() functions");
  }
  return clock;
}

function resolveSessionRouter(router: SessionRouter | undefined): SessionRouter | undefined {
  if (router === undefined) return undefined;
  if (
    typeof router !== "object" ||
    router === null ||
    typeof router.generateId !== "function" ||
    typeof router.forwardRequest !== "function" ||
    typeof router.forwardUpgrade !== "function"
  ) {
    throw new TypeError(
      "option sessionRouter must have generateId(), forwardRequest() and forwardUpgrade() functions",
    );
  }
  return router;
}

function resolveOwedCloseHints(
  value: OwedCloseHintsOptions | false | undefined,
  defaultTtl: number,
): { max: number; ttl: number } | false {
  if (value === false) return false;
  if (value !== undefined && (typeof value !== "object" || value === null)) {
    throw new TypeError("option owedCloseHints must be { max?, ttl? } or false");
  }
  const max = Math.floor(nonNegative("owedCloseHints.max", value?.max, 1000));
  const ttl = nonNegative("owedCloseHints.ttl", value?.ttl, defaultTtl);
  return max === 0 || ttl === 0 ? false : { max, ttl };
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`option ${name} must be a finite number ≥ 0 (got ${String(value)})`);
  }
  return value;
}
