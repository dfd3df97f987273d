import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server as HttpServer, STATUS_CODES } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { PerMessageDeflate } from "./deflate.js";
import {
  acceptOffer,
  concurrencyLimitOf,
  type PerMessageDeflateOptions,
  validateDeflateOptions,
} from "./deflate-negotiation.js";
import { WebSocketError } from "./errors.js";
import { acceptKey, formatExtension, parseExtensions } from "./handshake.js";
import {
  DEFAULT_MAX_FRAGMENTS,
  DEFAULT_MAX_PAYLOAD,
  DEFAULT_MAX_UNPARSED_BYTES,
  limitOption,
} from "./limits.js";
import { DEFAULT_CLOSE_TIMEOUT, WebSocket } from "./websocket.js";
import { ZlibLimiter } from "./zlib-limiter.js";
import { abortHandshake, checkUpgradeRequest, chooseSubprotocol, destroySocket } from "./server-handshake.js";
import { debug } from "./debug-loggers.js";

/** What `verifyClient` is given. */
export interface VerifyClientInfo {
  origin: string | undefined;
  secure: boolean;
  req: IncomingMessage;
}

/**
 * Accepts or rejects a handshake. Synchronous form: return true to accept. Asynchronous form (two
 * parameters): call `done(accept, code = 401, message, headers)`.
 */
export type VerifyClient =
  | ((info: VerifyClientInfo) => boolean)
  | ((
      info: VerifyClientInfo,
      done: (accept: boolean, code?: number, message?: string, headers?: Record<string, string>) => void,
    ) => void);

/** Options of `new WebSocketServer(options)`. Exactly one of `port`, `server`, `noServer`. */
export interface WebSocketServerOptions {
  /** Create an HTTP server listening on this port (0: any free port). */
  port?: number;
  /** Host to listen on with `port`. Default: Node's (all interfaces). */
  host?: string;
  /** Listen backlog with `port`. Default: Node's. */
  backlog?: number;
  /** Attach to this existing HTTP(S) server's `upgrade` event. */
  server?: HttpServer | HttpsServer;
  /** Attach to nothing: call `handleUpgrade` yourself. */
  noServer?: boolean;
  /** Accept only upgrades whose path (without query) equals this. Default: any path. */
  path?: string;
  /** Largest accepted message in bytes (after inflation); 0 disables the limit. Default 1048576 (1 MiB). */
  maxPayload?: number;
  /**
   * Most frames one message may be split into; more closes the connection with 1009
   * (`message exceeds maxFragments (16384 frames)`). 0 disables the limit. Default 16384.
   */
  maxFragments?: number;
  /**
   * Most received bytes a connection holds unparsed (input arriving while a compressed frame is
   * inflated); past it the socket is paused until the parser catches up. 0 disables. Default 65536.
   */
  maxUnparsedBytes?: number;
  /** Accept permessage-deflate (RFC 7692). Default `false` (it costs ~300 KB of zlib state per connection). */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** Picks a subprotocol from the client's list; return false for none. Default: the first offered. */
  handleProtocols?: (protocols: Set<string>, req: IncomingMessage) => string | false;
  /** Accepts or rejects each handshake before it completes. Default: accept all. */
  verifyClient?: VerifyClient;
  /** Keep open connections in `clients`. Default `true`. */
  clientTracking?: boolean;
  /** Milliseconds to wait for the closing handshake before destroying a socket. Default 30000. */
  closeTimeout?: number;
  /** Answer pings with pongs automatically. Default `true`. */
  autoPong?: boolean;
}

const RUNNING = 0;
const CLOSING = 1;
const CLOSED = 2;

/**
 * A WebSocket server (RFC 6455 §4.2) with `ws`'s API. Events: `connection(ws, req)`, `listening`,
 * `headers(lines, req)` (the 101 response, still editable), `error(err)` (of the HTTP server it
 * created or attached to), `close`.
 *
 * A bad handshake is answered with an HTTP error and a short reason, the socket is destroyed, and
 * nothing reaches the application.
 */
