import type { IncomingMessage } from "node:http";
import { Admission } from "./admission.js";
import { debug } from "./debug.js";
import { EngineErrorCode, EngineRequestError } from "./errors.js";
import type { EngineCounters } from "./metrics.js";
import type { ResolvedOptions } from "./options.js";
import { type EngineProtocol, EngineSocket, type SessionHost } from "./session.js";
import { generateSessionId } from "./session-id.js";
import type { Transport } from "./transports/transport.js";

/**
 * The sessions of one server: open ones by id, the ids chosen for handshakes still in progress, and the
 * admission of new ones (connection caps and handshake rates, through {@link Admission}).
 */
export class SessionRegistry {
  /** Open sessions by id. */
  readonly sessions = new Map<string, EngineSocket>();
  /** Session ids chosen before a handshake completes (a websocket's 101 carries the cookie). */
  private readonly pendingIds = new WeakMap<IncomingMessage, string>();
  private readonly admission: Admission;
  private readonly counters: EngineCounters;
  /** Handshakes admitted and waiting for their turn to open (they count against `maxConnections`). */
  queuedHandshakes = 0;

  constructor(options: ResolvedOptions, counters: EngineCounters) {
    this.admission = new Admission(options);
    this.counters = counters;
  }

  /** The refusal of a new session by the caps and rates, or undefined when it may open. */
  admit(req: IncomingMessage): EngineRequestError | undefined {
    return this.admission.check(req, this.sessions.size + this.queuedHandshakes);
  }

  /**
   * Runs `generate` (awaiting a promise) and keeps the id for the session `req` is about to open;
   * `next(failure)` when it threw or rejected (400, `context.name` "ID_GENERATION_ERROR").
   */
  reserveId(
    req: IncomingMessage,
    generate: (req: IncomingMessage) => string | Promise<string>,
    next: (failure?: EngineRequestError) => void,
  ): void {
    const fail = (error: unknown): void =>
      next(new EngineRequestError(EngineErrorCode.BAD_REQUEST, { name: "ID_GENERATION_ERROR", error }));
    let id: string | Promise<string>;
    try {
      id = generate(req);
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

  /** The id reserved for the session `req` is opening, if any. */
  reservedId(req: IncomingMessage): string | undefined {
    return this.pendingIds.get(req);
  }

  /** Makes and registers the session of a handshake, under its reserved id (a fresh one if it collides). */
  create(
    host: SessionHost,
    req: IncomingMessage,
    transport: Transport,
    protocol: EngineProtocol,
  ): EngineSocket {
    let id = this.pendingIds.get(req);
    this.pendingIds.delete(req);
    // 120 random bits do not collide; a custom generateId might.
    while (id === undefined || id === "" || this.sessions.has(id)) id = generateSessionId();
    const session = new EngineSocket(host, id, req, transport, protocol);
    this.sessions.set(id, session);
    this.admission.opened(session, req);
    if (transport.name === "polling") this.counters.handshakesPolling++;
    else this.counters.handshakesWebsocket++;
    if (debug.enabled) debug.log("handshake %s on %s from %s", id, transport.name, session.remoteAddress);
    return session;
  }

  /** Forgets a closed session. */
  remove(session: EngineSocket): void {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    this.admission.closed(session);
  }
}
