import { EventEmitter } from "node:events";
import { type IncomingMessage, type Server as HttpServer, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { Admission } from "./admission.js";
import { serializeCookie } from "./cookie.js";
import { applyCors } from "./cors.js";
import { EngineErrorCode, EngineRequestError } from "./errors.js";
import { EngineCounters, type EngineMetricsSnapshot, refusalReason } from "./metrics.js";
import { debug } from "./debug.js";
import { FlushQueue, type Flushable } from "./flush-queue.js";
import { writeErrorResponse, writeUpgradeError } from "./http-error.js";
import {
  type EngineServerOptions,
  type ResolvedOptions,
  resolveOptions,
  type TransportName,
} from "./options.js";
import { PreparedPacket } from "./prepared-packet.js";
import { pathnameOf, queryOf } from "./request-query.js";
import { type EngineProtocol, EngineSocket, type SessionHost } from "./session.js";
import { generateSessionId } from "./session-id.js";
import { TimerList } from "./timer-list.js";
import { DefaultWebSocketServer, defaultPrepareFrame } from "./transports/default-websocket.js";
import { PollingTransport } from "./transports/polling.js";
import { PollingTransportV3 } from "./transports/polling-v3.js";
import { WebSocketTransport } from "./transports/websocket.js";
import { WebSocketTransportV3 } from "./transports/websocket-v3.js";
import type { PrepareFrame, WebSocketLike, WebSocketServerLike } from "./transports/websocket-like.js";

/** A refused request, as `connection_error` listeners receive it. */
export interface EngineConnectionError {
  req: IncomingMessage;
  code: EngineErrorCode;
  message: string;
  context: Record<string, unknown>;
}

/** Response headers a listener may add to or change (`Set-Cookie` may be a list). */
export type ResponseHeaders = Record<string, string | string[]>;

/** Events of an {@link EngineServer}. */
export interface EngineServerEvents {
  connection: [session: EngineSocket];
  connection_error: [err: EngineConnectionError];
  /** Before the handshake response (polling answer or websocket 101) is written: edit `headers`. */
  initial_headers: [headers: ResponseHeaders, req: IncomingMessage];
  /** Before every polling response and the websocket 101 is written: edit `headers`. */
  headers: [headers: ResponseHeaders, req: IncomingMessage];
}

/** Options of {@link EngineServer.attach}. */
export interface AttachOptions {
  /** Destroy upgrade requests outside the engine's path that nobody answered (engine.io's). Default: true. */
  destroyUpgrade?: boolean;
  /** Milliseconds before destroying an upgrade request nobody else handled. Default: 1000. */
  destroyUpgradeTimeout?: number;
}

/** A middleware of {@link EngineServer.use}: Connect's shape; `next(err)` refuses the request (400). */
export type EngineMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * An Engine.IO 4 server: handshakes, polling and websocket transports, upgrades, heartbeats.
 * Attach it to an `http.Server`, or route requests to `handleRequest` / `handleUpgrade` yourself.
 */
export class EngineServer extends EventEmitter<EngineServerEvents> implements SessionHost {
  /** The options with defaults filled in. */
  readonly options: ResolvedOptions;
  /** Open sessions by id. */
  readonly sessions = new Map<string, EngineSocket>();
  /** @internal Sessions waiting to send their next ping: one shared timer for all of them. */
  readonly pingTimers: TimerList<EngineSocket>;
  /** @internal Sessions waiting for a pong. */
  readonly pongTimers: TimerList<EngineSocket>;
  /** @internal What the engine counts about itself (see {@link metrics}). */
  readonly counters = new EngineCounters();
  /** @internal Protocol 3 sessions waiting for the client's ping (`allowEIO3`). */
  readonly clientPingTimers: TimerList<EngineSocket>;
  private readonly flushQueue = new FlushQueue();
  /** Connection caps and handshake rates, checked before `allowRequest`. */
  private readonly admission: Admission;
  private wss: WebSocketServerLike | undefined;
  private readonly prepareFrame: PrepareFrame | undefined;
  private closed = false;
  /** Session ids chosen before a websocket handshake completes, so its 101 can carry the cookie. */
  private readonly pendingIds = new WeakMap<IncomingMessage, string>();

  /** @throws TypeError when an option has an invalid value (the message names it). */
  constructor(options: EngineServerOptions = {}) {
    super();
    this.options = resolveOptions(options);
    const { pingInterval, pingTimeout, clock } = this.options;
    this.pingTimers = new TimerList(pingInterval, clock, (session) => session.onPingDue());
    this.pongTimers = new TimerList(pingTimeout, clock, (session) => session.onPongOverdue());
    this.clientPingTimers = new TimerList(pingInterval + pingTimeout, clock, (session) =>
      session.onPongOverdue(),
    );
    this.prepareFrame = this.options.wsEngine === undefined ? defaultPrepareFrame : undefined;
    this.admission = new Admission(this.options);
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
    const destroyUpgrade = options.destroyUpgrade ?? true;
    const destroyUpgradeTimeout = options.destroyUpgradeTimeout ?? 1000;
    this.httpServer = server;
    const previous = server.listeners("request").slice() as Array<
      (req: IncomingMessage, res: ServerResponse) => void
    >;
    server.removeAllListeners("request");
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      if (this.matches(req)) {
        this.handleRequest(req, res);
        return;
      }
      for (const listener of previous) listener.call(server, req, res);
    });
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.matches(req)) {
        this.handleUpgrade(req, socket, head);
        return;
      }
      if (!destroyUpgrade) return;
      // Nobody else may want it: do not leave the socket open forever.
      setTimeout(() => {
        if (socket.writable && (socket as { bytesWritten?: number }).bytesWritten === 0) socket.destroy();
      }, destroyUpgradeTimeout).unref();
    });
    // The HTTP server closing ends the sessions, not the engine: listen() again and it serves again.
    server.on("close", () => {
      void this.closeSessions();
    });
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
      this.runMiddlewares(req, res, (err) => {
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
    if (this.middlewares.length > 0) {
      // Middlewares see a response bound to the upgrade's socket: one that answers ends the upgrade.
      const res = new ServerResponse(req);
      res.assignSocket(socket as Socket);
      // No HTTP parser owns an upgrade's socket: once a middleware's answer is out, end it here.
      const endSocket = (): void => {
        socket.end();
      };
      res.once("finish", endSocket);
      this.runMiddlewares(req, res, (err) => {
        if (res.headersSent || res.writableEnded) return;
        res.off("finish", endSocket);
        res.detachSocket(socket as Socket);
        if (err !== undefined) this.refuseUpgrade(req, socket, middlewareFailure(err));
        else this.dispatchUpgrade(req, socket, head);
      });
      return;
    }
    this.dispatchUpgrade(req, socket, head);
  }

  private dispatchUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      const query = queryOf(req);
      const error = this.verify(req, query, true);
      if (error !== undefined) {
        const router = this.options.sessionRouter;
        const refuse = () => this.refuseUpgrade(req, socket, error);
        if (error.code === EngineErrorCode.UNKNOWN_SID && router !== undefined) {
          if (router.forwardUpgrade(query.get("sid")!, req, socket, head, refuse)) return;
        }
        refuse();
        return;
      }
      const check = this.options.originCheck;
      if (check === undefined) this.onUpgradeRequest(req, socket, head, query);
      else
        check(req, (allowed, source) => {
          if (allowed) this.onUpgradeRequest(req, socket, head, query);
          else {
            const message = `origin not allowed (${source})`;
            const context = { name: "ORIGIN_NOT_ALLOWED", origin: req.headers.origin };
            this.refuseUpgrade(
              req,
              socket,
              new EngineRequestError(EngineErrorCode.FORBIDDEN, context, message),
            );
          }
        });
    } catch (err) {
      if (thrownByListener(err)) throw err;
      this.refuseUpgrade(req, socket, new EngineRequestError(EngineErrorCode.BAD_REQUEST, { error: err }));
    }
  }

  /** An upgrade that passed the checks of every request: join its session, or open a new one. */
  private onUpgradeRequest(req: IncomingMessage, socket: Duplex, head: Buffer, query: URLSearchParams): void {
    try {
      const sid = query.get("sid");
      if (sid !== null) {
        this.acceptWebSocket(req, socket, head, sid);
        return;
      }
      const limited = this.admission.check(req, this.sessions.size);
      if (limited !== undefined) {
        this.refuseUpgrade(req, socket, limited);
        return;
      }
      this.checkAllowRequest(req, (refusal) => {
        if (refusal !== undefined) this.refuseUpgrade(req, socket, refusal);
        else
          this.newSessionId(req, (failure) => {
            if (failure !== undefined) this.refuseUpgrade(req, socket, failure);
            else this.acceptWebSocket(req, socket, head, null);
          });
      });
    } catch (err) {
      if (thrownByListener(err)) throw err;
      this.refuseUpgrade(req, socket, new EngineRequestError(EngineErrorCode.BAD_REQUEST, { error: err }));
    }
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
  }

  /** Closes every session and the WebSocket server (made again on the next upgrade); the engine stays usable. */
  private async closeSessions(): Promise<void> {
    for (const session of [...this.sessions.values()]) session.shutdown("server shutting down");
    const wss = this.wss;
    this.wss = undefined;
    if (wss?.close !== undefined) await new Promise<void>((resolve) => wss.close!(() => resolve()));
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
  onSessionClose(session: EngineSocket): void {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    this.admission.closed(session);
  }

  // ---- requests ----

  private onHttpRequest(req: IncomingMessage, res: ServerResponse): void {
    const query = queryOf(req);
    const error = this.verify(req, query, false);
    if (error !== undefined) {
      const router = this.options.sessionRouter;
      const refuse = () => this.refuse(req, res, error);
      if (error.code === EngineErrorCode.UNKNOWN_SID && router !== undefined) {
        if (router.forwardRequest(query.get("sid")!, req, res, refuse)) return;
      }
      refuse();
      return;
    }
    const sid = query.get("sid");
    if (sid !== null) {
      const session = this.lookupSession(sid, req)!;
      this.applyHeaderListeners(req, res, false);
      (session.transport as PollingTransport).onRequest(req, res);
      return;
    }
    const limited = this.admission.check(req, this.sessions.size);
    if (limited !== undefined) {
      this.refuse(req, res, limited);
      return;
    }
    this.checkAllowRequest(req, (refusal) => {
      if (refusal !== undefined) this.refuse(req, res, refusal);
      else
        this.newSessionId(req, (failure) => {
          if (failure !== undefined) this.refuse(req, res, failure);
          else this.openPollingSession(req, res, query);
        });
    });
  }

  /** Checks what every request must satisfy; the refusal, or undefined when the request may proceed. */
  private verify(
    req: IncomingMessage,
    query: URLSearchParams,
    upgrade: boolean,
  ): EngineRequestError | undefined {
    const transport = query.get("transport");
    if (transport === null || !this.options.transports.includes(transport as TransportName)) {
      return new EngineRequestError(EngineErrorCode.UNKNOWN_TRANSPORT, { transport });
    }
    const sid = query.get("sid");
    // A request that cannot be of its transport: engine.io's names (with a sid, checked below).
    const mismatch = (transport === "websocket") !== upgrade;
    if (mismatch && sid === null) {
      const context =
        transport === "websocket"
          ? { name: "TRANSPORT_HANDSHAKE_ERROR" }
          : { name: "TRANSPORT_MISMATCH", transport };
      return new EngineRequestError(EngineErrorCode.BAD_REQUEST, context);
    }
    const protocol = query.get("EIO");
    if (protocol !== "4" && (protocol !== "3" || !this.options.allowEIO3)) {
      // A number when it is one, as engine.io reports it.
      const revision = protocol !== null && /^\d+$/.test(protocol) ? Number(protocol) : protocol;
      return new EngineRequestError(EngineErrorCode.UNSUPPORTED_PROTOCOL_VERSION, { protocol: revision });
    }
    // JSONP (`j`, protocol 3 clients' fallback) would answer as a script any site may include: it bypasses
    // CORS and the origin check, so it is refused rather than answered in a form the client misreads.
    if (protocol === "3" && query.get("j") !== null) {
      return new EngineRequestError(
        EngineErrorCode.BAD_REQUEST,
        { name: "JSONP_UNSUPPORTED" },
        "JSONP polling is not supported",
      );
    }
    if (this.closed) return new EngineRequestError(EngineErrorCode.BAD_REQUEST, { name: "SERVER_CLOSED" });
    if (sid !== null) {
      const session = this.lookupSession(sid, req);
      if (session === undefined) return new EngineRequestError(EngineErrorCode.UNKNOWN_SID, { sid });
      if (mismatch || (!upgrade && session.transport.name !== "polling")) {
        return new EngineRequestError(EngineErrorCode.BAD_REQUEST, {
          name: "TRANSPORT_MISMATCH",
          transport,
          previousTransport: session.transport.name,
        });
      }
      // A websocket for a session already on websocket is accepted and then closed (as engine.io does):
      // a refusal here would make the `ws` client throw.
      if (
        upgrade &&
        session.transport.name !== "websocket" &&
        (!this.options.allowUpgrades ||
          session.readyState !== "open" ||
          session.upgrading ||
          session.transport.name !== "polling")
      ) {
        return new EngineRequestError(EngineErrorCode.BAD_REQUEST, { name: "UPGRADE_REFUSED", sid });
      }
      return undefined;
    }
    if (!upgrade && req.method !== "GET") {
      return new EngineRequestError(EngineErrorCode.BAD_HANDSHAKE_METHOD, { method: req.method });
    }
    return undefined;
  }

  /** Runs the `use()` middlewares in order; `done(err)` after the last one or the first failure. */
  private runMiddlewares(req: IncomingMessage, res: ServerResponse, done: (err?: unknown) => void): void {
    const middlewares = this.middlewares;
    let index = 0;
    const next = (err?: unknown): void => {
      if (err !== undefined && err !== null) {
        done(err);
        return;
      }
      const middleware = middlewares[index++];
      if (middleware === undefined) {
        done();
        return;
      }
      try {
        middleware(req, res, next);
      } catch (thrown) {
        done(thrown);
      }
    };
    next();
  }

  /** `connection` listeners run outside the request's error handling: what they throw reaches the caller. */
  private emitConnection(session: EngineSocket): void {
    try {
      this.emit("connection", session);
    } catch (err) {
      if (typeof err === "object" && err !== null) listenerErrors.add(err);
      throw err;
    }
  }

  /** Runs `allowRequest` (once, errors caught) and calls back with a refusal or undefined. */
  private checkAllowRequest(
    req: IncomingMessage,
    next: (refusal: EngineRequestError | undefined) => void,
  ): void {
    const allowRequest = this.options.allowRequest;
    if (allowRequest === undefined) {
      next(undefined);
      return;
    }
    let answered = false;
    const answer = (err: string | null | undefined, success: boolean): void => {
      if (answered) return;
      answered = true;
      if (success) next(undefined);
      else {
        const message = typeof err === "string" && err.length > 0 ? err : undefined;
        // engine.io's context: what allowRequest answered.
        next(new EngineRequestError(EngineErrorCode.FORBIDDEN, { message: err }, message));
      }
    };
    try {
      allowRequest(req, answer);
    } catch (err) {
      answered = false;
      answer(err instanceof Error ? err.message : String(err), false);
    }
  }

  private openPollingSession(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    if (res.destroyed) return;
    const options = this.options;
    const protocol = protocolOf(query);
    const transport =
      protocol === 3
        ? new PollingTransportV3(undefined as never, options, !query.get("b64"))
        : new PollingTransport(undefined as never, options);
    const session = this.createSession(req, transport, protocol);
    if (options.cookie) res.setHeader("Set-Cookie", serializeCookie(options.cookie, session.id));
    this.applyHeaderListeners(req, res, true);
    session.open(this.upgrades("polling"));
    this.emitConnection(session);
    session.releaseRequest();
    // The handshake GET is the first poll: it carries the open packet and whatever the listeners sent.
    transport.onRequest(req, res);
  }

  private acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, sid: string | null): void {
    const wss = this.webSocketServer();
    if (wss === undefined) {
      this.refuseUpgrade(
        req,
        socket,
        new EngineRequestError(EngineErrorCode.UNKNOWN_TRANSPORT, { transport: "websocket" }),
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocketLike) => {
      if (sid === null) {
        const protocol = protocolOf(queryOf(req));
        const transport = protocol === 3 ? new WebSocketTransportV3(ws) : new WebSocketTransport(ws);
        if (this.closed) {
          transport.close();
          return;
        }
        const session = this.createSession(req, transport, protocol);
        session.open([]);
        this.emitConnection(session);
        session.releaseRequest();
        session.runScheduledFlush();
        return;
      }
      const session = this.lookupSession(sid, req);
      // The websocket speaks the session's protocol, whatever this request's query says.
      const transport = session?.protocol === 3 ? new WebSocketTransportV3(ws) : new WebSocketTransport(ws);
      if (session === undefined) transport.close();
      else session.maybeUpgrade(transport);
    });
  }

  /** Runs `generateId` (awaiting a promise) and keeps the id for the session about to open. */
  private newSessionId(req: IncomingMessage, next: (failure?: EngineRequestError) => void): void {
    const fail = (error: unknown): void =>
      next(new EngineRequestError(EngineErrorCode.BAD_REQUEST, { name: "ID_GENERATION_ERROR", error }));
    let id: string | Promise<string>;
    try {
      id = this.generateId(req);
    } catch (err) {
      fail(err);
      return;
    }
    if (typeof id === "string") {
      this.pendingIds.set(req, id);
      next();
      return;
    }
    Promise.resolve(id).then((value) => {
      if (typeof value === "string") this.pendingIds.set(req, value);
      next();
    }, fail);
  }

  private createSession(
    req: IncomingMessage,
    transport: PollingTransport | WebSocketTransport,
    protocol: EngineProtocol,
  ): EngineSocket {
    let id = this.pendingIds.get(req);
    this.pendingIds.delete(req);
    // 120 random bits do not collide; a custom generateId might.
    while (id === undefined || id === "" || this.sessions.has(id)) id = generateSessionId();
    const session = new EngineSocket(this, id, req, transport, protocol);
    this.sessions.set(id, session);
    this.admission.opened(session, req);
    if (transport.name === "polling") this.counters.handshakesPolling++;
    else this.counters.handshakesWebsocket++;
    if (debug.enabled) debug.log("handshake %s on %s from %s", id, transport.name, session.remoteAddress);
    return session;
  }

  private webSocketServer(): WebSocketServerLike | undefined {
    if (this.wss === undefined && !this.closed) {
      const WebSocketServer = this.options.wsEngine ?? DefaultWebSocketServer;
      if (WebSocketServer === undefined) return undefined;
      const wss = new WebSocketServer({
        noServer: true,
        clientTracking: false,
        maxPayload: this.options.maxHttpBufferSize,
        perMessageDeflate: this.options.perMessageDeflate,
      });
      wss.on?.("headers", (lines: string[], req: IncomingMessage) => this.onWebSocketHeaders(lines, req));
      this.wss = wss;
    }
    return this.wss;
  }

  /** The 101 answer of a websocket handshake: cookie and `initial_headers`/`headers` listeners. */
  private onWebSocketHeaders(lines: string[], req: IncomingMessage): void {
    const id = this.pendingIds.get(req);
    const initial = id !== undefined;
    const cookie = this.options.cookie;
    if (initial && cookie) lines.push(`Set-Cookie: ${serializeCookie(cookie, id)}`);
    if (!this.hasHeaderListeners(initial)) return;
    const headers: ResponseHeaders = {};
    if (initial) this.emit("initial_headers", headers, req);
    this.emit("headers", headers, req);
    for (const name of Object.keys(headers)) {
      const value = headers[name]!;
      if (typeof value === "string") lines.push(`${name}: ${value}`);
      else for (const v of value) lines.push(`${name}: ${v}`);
    }
  }

  private hasHeaderListeners(initial: boolean): boolean {
    return this.listenerCount("headers") > 0 || (initial && this.listenerCount("initial_headers") > 0);
  }

  /** Lets `initial_headers`/`headers` listeners edit a polling response's headers. */
  private applyHeaderListeners(req: IncomingMessage, res: ServerResponse, initial: boolean): void {
    if (!this.hasHeaderListeners(initial)) return;
    const headers: ResponseHeaders = {};
    const cookie = res.getHeader("Set-Cookie");
    if (typeof cookie === "string") headers["Set-Cookie"] = cookie;
    if (initial) this.emit("initial_headers", headers, req);
    this.emit("headers", headers, req);
    for (const name of Object.keys(headers)) res.setHeader(name, headers[name]!);
  }

  private refuse(req: IncomingMessage, res: ServerResponse, err: EngineRequestError): void {
    writeErrorResponse(res, err);
    this.emitConnectionError(req, err);
  }

  private refuseUpgrade(req: IncomingMessage, socket: Duplex, err: EngineRequestError): void {
    writeUpgradeError(socket, err);
    this.emitConnectionError(req, err);
  }

  private emitConnectionError(req: IncomingMessage, err: EngineRequestError): void {
    this.counters.refused(err.code, err.context.name);
    if (debug.enabled) logRefusal(req, err);
    if (this.listenerCount("connection_error") === 0) return;
    this.emit("connection_error", { req, code: err.code, message: err.message, context: err.context });
  }
}

/** What `connection` listeners threw: the request's error handling passes these on untouched. */
const listenerErrors = new WeakSet<object>();

function thrownByListener(err: unknown): boolean {
  return typeof err === "object" && err !== null && listenerErrors.has(err);
}

function logRefusal(req: IncomingMessage, err: EngineRequestError): void {
  const reason = refusalReason(err.code, err.context.name);
  debug.log("refused %s %s: %s (%s)", req.method, req.url, err.message, reason);
}

/** The protocol of a request that passed `verify`: 3 only with `allowEIO3`. */
function protocolOf(query: URLSearchParams): EngineProtocol {
  return query.get("EIO") === "3" ? 3 : 4;
}

function middlewareFailure(err: unknown): EngineRequestError {
  return new EngineRequestError(EngineErrorCode.BAD_REQUEST, { name: "MIDDLEWARE_FAILURE", error: err });
}
