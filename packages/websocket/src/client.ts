import { randomBytes } from "node:crypto";
import type { EventEmitter } from "node:events";
import {
  type Agent,
  type ClientRequest,
  type IncomingMessage,
  request as httpRequest,
  type RequestOptions,
} from "node:http";
import { request as httpsRequest } from "node:https";
import type { Duplex } from "node:stream";
import { PerMessageDeflate } from "./deflate.js";
import {
  acceptResponse,
  clientOffer,
  concurrencyLimitOf,
  PERMESSAGE_DEFLATE,
  type PerMessageDeflateOptions,
  validateDeflateOptions,
} from "./deflate-negotiation.js";
import { handshakeError, WebSocketError } from "./errors.js";
import {
  acceptKey,
  formatExtension,
  headerHasToken,
  isToken,
  parseExtensions,
  WEBSOCKET_VERSION,
} from "./handshake.js";
import type { ConnectionSetup } from "./connection-setup.js";
import {
  DEFAULT_MAX_FRAGMENTS,
  DEFAULT_MAX_PAYLOAD,
  DEFAULT_MAX_UNPARSED_BYTES,
  limitOption,
} from "./limits.js";
import { sharedClientLimiter } from "./zlib-limiter.js";

/** Options of `new WebSocket(url, protocols, options)`. */
export interface ClientOptions {
  /** Extra request headers for the opening handshake. */
  headers?: Record<string, string>;
  /** `Origin` header to send. Default: none. */
  origin?: string;
  /** Offer permessage-deflate. Default `true` (with `client_max_window_bits`). */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Largest accepted message in bytes (after inflation); 0 disables the limit. Default 1048576 (1 MiB). */
  maxPayload?: number;
  /** Most frames one message may span; more closes with 1009. 0 disables. Default 16384. */
  maxFragments?: number;
  /** Most received bytes held unparsed before reading pauses. 0 disables. Default 65536. */
  maxUnparsedBytes?: number;
  /** Milliseconds allowed for the opening handshake. Default 30000. */
  handshakeTimeout?: number;
  /** Milliseconds to wait for the closing handshake before destroying the socket. Default 30000. */
  closeTimeout?: number;
  /** Answer pings with pongs automatically. Default `true`. */
  autoPong?: boolean;
  /** HTTP(S) agent for the handshake request. Default: none (a fresh connection, never pooled). */
  agent?: Agent;
  /** TLS (wss:) settings passed to `https.request`. */
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
  /** Creates the TCP/TLS connection for the handshake request, as `http.request` takes it. Default: Node's. */
  createConnection?: RequestOptions["createConnection"];
  /** Basic authentication, `"user:password"` (the URL's credentials win, as in `ws`). Default: none. */
  auth?: string;
  /**
   * Called instead of `req.end()` once the handshake request is set up, to add headers or a body
   * first; it must end the request itself. Default: `req.end()`.
   */
  finishRequest?: (req: ClientRequest, ws: EventEmitter) => void;
  /**
   * Fills the 4-byte masking key of each frame (e.g. zeros, to skip masking costs in a trusted
   * environment). Default: a fresh random key per frame (RFC 6455 §5.3).
   */
  generateMask?: (mask: Buffer) => void;
  /** Follow 3xx answers to the handshake (emitting `redirect(url, req)`). Default `false`. */
  followRedirects?: boolean;
  /** With `followRedirects`, the most redirects followed before failing. Default 10. */
  maxRedirects?: number;
}

export const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;
const DEFAULT_CLOSE_TIMEOUT = 30_000;

/** What the handshake reports back to the connection object, which emits `redirect`, `upgrade` and `unexpected-response`. */
export interface HandshakeTarget extends EventEmitter {
  onHandshakeOpen(socket: Duplex, head: Buffer, setup: ConnectionSetup): void;
  onHandshakeFail(error: WebSocketError): void;
  /** The handshake follows a redirect to `url`. */
  onHandshakeRedirect(url: string): void;
}

const DEFAULT_MAX_REDIRECTS = 10;

/** Request headers for another host: credentials are not passed on (as `ws` does). */
function withoutCredentials(headers: Record<string, string> | undefined): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower !== "authorization" && lower !== "cookie") kept[name] = value;
  }
  return kept;
}

function invalid(message: string): WebSocketError {
  return new WebSocketError("INVALID_ARGUMENT", message);
}

