import { EngineClientError } from "./errors.js";
import { defaultTimers, type Timers } from "./timers.js";
import type { WebSocketConstructor } from "./websocket-constructor.js";

export type TransportName = "polling" | "websocket";

/** Options of the Engine.IO client. Every one is optional; defaults are listed. */
export interface EngineClientOptions {
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
  /** Transports to try, first one first. Default `["polling", "websocket"]`. */
  transports?: TransportName[];
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
    transports: opts.transports ?? ["polling", "websocket"],
    timers: opts.timers ?? defaultTimers,
  };
}
