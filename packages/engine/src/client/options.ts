import { EngineClientError } from "./errors.js";
import { defaultTimers, type Timers } from "./timers.js";
import { isNode, type WebSocketConstructor } from "./websocket-constructor.js";

export type TransportName = "polling" | "websocket";

/** A transport class (`PollingTransport`, `WebSocketTransport`, exported as socket.io-client names them). */
export interface TransportClass {
  prototype: { readonly name: TransportName };
}

/** Node TLS settings for `https:`/`wss:` (as `tls.connect` takes them). Browsers ignore them. */
export interface TlsOptions {
  /** Certificate authorities to trust (PEM). Default: Node's bundled list. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** Client certificate chain (PEM). Default none. */
  cert?: string | Uint8Array | Array<string | Uint8Array>;
  /** Client private key (PEM). Default none. */
  key?: string | Uint8Array | Array<string | Uint8Array>;
  /** Client key and certificate as PKCS#12. Default none. */
  pfx?: string | Uint8Array | Array<string | Uint8Array>;
  /** Passphrase of `key` or `pfx`. Default none. */
  passphrase?: string;
  /** Refuse a server certificate not signed by a trusted CA. Default `true`. */
  rejectUnauthorized?: boolean;
}

/** Options of the Engine.IO client. Every one is optional; defaults are listed. */
export interface EngineClientOptions extends TlsOptions {
  /** Server host name, overriding the URL's. */
  hostname?: string;
  /** Server port, overriding the URL's. */
  port?: string | number;
  /** `https`/`wss` instead of `http`/`ws`, overriding the URL's. */
  secure?: boolean;
  /** Path the server listens on. Default `"/engine.io"`. */
  path?: string;
  /** Append a `/` to `path` (the official server expects it). Default `true`. */
  addTrailingSlash?: boolean;
  /** Extra query parameters on every request. Default none. */
  query?: Record<string, string> | string;
  /** Transports to try, first one first, by name or class. Default `["polling", "websocket"]`. */
  transports?: Array<TransportName | TransportClass>;
  /** When a transport fails to open, try the next one of `transports` instead of failing. Default `false`. */
  tryAllTransports?: boolean;
  /** Options that apply to one transport only, by name: `{ polling: { extraHeaders } }`. Default none. */
  transportOptions?: { [name in TransportName]?: TransportOptions };
  /**
   * Polling: abort an HTTP request (then a `POLL_ERROR`/`POST_ERROR` with description `"timeout"`) after
   * this many ms. Must exceed the server's `pingInterval`, which a poll may wait. Default none.
   */
  requestTimeout?: number;
  /** Node: an `http.Agent`/`https.Agent` for polling requests and the WebSocket handshake. Default Node's. */
  agent?: unknown;
  /** Node: let the process exit while connected (heartbeat and reconnection timers and sockets unref'd). Default `false`. */
  autoUnref?: boolean;
  /** Probe and upgrade to WebSocket after connecting by polling. Default `true`. */
  upgrade?: boolean;
  /** Start with WebSocket when the previous connection upgraded to it successfully. Default `false`. */
  rememberUpgrade?: boolean;
  /** Send binary as base64 text over WebSocket too. Default `false`. */
  forceBase64?: boolean;
  /** Add a unique `t` query parameter to each request. Default: on for polling, off for WebSocket. */
  timestampRequests?: boolean;
  /** Name of that parameter. Default `"t"`. */
  timestampParam?: string;
  /** Polling: send cookies cross-origin (`fetch` credentials `"include"`). Default `false`. */
  withCredentials?: boolean;
  /**
   * Node, with `withCredentials`: the cookies kept from the server's `Set-Cookie` answers (name → value) and
   * sent back on polling requests and the WebSocket upgrade (sticky sessions). Default: a new jar per Manager
   * (per EngineClient when used alone).
   */
  cookies?: Map<string, string>;
  /** Extra HTTP headers on polling requests and the WebSocket handshake (Node; browsers may refuse some). */
  extraHeaders?: Record<string, string>;
  /** Browser: close the connection silently on `beforeunload`. Default `false`. */
  closeOnBeforeunload?: boolean;
  /** WebSocket subprotocols. Default none. */
  protocols?: string | string[];
  /** Node: permessage-deflate offer passed to the WebSocket. Default: the WebSocket's own default. */
  perMessageDeflate?: unknown;
  /** WebSocket implementation. Default: the browser's, or `@volley/websocket` in Node. */
  WebSocket?: WebSocketConstructor;
  /** Timer functions for heartbeats (tests inject mock timers). Default: the platform's. */
  timers?: Timers;
}

/** The options `transportOptions` may set for one transport (not those that shape the session). */
export type TransportOptions = Omit<
  EngineClientOptions,
  | "hostname"
  | "port"
  | "secure"
  | "path"
  | "addTrailingSlash"
  | "query"
  | "transports"
  | "transportOptions"
  | "tryAllTransports"
  | "upgrade"
  | "rememberUpgrade"
  | "timers"
>;

/**
 * The options with the URL merged in. Options without a value here keep their default where they are
 * read (`upgrade !== false`), so the browser bundle spells each option name once.
 */
export interface ResolvedOptions extends EngineClientOptions {
  secure: boolean;
  /** `hostname[:port]`, IPv6 in brackets. */
  host: string;
  /** The path, with a leading (and unless disabled, a trailing) slash. */
  path: string;
  /** The URL's query and the `query` option, encoded. */
  query: string;
  transports: TransportName[];
  timers: Timers;
}

/** Timers whose handles do not keep Node's event loop alive (`autoUnref`). */
export const unrefTimers = (timers: Timers): Timers => ({
  ...timers,
  setTimeout(callback, ms) {
    const handle = timers.setTimeout(callback, ms) as { unref?(): void } | undefined;
    handle?.unref?.();
    return handle;
  },
});

/** Merges the URL (absolute, or relative to the page in a browser) with the options. */
export function resolveOptions(uri: string | undefined, opts: EngineClientOptions): ResolvedOptions {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  let url: URL;
  try {
    url = new URL(uri ?? base ?? "", base);
  } catch {
    throw new EngineClientError("INVALID_URI", uri);
  }
  const secure = opts.secure ?? /^(http|w)s:/.test(url.protocol);
  let host = opts.hostname ?? url.hostname;
  if (host.includes(":") && host[0] !== "[") host = `[${host}]`;
  const port = String(opts.port ?? url.port);
  if (port && port !== (secure ? "443" : "80")) host += `:${port}`;
  let path = opts.path ?? "/engine.io";
  if (path[0] !== "/") path = `/${path}`;
  if (opts.addTrailingSlash !== false && !path.endsWith("/")) path += "/";
  const query = url.searchParams;
  for (const [key, value] of new URLSearchParams(opts.query)) query.set(key, value);
  return {
    ...opts,
    secure,
    host,
    path,
    query: `${query}`,
    transports: (opts.transports ?? ["polling", "websocket"]).map((t) =>
      typeof t === "string" ? t : t.prototype.name,
    ),
    timers:
      isNode && opts.autoUnref ? unrefTimers(opts.timers ?? defaultTimers) : (opts.timers ?? defaultTimers),
    ...(isNode && opts.withCredentials && { cookies: opts.cookies ?? new Map() }),
  };
}
