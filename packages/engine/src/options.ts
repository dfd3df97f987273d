import type { IncomingMessage } from "node:http";
import { type Clock, systemClock } from "./clock.js";
import type { CookieOptions } from "./cookie.js";
import type { CorsOptions } from "./cors.js";
import type { SessionRouter } from "./session-router.js";
import type { WebSocketServerConstructor } from "./transports/websocket-like.js";

/** The transports this server speaks, by their `transport` query value. */
export type TransportName = "polling" | "websocket";

/** `allowRequest` answers through this callback: an error message (sent as the 403 body) or success. */
export type AllowRequestCallback = (err: string | null | undefined, success: boolean) => void;

/** gzip/deflate of polling responses. */
export interface HttpCompressionOptions {
  /** Smallest response body (bytes) worth compressing. Default: 1024. */
  threshold?: number;
}

/** Options of {@link EngineServer}. Every limit has a safe default. */
export interface EngineServerOptions {
  /** Path the engine answers under; other paths are left to the application. Default: "/engine.io/". */
  path?: string;
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
  /** Transports accepted, in order of preference. Default: ["polling", "websocket"]. */
  transports?: TransportName[];
  /** Whether polling sessions may upgrade to websocket. Default: true. */
  allowUpgrades?: boolean;
  /** Called on every handshake; answer `cb(null, true)` to accept. Default: accept all. */
  allowRequest?: (req: IncomingMessage, cb: AllowRequestCallback) => void;
  /** CORS for polling requests (socket.io's option shape). Default: false (no CORS headers). */
  cors?: CorsOptions | false;
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
  /** When set, a session that sends no message within this many milliseconds is closed ("forced close"). Default: off. */
  connectTimeout?: number;
  /** Milliseconds a closing polling session waits for the client's last poll. Default: = pingTimeout. */
  closeTimeout?: number;
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
  pingInterval: number;
  pingTimeout: number;
  upgradeTimeout: number;
  maxHttpBufferSize: number;
  maxPacketsPerPayload: number;
  transports: TransportName[];
  allowUpgrades: boolean;
  allowRequest: ((req: IncomingMessage, cb: AllowRequestCallback) => void) | undefined;
  cors: CorsOptions | false;
  cookie: CookieOptions | false;
  perMessageDeflate: boolean | Record<string, unknown>;
  httpCompressionThreshold: number | false;
  initialPacket: string | Buffer | undefined;
  maxBufferedBytes: number;
  writableHighWaterMark: number;
  connectTimeout: number | undefined;
  closeTimeout: number;
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
  const maxBufferedBytes = positive("maxBufferedBytes", options.maxBufferedBytes, 16 * 1024 * 1024);
  return {
    path,
    pingInterval: positive("pingInterval", options.pingInterval, 25000),
    pingTimeout,
    upgradeTimeout: positive("upgradeTimeout", options.upgradeTimeout, 10000),
    maxHttpBufferSize: positive("maxHttpBufferSize", options.maxHttpBufferSize, 1e6),
    maxPacketsPerPayload: positive("maxPacketsPerPayload", options.maxPacketsPerPayload, 1000),
    transports: [...transports],
    allowUpgrades: options.allowUpgrades ?? true,
    allowRequest: options.allowRequest,
    cors: options.cors ?? false,
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
    connectTimeout:
      options.connectTimeout === undefined
        ? undefined
        : positive("connectTimeout", options.connectTimeout, 0),
    closeTimeout: positive("closeTimeout", options.closeTimeout, pingTimeout),
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
