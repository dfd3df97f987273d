import type { IncomingMessage } from "node:http";
import { EngineErrorCode, EngineRequestError } from "./errors.js";
import type { ResolvedOptions, TransportName } from "./options.js";
import type { EngineQuery } from "./request-query.js";
import type { EngineProtocol, EngineSocket } from "./session.js";

/** What {@link verifyRequest} needs to know of the server. */
export interface RequestContext {
  readonly options: ResolvedOptions;
  /** The server was closed: every request is refused. */
  readonly closed: boolean;
  /** The session a `sid` names, if this server has it. */
  lookupSession(sid: string, req: IncomingMessage): EngineSocket | undefined;
}

/**
 * Checks what every request must satisfy (transport, protocol revision, sid, method, upgrade rules) with
 * engine.io's error codes and context names; the refusal, or undefined when the request may proceed.
 */
export function verifyRequest(
  server: RequestContext,
  req: IncomingMessage,
  query: EngineQuery,
  upgrade: boolean,
): EngineRequestError | undefined {
  const options = server.options;
  const transport = query.transport;
  if (transport === null || !options.transports.includes(transport as TransportName)) {
    return new EngineRequestError(EngineErrorCode.UNKNOWN_TRANSPORT, { transport });
  }
  const sid = query.sid;
  // A request that cannot be of its transport: engine.io's names (with a sid, checked below).
  const mismatch = (transport === "websocket") !== upgrade;
  if (mismatch && sid === null) {
    const context =
      transport === "websocket"
        ? { name: "TRANSPORT_HANDSHAKE_ERROR" }
        : { name: "TRANSPORT_MISMATCH", transport };
    return new EngineRequestError(EngineErrorCode.BAD_REQUEST, context);
  }
  const protocol = query.EIO;
  if (protocol !== "4" && (protocol !== "3" || !options.allowEIO3)) {
    // A number when it is one, as engine.io reports it.
    const revision = protocol !== null && /^\d+$/.test(protocol) ? Number(protocol) : protocol;
    return new EngineRequestError(EngineErrorCode.UNSUPPORTED_PROTOCOL_VERSION, { protocol: revision });
  }
  // JSONP (`j`, protocol 3 clients' fallback) would answer as a script any site may include: it bypasses
  // CORS and the origin check, so it is refused rather than answered in a form the client misreads.
  if (protocol === "3" && query.j !== null) {
    return new EngineRequestError(
      EngineErrorCode.BAD_REQUEST,
      { name: "JSONP_UNSUPPORTED" },
      "JSONP polling is not supported",
    );
  }
  if (server.closed) return new EngineRequestError(EngineErrorCode.BAD_REQUEST, { name: "SERVER_CLOSED" });
  if (sid !== null) {
    const session = server.lookupSession(sid, req);
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
      (!options.allowUpgrades ||
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

/** Runs `allowRequest` (once, errors caught) and calls back with a refusal or undefined. */
export function checkAllowRequest(
  allowRequest: ResolvedOptions["allowRequest"],
  req: IncomingMessage,
  next: (refusal: EngineRequestError | undefined) => void,
): void {
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

/** The protocol of a request that passed {@link verifyRequest}: 3 only with `allowEIO3`. */
export function protocolOf(query: EngineQuery): EngineProtocol {
  return query.EIO === "3" ? 3 : 4;
}