/**
 * Client side of the opening handshake (RFC 6455 §4.1): sends the upgrade request, then checks the
 * response's status, `Upgrade`, `Connection`, `Sec-WebSocket-Accept`, the chosen subprotocol and
 * extensions. Throws for a bad URL or subprotocol list; every later failure goes to `target.onHandshakeFail`.
 */
export function openClientHandshake(
  target: HandshakeTarget,
  address: string | URL,
  protocols: string | string[],
  options: ClientOptions,
  redirects = 0,
): { url: string; abort(error: WebSocketError): void } {
  let url: URL;
  try {
    url = address instanceof URL ? new URL(address.href) : new URL(address);
  } catch {
    throw invalid(`invalid URL: ${String(address)}`);
  }
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  // `ws+unix:/path/to/socket:/request/path`, as `ws` spells a Unix domain socket URL.
  const isUnix = url.protocol === "ws+unix:" || url.protocol === "wss+unix:";
  if (url.protocol !== "ws:" && url.protocol !== "wss:" && !isUnix) {
    throw invalid(`URL scheme must be ws:, wss:, ws+unix: or wss+unix:, got ${url.protocol}`);
  }
  let socketPath: string | undefined;
  let unixRequestPath = "/";
  if (isUnix) {
    const colon = url.pathname.indexOf(":");
    socketPath = colon === -1 ? url.pathname : url.pathname.slice(0, colon);
    if (colon !== -1 && colon + 1 < url.pathname.length) unixRequestPath = url.pathname.slice(colon + 1);
    if (socketPath === "") throw invalid("ws+unix: URL must name a socket path");
  }
  // RFC 6455 §3: fragments are meaningless in WebSocket URIs.
  if (url.hash !== "") throw invalid("URL must not contain a fragment");

  const offered = typeof protocols === "string" ? [protocols] : protocols;
  const seen = new Set<string>();
  for (const protocol of offered) {
    if (!isToken(protocol) || seen.has(protocol))
      throw invalid(`invalid or repeated subprotocol: ${protocol}`);
    seen.add(protocol);
  }
  const deflateOptions: PerMessageDeflateOptions | null =
    options.perMessageDeflate === false
      ? null
      : typeof options.perMessageDeflate === "object"
        ? options.perMessageDeflate
        : {};
  if (deflateOptions !== null) validateDeflateOptions(deflateOptions);
  const maxPayload = limitOption("maxPayload", options.maxPayload, DEFAULT_MAX_PAYLOAD);
  const maxFragments = limitOption("maxFragments", options.maxFragments, DEFAULT_MAX_FRAGMENTS);
  const maxUnparsedBytes = limitOption(
    "maxUnparsedBytes",
    options.maxUnparsedBytes,
    DEFAULT_MAX_UNPARSED_BYTES,
  );
  const handshakeTimeout = options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT;

  const key = randomBytes(16).toString("base64");
  const headers: Record<string, string> = {
    ...options.headers,
    "Sec-WebSocket-Version": String(WEBSOCKET_VERSION),
    "Sec-WebSocket-Key": key,
    Connection: "Upgrade",
    Upgrade: "websocket",
  };
  if (offered.length > 0) headers["Sec-WebSocket-Protocol"] = offered.join(",");
  if (deflateOptions !== null)
    headers["Sec-WebSocket-Extensions"] = formatExtension(clientOffer(deflateOptions));
  if (options.origin !== undefined) headers.Origin = options.origin;
  if (url.username !== "" || url.password !== "") {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.Authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
  } else if (options.auth !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
  }

  const secure = url.protocol === "wss:" || url.protocol === "wss+unix:";
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  // `settled`: the handshake's outcome is known (opened, failed, or handed to `unexpected-response`).
  // `finished`: the connection opened or failed; after `unexpected-response` it can still be aborted.
  let settled = false;
  let finished = false;
  let timer: NodeJS.Timeout | null = null;
  const clearTimer = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  const fail = (error: WebSocketError) => {
    if (finished) return;
    settled = true;
    finished = true;
    clearTimer();
    req.destroy();
    target.onHandshakeFail(error);
  };

  const req: ClientRequest = (secure ? httpsRequest : httpRequest)({
    ...(socketPath !== undefined
      ? { socketPath, path: `${unixRequestPath}${url.search}` }
      : {
          hostname,
          port: url.port === "" ? (secure ? 443 : 80) : Number(url.port),
          path: `${url.pathname}${url.search}`,
        }),
    createConnection: options.createConnection,
    method: "GET",
    headers,
    // No shared agent: an upgrade's socket is never pooled, not even after a non-101 keep-alive answer.
    // (With `createConnection`, Node requires no agent at all; it then opens an unpooled connection too.)
    agent: options.agent ?? (options.createConnection !== undefined ? undefined : false),
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    rejectUnauthorized: options.rejectUnauthorized,
    servername: options.servername,
  });
  timer = setTimeout(
    () => fail(new WebSocketError("HANDSHAKE_TIMEOUT", "opening handshake has timed out")),
    handshakeTimeout,
  );
  // The request's socket keeps the process alive while it matters; the timer alone must not.
  timer.unref();

  req.on("error", (error: Error) => fail(handshakeError(`handshake request failed: ${error.message}`)));
  req.on("response", (res: IncomingMessage) => {
    if (settled) return;
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (options.followRedirects === true && status >= 300 && status < 400 && location !== undefined) {
      res.resume();
      if (redirects >= (options.maxRedirects ?? DEFAULT_MAX_REDIRECTS)) {
        fail(handshakeError("Maximum redirects exceeded", status));
        return;
      }
      let next: ReturnType<typeof openClientHandshake>;
      try {
        const nextUrl = new URL(location, url);
        const nextOptions =
          nextUrl.host === url.host
            ? options
            : { ...options, headers: withoutCredentials(options.headers), auth: undefined };
        target.emit("redirect", nextUrl.href, req);
        settled = true;
        finished = true;
        clearTimer();
        req.destroy();
        next = openClientHandshake(target, nextUrl, protocols, nextOptions, redirects + 1);
      } catch (error) {
        finished = false;
        fail(handshakeError(`invalid redirect: ${(error as Error).message}`, status));
        return;
      }
      current.abort = next.abort;
      target.onHandshakeRedirect(next.url);
      return;
    }
    if (target.listenerCount("unexpected-response") > 0) {
      // The listener owns the response now; close()/terminate() still end the connection attempt.
      settled = true;
      clearTimer();
      target.emit("unexpected-response", req, res);
      return;
    }
    res.resume();
    fail(handshakeError(`Unexpected server response: ${res.statusCode}`, res.statusCode));
  });
  req.on("upgrade", (res: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (settled) {
      socket.destroy();
      return;
    }
    // Guard the socket until the connection takes it over.
    socket.on("error", () => socket.destroy());
    const reject = (reason: string) => {
      socket.destroy();
      fail(handshakeError(reason, res.statusCode));
    };
    if (!headerHasToken(res.headers.upgrade, "websocket")) return reject("invalid Upgrade header");
    if (!headerHasToken(res.headers.connection, "upgrade")) return reject("invalid Connection header");
    if (res.headers["sec-websocket-accept"] !== acceptKey(key))
      return reject("invalid Sec-WebSocket-Accept header");

    const protocol = res.headers["sec-websocket-protocol"];
    if (protocol !== undefined && !seen.has(protocol))
      return reject("server sent a subprotocol that was not offered");

    let deflate: PerMessageDeflate | null = null;
    const extensionsHeader = res.headers["sec-websocket-extensions"];
    if (extensionsHeader !== undefined) {
      const extensions = parseExtensions(extensionsHeader);
      if (extensions === null) return reject("invalid Sec-WebSocket-Extensions header");
      if (deflateOptions === null || extensions.length !== 1 || extensions[0]!.name !== PERMESSAGE_DEFLATE) {
        return reject("server accepted an extension that was not offered");
      }
      const params = acceptResponse(extensions[0]!, deflateOptions);
      if (typeof params === "string") return reject(`invalid permessage-deflate response: ${params}`);
      deflate = new PerMessageDeflate(
        params,
        false,
        deflateOptions,
        maxPayload,
        sharedClientLimiter(concurrencyLimitOf(deflateOptions)),
      );
    }

    settled = true;
    clearTimer();
    target.emit("upgrade", res);
    // close()/terminate() from an `upgrade` listener aborted the attempt: never open.
    if (finished) {
      socket.destroy();
      deflate?.close();
      return;
    }
    finished = true;
    target.onHandshakeOpen(socket, head, {
      isServer: false,
      maxPayload,
      maxFragments,
      maxUnparsedBytes,
      generateMask: options.generateMask ?? null,
      closeTimeout: options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT,
      autoPong: options.autoPong ?? true,
      protocol: protocol ?? "",
      extensions: extensionsHeader ?? "",
      deflate,
    });
  });
  if (options.finishRequest !== undefined) options.finishRequest(req, target);
  else req.end();

  // A redirect replaces the request: `abort` then reaches the newest one.
  const current = { abort: fail };
  return { url: url.href, abort: (error) => current.abort(error) };
}