export class WebSocketServer extends EventEmitter {
  /** Open connections, when `clientTracking` is on. */
  readonly clients: Set<WebSocket>;
  readonly options: Readonly<WebSocketServerOptions>;
  private readonly maxPayload: number;
  private readonly maxFragments: number;
  private readonly maxUnparsedBytes: number;
  private readonly deflateOptions: PerMessageDeflateOptions | null;
  /** Caps zlib work across this server's connections (`perMessageDeflate.concurrencyLimit`). */
  private readonly zlibLimiter: ZlibLimiter | null = null;
  private server: HttpServer | HttpsServer | null = null;
  private readonly ownsServer: boolean;
  private state = RUNNING;
  private readonly detach: (() => void) | null = null;

  constructor(options: WebSocketServerOptions, callback?: () => void) {
    super();
    const modes = [options.port !== undefined, options.server !== undefined, options.noServer === true];
    if (modes.filter(Boolean).length !== 1) {
      throw new WebSocketError(
        "INVALID_ARGUMENT",
        'exactly one of "port", "server" or "noServer" must be given',
      );
    }
    this.options = options;
    this.maxPayload = limitOption("maxPayload", options.maxPayload, DEFAULT_MAX_PAYLOAD);
    this.maxFragments = limitOption("maxFragments", options.maxFragments, DEFAULT_MAX_FRAGMENTS);
    this.maxUnparsedBytes = limitOption(
      "maxUnparsedBytes",
      options.maxUnparsedBytes,
      DEFAULT_MAX_UNPARSED_BYTES,
    );
    this.deflateOptions =
      options.perMessageDeflate === true ? {} : options.perMessageDeflate ? options.perMessageDeflate : null;
    if (this.deflateOptions !== null) {
      validateDeflateOptions(this.deflateOptions);
      this.zlibLimiter = new ZlibLimiter(concurrencyLimitOf(this.deflateOptions));
    }
    this.clients = new Set();
    this.ownsServer = options.port !== undefined;

    if (options.port !== undefined) {
      // A plain HTTP request to a WebSocket-only server: RFC 7231 426.
      this.server = createServer((_req, res) => {
        const body = STATUS_CODES[426]!;
        res.writeHead(426, {
          "Content-Type": "text/plain",
          "Content-Length": body.length,
          Upgrade: "websocket",
        });
        res.end(body);
      });
      this.server.listen(options.port, options.host, options.backlog, callback);
    } else if (options.server !== undefined) {
      this.server = options.server;
    }
    if (this.server !== null) {
      const server = this.server;
      const onListening = () => this.emit("listening");
      const onError = (error: Error) => this.emit("error", error);
      const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (!this.shouldHandle(req)) {
          // Another listener may serve this path; if there is none, say so rather than hang.
          if (server.listenerCount("upgrade") === 1)
            abortHandshake(socket, { status: 400, message: "Invalid path" });
          return;
        }
        this.handleUpgrade(req, socket, head, (ws) => this.emit("connection", ws, req));
      };
      server.on("listening", onListening);
      server.on("error", onError);
      server.on("upgrade", onUpgrade);
      this.detach = () => {
        server.off("listening", onListening);
        server.off("error", onError);
        server.off("upgrade", onUpgrade);
      };
    }
  }

  /** The address of the server it created or attached to; null with `noServer`. */
  address(): AddressInfo | string | null {
    return this.server?.address() ?? null;
  }

  /** Whether `req` is for this server (`path` check). */
  shouldHandle(req: IncomingMessage): boolean {
    const path = this.options.path;
    if (path === undefined) return true;
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    return (query === -1 ? url : url.slice(0, query)) === path;
  }

  /**
   * Completes (or rejects) the opening handshake on an upgrade request and calls `cb` with the open
   * connection. Rejections answer with an HTTP status and reason and destroy the socket; `cb` is then
   * never called.
   */
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    cb: (ws: WebSocket, req: IncomingMessage) => void,
  ): void {
    // Until the connection owns the socket, a network error only destroys it.
    socket.on("error", destroySocket);
    if (this.state !== RUNNING) {
      abortHandshake(socket, { status: 503, message: "Server is closing" });
      return;
    }
    const rejection = checkUpgradeRequest(req, this, this.deflateOptions !== null);
    if (rejection !== null) {
      abortHandshake(socket, rejection);
      return;
    }
    const verifyClient = this.options.verifyClient;
    if (verifyClient === undefined) {
      this.completeUpgrade(req, socket, head, cb);
      return;
    }
    const info: VerifyClientInfo = {
      origin: req.headers.origin,
      secure: Boolean((req.socket as { encrypted?: boolean }).encrypted),
      req,
    };
    if (verifyClient.length === 2) {
      let called = false;
      (verifyClient as (info: VerifyClientInfo, done: (...args: never[]) => void) => void)(
        info,
        (accept: boolean, code = 401, message?: string, headers?: Record<string, string>) => {
          if (called) return;
          called = true;
          if (accept) this.completeUpgrade(req, socket, head, cb);
          else
            abortHandshake(socket, {
              status: code,
              message: message ?? STATUS_CODES[code] ?? "Rejected",
              headers,
            });
        },
      );
      return;
    }
    let accepted = false;
    try {
      accepted = (verifyClient as (info: VerifyClientInfo) => boolean)(info);
    } catch {
      abortHandshake(socket, { status: 500, message: "verifyClient failed" });
      return;
    }
    if (accepted) this.completeUpgrade(req, socket, head, cb);
    else abortHandshake(socket, { status: 401, message: STATUS_CODES[401]! });
  }

  private completeUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    cb: (ws: WebSocket, req: IncomingMessage) => void,
  ): void {
    // The client may have gone while verifyClient was deciding.
    if (!socket.readable || !socket.writable || socket.destroyed) {
      socket.destroy();
      return;
    }
    if (this.state !== RUNNING) {
      abortHandshake(socket, { status: 503, message: "Server is closing" });
      return;
    }
    if (debug.enabled) debug.log("handshake accepted: %s from %s", req.url, req.socket.remoteAddress);
    const headers = [
      "HTTP/1.1 101 Switching Protocols",
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Accept: ${acceptKey(req.headers["sec-websocket-key"]!)}`,
    ];
    const protocol = chooseSubprotocol(req, this.options.handleProtocols);
    if (protocol !== "") headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
    let deflate: PerMessageDeflate | null = null;
    let extensions = "";
    const offered = req.headers["sec-websocket-extensions"];
    if (this.deflateOptions !== null && offered !== undefined) {
      const accepted = acceptOffer(parseExtensions(offered)!, this.deflateOptions);
      if (accepted !== null) {
        deflate = new PerMessageDeflate(
          accepted.params,
          true,
          this.deflateOptions,
          this.maxPayload,
          this.zlibLimiter!,
        );
        extensions = formatExtension(accepted.response);
        headers.push(`Sec-WebSocket-Extensions: ${extensions}`);
      }
    }
    this.emit("headers", headers, req);
    socket.write(`${headers.join("\r\n")}\r\n\r\n`);
    socket.off("error", destroySocket);

    const ws = new WebSocket(null);
    ws.setSocket(socket, head, {
      isServer: true,
      maxPayload: this.maxPayload,
      maxFragments: this.maxFragments,
      maxUnparsedBytes: this.maxUnparsedBytes,
      closeTimeout: this.options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT,
      autoPong: this.options.autoPong ?? true,
      protocol,
      extensions,
      deflate,
    });
    if (this.options.clientTracking !== false) {
      // Removed by the connection itself when it closes: no per-connection listener.
      ws.trackIn(this.clients);
    }
    cb(ws, req);
  }

  /**
   * Stops accepting connections and closes the HTTP server if this server created it. Open
   * connections are not closed (as in `ws`): close or terminate them. `close` is emitted when done.
   */
  close(cb?: (error?: Error) => void): void {
    if (this.state === CLOSED) {
      if (cb) process.nextTick(cb, new WebSocketError("NOT_OPEN", "the server is not running"));
      return;
    }
    if (cb) this.once("close", cb);
    if (this.state === CLOSING) return;
    this.state = CLOSING;
    this.detach?.();
    const done = () => {
      this.state = CLOSED;
      this.emit("close");
    };
    if (this.ownsServer && this.server !== null) this.server.close(done);
    else process.nextTick(done);
  }
}
