// The engine's WebSocket upgrade path: an `upgrade` request through the middlewares, the checks every
// request must pass and the origin check, then the 101 answer (cookie, `headers` listeners) and the
// websocket handed to a new session or to the polling session it upgrades.
import type { IncomingMessage } from "node:http";
import { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { serializeCookie } from "./cookie.js";
import { EngineErrorCode, EngineRequestError } from "./errors.js";
import { admitHandshake } from "./handshake-admission.js";
import { writeUpgradeError } from "./http-error.js";
import { type EngineMiddleware, middlewareFailure, runMiddlewares } from "./middleware.js";
import { type RefusalSink, reportRefusal, thrownByListener } from "./refusals.js";
import { protocolOf, type RequestContext, verifyRequest } from "./request-checks.js";
import { type EngineQuery, queryOf } from "./request-query.js";
import { addHeaderLines, type HeaderEvents } from "./response-headers.js";
import type { EngineProtocol, EngineSocket } from "./session.js";
import type { SessionRegistry } from "./session-registry.js";
import { WebSocketTransport } from "./transports/websocket.js";
import { WebSocketTransportV3 } from "./transports/websocket-v3.js";
import type { WebSocketLike } from "./transports/websocket-like.js";
import { WebSocketServerSlot } from "./websocket-server-slot.js";

/** What the upgrade path needs of its engine. */
export interface WebSocketUpgradeHost {
  /** The checks every request must pass; also the engine's options, whether it is closed, and its sessions. */
  readonly requestContext: RequestContext;
  /** The middlewares of `use`, run before an upgrade is looked at. */
  readonly middlewares: readonly EngineMiddleware[];
  /** Where refusals are reported and the `initial_headers`/`headers` events go: the engine. */
  readonly events: RefusalSink & HeaderEvents;
  /** Connection caps, handshake rates and the ids reserved for handshakes in progress. */
  readonly registry: SessionRegistry;
  /** Makes a new session's id (may be a promise). */
  generateId(req: IncomingMessage): string | Promise<string>;
  /** Runs `open` now or in a later slice, when this turn has been busy long enough. */
  queueHandshake(open: () => void): void;
  /** Registers a new session on `transport`. */
  createSession(req: IncomingMessage, transport: WebSocketTransport, protocol: EngineProtocol): EngineSocket;
  /** Tells the `connection` listeners (what they throw reaches the caller). */
  emitConnection(session: EngineSocket): void;
}

/** Takes `upgrade` requests to websocket sessions; owns the engine's WebSocket server. */
export class WebSocketUpgrade {
  private readonly host: WebSocketUpgradeHost;
  private readonly webSocketServer: WebSocketServerSlot;

  constructor(host: WebSocketUpgradeHost) {
    this.host = host;
    this.webSocketServer = new WebSocketServerSlot(host.requestContext.options, (lines, req) =>
      this.onWebSocketHeaders(lines, req),
    );
  }

  /** Handles one WebSocket upgrade request (a new session, or the upgrade of a polling one). Never throws. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const middlewares = this.host.middlewares;
    if (middlewares.length > 0) {
      // Middlewares see a response bound to the upgrade's socket: one that answers ends the upgrade.
      const res = new ServerResponse(req);
      res.assignSocket(socket as Socket);
      // No HTTP parser owns an upgrade's socket: once a middleware's answer is out, end it here.
      const endSocket = (): void => {
        socket.end();
      };
      res.once("finish", endSocket);
      runMiddlewares(middlewares, req, res, (err) => {
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

  /** Closes the WebSocket server, if one was made; the next upgrade makes a new one. */
  close(): Promise<void> {
    return this.webSocketServer.close();
  }

  private dispatchUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    try {
      const context = this.host.requestContext;
      const query = queryOf(req);
      const error = verifyRequest(context, req, query, true);
      if (error !== undefined) {
        const router = context.options.sessionRouter;
        const refuse = () => this.refuseUpgrade(req, socket, error);
        if (error.code === EngineErrorCode.UNKNOWN_SID && router !== undefined) {
          if (router.forwardUpgrade(query.sid!, req, socket, head, refuse)) return;
        }
        refuse();
        return;
      }
      const check = context.options.originCheck;
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
  private onUpgradeRequest(req: IncomingMessage, socket: Duplex, head: Buffer, query: EngineQuery): void {
    try {
      const sid = query.sid;
      if (sid !== null) {
        this.acceptWebSocket(req, socket, head, sid, 4);
        return;
      }
      const host = this.host;
      admitHandshake(req, {
        registry: host.registry,
        allowRequest: host.requestContext.options.allowRequest,
        generateId: (r) => host.generateId(r),
        refuse: (err) => this.refuseUpgrade(req, socket, err),
        admitted: () => {
          const protocol = protocolOf(query);
          host.queueHandshake(() => this.acceptWebSocket(req, socket, head, null, protocol));
        },
      });
    } catch (err) {
      if (thrownByListener(err)) throw err;
      this.refuseUpgrade(req, socket, new EngineRequestError(EngineErrorCode.BAD_REQUEST, { error: err }));
    }
  }

  /** `protocol`: of the request's query, for a new session (an upgrade speaks its session's). */
  private acceptWebSocket(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    sid: string | null,
    protocol: EngineProtocol,
  ): void {
    const host = this.host;
    const context = host.requestContext;
    const wss = context.closed ? undefined : this.webSocketServer.get();
    if (wss === undefined) {
      this.refuseUpgrade(
        req,
        socket,
        new EngineRequestError(EngineErrorCode.UNKNOWN_TRANSPORT, { transport: "websocket" }),
      );
      return;
    }
    // The 101 answer and what the session sends at once (its open packet) leave in one write.
    socket.cork();
    wss.handleUpgrade(req, socket, head, (ws: WebSocketLike) => {
      if (sid === null) {
        const transport = protocol === 3 ? new WebSocketTransportV3(ws) : new WebSocketTransport(ws);
        if (context.closed) {
          transport.close();
          return;
        }
        const session = host.createSession(req, transport, protocol);
        session.open([]);
        host.emitConnection(session);
        session.releaseRequest();
        session.runScheduledFlush();
        return;
      }
      const session = context.lookupSession(sid, req);
      // The websocket speaks the session's protocol, whatever this request's query says.
      const transport = session?.protocol === 3 ? new WebSocketTransportV3(ws) : new WebSocketTransport(ws);
      if (session === undefined) transport.close();
      else session.maybeUpgrade(transport);
    });
    socket.uncork();
  }

  /** The 101 answer of a websocket handshake: cookie and `initial_headers`/`headers` listeners. */
  private onWebSocketHeaders(lines: string[], req: IncomingMessage): void {
    const id = this.host.registry.reservedId(req);
    const initial = id !== undefined;
    const cookie = this.host.requestContext.options.cookie;
    if (initial && cookie) lines.push(`Set-Cookie: ${serializeCookie(cookie, id)}`);
    addHeaderLines(this.host.events, lines, req, initial);
  }

  private refuseUpgrade(req: IncomingMessage, socket: Duplex, err: EngineRequestError): void {
    writeUpgradeError(socket, err);
    reportRefusal(this.host.events, req, err);
  }
}
