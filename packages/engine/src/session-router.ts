// The one seam for scale-out without sticky sessions: where new session ids come from, and what
// happens to a request that names a session this server does not hold.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

/**
 * Routes sessions between the servers of a cluster (the `sessionRouter` option). A cluster layer
 * makes ids that name their owner, and forwards a request that reached the wrong server to the owner.
 */
export interface SessionRouter {
  /** The id of a new session (the handshake `req`). Must stay unguessable: include 120 random bits. */
  generateId(req: IncomingMessage): string;
  /**
   * A polling request names `sid`, which this server does not hold. Return false and the engine
   * refuses it (400 `Session ID unknown`), as without a router. Return true to take it over: the router
   * then answers `res` itself, or calls `refuse()` once, before writing anything, to have the engine
   * refuse it after all.
   */
  forwardRequest(sid: string, req: IncomingMessage, res: ServerResponse, refuse: () => void): boolean;
  /** The same for a WebSocket upgrade request (`socket` and `head` as the http server's `upgrade` event gives them). */
  forwardUpgrade(
    sid: string,
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    refuse: () => void,
  ): boolean;
  /**
   * Optional: true for a request another server of the cluster relayed here. Such a polling request
   * breaks when the relaying server dies while the client is still there, so it does not end the
   * session, and its repeat (same `t` parameter) is answered as the lost one was. See
   * `transports/relayed-requests.ts`.
   */
  isRelayed?(req: IncomingMessage): boolean;
}
