import { EventEmitter } from "node:events";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { serializeCookie } from "./cookie.js";
import { applyCors } from "./cors.js";
import { EngineErrorCode, EngineRequestError } from "./errors.js";
import { type AttachOptions, attachToHttpServer } from "./http-attach.js";
import { EngineCounters, type EngineMetricsSnapshot } from "./metrics.js";
import { FlushQueue, type Flushable } from "./flush-queue.js";
import { admitHandshake } from "./handshake-admission.js";
import { writeErrorResponse } from "./http-error.js";
import { type EngineServerOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { PreparedPacket } from "./prepared-packet.js";
import { type EngineMiddleware, middlewareFailure, runMiddlewares } from "./middleware.js";
import { OwedCloseHints } from "./owed-close-hints.js";
import {
  type EngineConnectionError,
  markListenerError,
  reportRefusal,
  thrownByListener,
} from "./refusals.js";
import { protocolOf, type RequestContext, verifyRequest } from "./request-checks.js";
import { type EngineQuery, pathnameOf, queryOf } from "./request-query.js";
import { applyHeaderListeners, type ResponseHeaders } from "./response-headers.js";
import type { EngineProtocol, EngineSocket, SessionHost } from "./session.js";
import { generateSessionId } from "./session-id.js";
import { SessionRegistry } from "./session-registry.js";
import { TimerList } from "./timer-list.js";
import { payloadHeaders, TEXT_PLAIN } from "./transports/polling-headers.js";
import { defaultPrepareFrame } from "./transports/default-websocket.js";
import { PollingTransport } from "./transports/polling.js";
import { PollingTransportV3 } from "./transports/polling-v3.js";
import type { WebSocketTransport } from "./transports/websocket.js";
import type { PrepareFrame } from "./transports/websocket-like.js";
import { WebSocketUpgrade } from "./websocket-upgrade.js";

export type { EngineConnectionError };

/** Events of an {@link EngineServer}. */
export interface EngineServerEvents {
  connection: [session: EngineSocket];
  connection_error: [err: EngineConnectionError];
  /** Before the handshake response (polling answer or websocket 101) is written: edit `headers`. */
  initial_headers: [headers: ResponseHeaders, req: IncomingMessage];
  /** Before every polling response and the websocket 101 is written: edit `headers`. */
  headers: [headers: ResponseHeaders, req: IncomingMessage];
}

export type { AttachOptions } from "./http-attach.js";
export type { ResponseHeaders } from "./response-headers.js";
export type { EngineMiddleware } from "./middleware.js";

/**
 * An Engine.IO 4 server: handshakes, polling and websocket transports, upgrades, heartbeats.
 * Attach it to an `http.Server`, or route requests to `handleRequest` / `handleUpgrade` yourself.
 */
export class EngineServer extends EventEmitter<EngineServerEvents> implements SessionHost {
  /** The options with defaults filled in. */
  readonly options: ResolvedOptions;
  /** Open sessions by id. */
  readonly sessions: Map<string, EngineSocket>;
  /** @internal Sessions waiting to send their next ping: one shared timer for all of them. */
  readonly pingTimers: TimerList<EngineSocket>;
  /** @internal Sessions waiting for a pong. */
  readonly pongTimers: TimerList<EngineSocket>;
  /** @internal What the engine counts about itself (see {@link metrics}). */
  readonly counters = new EngineCounters();
  /** @internal Protocol 3 sessions waiting for the client's ping (`allowEIO3`). */
  readonly clientPingTimers: TimerList<EngineSocket>;
  private readonly flushQueue: FlushQueue;
  /** Open sessions, ids of handshakes in progress, connection caps and handshake rates. */
  private readonly registry: SessionRegistry;
  /** The upgrade path (and the WebSocket server it makes). */
  private readonly webSocketUpgrade: WebSocketUpgrade;
  private readonly prepareFrame: PrepareFrame | undefined;
  private closed = false;
  /** Answers owed to the next poll of sessions closed with an undelivered close hint (undefined when off). */
  private readonly owedCloseHints: OwedCloseHints | undefined;
  /** What the request checks see of this server. */
  private readonly requestContext: RequestContext;

  /** @throws TypeError when an option has an invalid value (the message names it). */
  constructor(options: EngineServerOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.flushQueue = new FlushQueue({ sliceMs: this.options.flushSliceMs });
    const { pingInterval, pingTimeout, clock } = this.options;
    this.pingTimers = new TimerList(pingInterval, clock, (session) => session.onPingDue());
    this.pongTimers = new TimerList(pingTimeout, clock, (session) => session.onPongOverdue());
    this.clientPingTimers = new TimerList(pingInterval + pingTimeout, clock, (session) =>
      session.onPongOverdue(),
    );
    this.prepareFrame = this.options.wsEngine === undefined ? defaultPrepareFrame : undefined;
    this.registry = new SessionRegistry(this.options, this.counters);
    this.sessions = this.registry.sessions;
    const owed = this.options.owedCloseHints;
    if (owed !== false) this.owedCloseHints = new OwedCloseHints(owed.max, owed.ttl, clock, this.counters);
    const server = this;
    this.requestContext = {
      options: this.options,
      get closed() {
        return server.closed;
      },
      lookupSession: (sid, req) => this.lookupSession(sid, req),
    };
    this.webSocketUpgrade = new WebSocketUpgrade({
      requestContext: this.requestContext,
      middlewares: this.middlewares,
      events: this,
      registry: this.registry,
      generateId: (req) => this.generateId(req),
      queueHandshake: (open) => this.queueHandshake(open),
      createSession: (req, transport, protocol) => this.createSession(req, transport, protocol),
      emitConnection: (session) => this.emitConnection(session),
    });
  }

  /** The HTTP server of the last {@link attach}, if any (engine.io's `httpServer`). */
  httpServer: HttpServer | undefined = undefined;
  private readonly middlewares: EngineMiddleware[] = [];

  /** Number of open sessions. */
  get clientsCount(): number {
    return this.sessions.size;
  }

  /** The options with defaults filled in (engine.io's name for {@link options}). */
  get opts(): ResolvedOptions {
    return this.options;
  }

  /** The engine's counters since it started and its gauges now (sessions, buffered bytes): plain JSON. */
  metrics(): EngineMetricsSnapshot {
    this.owedCloseHints?.expire();
    return this.counters.snapshot(this.sessions.values());
  }

  /** The transports a session on `transport` may upgrade to (engine.io's `upgrades()`). */
  upgrades(transport: string): string[] {
    if (!this.options.allowUpgrades || transport !== "polling") return [];
    return this.options.transports.includes("websocket") ? ["websocket"] : [];
  }

  /**
   * Adds a Connect-style middleware run on every request and upgrade under the path, before the engine
   * handles it (e.g. `express-session`). A middleware may answer the request itself; `next(err)` refuses it
   * with 400 (`context.name` "MIDDLEWARE_FAILURE").
   */
  use(middleware: EngineMiddleware): this {
    this.middlewares.push(middleware);
    return this;
  }

  /**
   * Handles the requests and upgrades under `path` of `server`; every other request goes to the listeners
   * the server had before, every other upgrade to the other `upgrade` listeners.
   */
  attach(server: HttpServer, options: AttachOptions = {}): this {
    this.httpServer = server;
    attachToHttpServer(
      server,
      {
        matches: (req) => this.matches(req),
        handleRequest: (req, res) => this.handleRequest(req, res),
        handleUpgrade: (req, socket, head) => this.handleUpgrade(req, socket, head),
        // The HTTP server closing ends the sessions, not the engine: listen() again and it serves again.
        onHttpClose: () => void this.closeSessions(),
      },
      options,
    );
    return this;
  }

  /**
   * Whether a request is under this engine's path, as engine.io matches it: every pathname that starts with
   * `path` plus "/" (`/engine.io/`, `/engine.io/default/`), and `path` itself; with `addTrailingSlash: false`,
   * every pathname that starts with `path`.
   */
  matches(req: IncomingMessage): boolean {
    const pathname = pathnameOf(req);
    const prefix = this.options.pathPrefix;
    return pathname.startsWith(prefix) || pathname === this.options.path;
  }

  /** Handles one HTTP request of the polling transport (or a CORS preflight). Never throws. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.middlewares.length > 0) {
      runMiddlewares(this.middlewares, req, res, (err) => {
        if (err !== undefined) this.refuse(req, res, middlewareFailure(err));
        else this.dispatchRequest(req, res);
      });
      return;
    }
    this.dispatchRequest(req, res);
  }

  private dispatchRequest(req: IncomingMessage, res: ServerResponse): void {
    try {
      const cors = this.options.cors;
      if (cors) applyCors(cors, req, res, () => this.onHttpRequest(req, res));
      else this.onHttpRequest(req, res);
    } catch (err) {
      // A user's listener threw: that is the application's error, not a bad request.
      if (thrownByListener(err)) throw err;
      this.refuse(req, res, new EngineRequestError(EngineErrorCode.BAD_REQUEST, { error: err }));
    }
  }

  /** Handles one WebSocket upgrade request (a new session, or the upgrade of a polling one). Never throws. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.webSocketUpgrade.handleUpgrade(req, socket, head);
  }

  /**
   * Encodes a message once for every transport, for sending to many sessions with `session.sendPrepared`.
   * With `compress` (and permessage-deflate with `serverNoContextTakeover`), WebSocket recipients get one
   * frame deflated once for all of them.
   */
  prepare(data: string | Buffer, compress = false): PreparedPacket {
    return new PreparedPacket(data, this.prepareFrame, compress);
  }

  /** Closes every session ("server shutting down") and the WebSocket server. Leaves the HTTP server alone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.closeSessions();
    this.owedCloseHints?.clear();
  }

  /** Closes every session and the WebSocket server (made again on the next upgrade); the engine stays usable. */
  private async closeSessions(): Promise<void> {
    for (const session of [...this.sessions.values()]) session.shutdown("server shutting down");
    await this.webSocketUpgrade.close();
  }

  /**
   * Finds the session a request names. The one seam for scale-out: a cluster layer overrides it (or
   * `handleRequest`) to find sessions that live on another node.
   */
  protected lookupSession(sid: string, _req: IncomingMessage): EngineSocket | undefined {
    return this.sessions.get(sid);
  }

  /**
   * Makes the id of a new session (the `sessionRouter`'s when there is one); override (or assign, as with
   * engine.io) to add node affinity. May return a promise, which is awaited; a rejection refuses the handshake
   * (400, `context.name` "ID_GENERATION_ERROR"). Must stay unguessable. Default: 120 random bits, base64url.
   */
  protected generateId(req: IncomingMessage): string | Promise<string> {
    const router = this.options.sessionRouter;
    return router === undefined ? generateSessionId() : router.generateId(req);
  }

  /** @internal */
  scheduleFlush(session: Flushable): void {
    this.flushQueue.add(session);
  }

  /** @internal */
  mayFlushNow(): boolean {
    return this.flushQueue.mayRunNow();
  }

  /** @internal */
  onSessionClose(session: EngineSocket): void {
    this.registry.remove(session);
  }

  /** @internal */
  oweCloseHint(session: EngineSocket, hint: string): void {
    this.owedCloseHints?.owe(session.id, session.protocol, hint);
  }

  // ---- requests ----

  private onHttpRequest(req: IncomingMessage, res: ServerResponse): void {
    const query = queryOf(req);
    const error = verifyRequest(this.requestContext, req, query, false);
    if (error !== undefined) {
      const router = this.options.sessionRouter;
      const refuse = () => this.refuse(req, res, error);
      if (error.code === EngineErrorCode.UNKNOWN_SID && req.method === "GET") {
        // A poll of a session closed here with a hint it never got: that hint and the close packet.
        const owed = this.owedCloseHints?.take(query.sid!);
        if (owed !== undefined) {
          applyHeaderListeners(this, req, res, false);
          res.writeHead(200, payloadHeaders(TEXT_PLAIN, Buffer.byteLength(owed))).end(owed);
          return;
        }
      }
      if (error.code === EngineErrorCode.UNKNOWN_SID && router !== undefined) {
        if (router.forwardRequest(query.sid!, req, res, refuse)) return;
      }
      refuse();
      return;
    }
    const sid = query.sid;
    if (sid !== null) {
      const session = this.lookupSession(sid, req)!;
      applyHeaderListeners(this, req, res, false);
      (session.transport as PollingTransport).onRequest(req, res);
      return;
    }
    admitHandshake(req, {
      registry: this.registry,
      allowRequest: this.options.allowRequest,
      generateId: (r) => this.generateId(r),
      refuse: (err) => this.refuse(req, res, err),
      admitted: () => this.queueHandshake(() => this.openPollingSession(req, res, query)),
    });
  }

  /**
   * Opens a new session now, or, when this turn of the event loop has been busy for `flushSliceMs` already
   * (a storm of handshakes read together), in the flush queue's next slices, with timers and I/O between
   * them: a storm is not opened in one run of the event loop.
   */
  private queueHandshake(open: () => void): void {
    this.registry.queuedHandshakes++;
    this.flushQueue.runNowOrQueue({
      runScheduledFlush: () => {
        this.registry.queuedHandshakes--;
        open();
      },
    });
  }

  /** `connection` listeners run outside the request's error handling: what they throw reaches the caller. */
  private emitConnection(session: EngineSocket): void {
    try {
      this.emit("connection", session);
    } catch (err) {
      markListenerError(err);
      throw err;
    }
  }

  private openPollingSession(req: IncomingMessage, res: ServerResponse, query: EngineQuery): void {
    if (res.destroyed) return;
    // Closed while the handshake waited for its turn.
    if (this.closed) {
      this.refuse(req, res, new EngineRequestError(EngineErrorCode.BAD_REQUEST, { name: "SERVER_CLOSED" }));
      return;
    }
    const options = this.options;
    const protocol = protocolOf(query);
    const transport =
      protocol === 3
        ? new PollingTransportV3(undefined as never, options, !query.b64)
        : new PollingTransport(undefined as never, options);
    const session = this.createSession(req, transport, protocol);
    if (options.cookie) res.setHeader("Set-Cookie", serializeCookie(options.cookie, session.id));
    applyHeaderListeners(this, req, res, true);
    session.open(this.upgrades("polling"));
    this.emitConnection(session);
    session.releaseRequest();
    // The handshake GET is the first poll: it carries the open packet and whatever the listeners sent.
    transport.onRequest(req, res);
  }

  private createSession(
    req: IncomingMessage,
    transport: PollingTransport | WebSocketTransport,
    protocol: EngineProtocol,
  ): EngineSocket {
    return this.registry.create(this, req, transport, protocol);
  }

  private refuse(req: IncomingMessage, res: ServerResponse, err: EngineRequestError): void {
    writeErrorResponse(res, err);
    reportRefusal(this, req, err);
  }
}
