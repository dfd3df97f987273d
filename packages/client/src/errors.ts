import type { CloseDetails, CloseHint } from "@volley/engine/client";

export type { CloseHint };

/** What went wrong, as a stable code. */
export type ClientErrorCode =
  /** The server refused the namespace connection (middleware `next(err)`); `data` holds its `data`. */
  | "CONNECT_ERROR"
  /** The Manager could not open a connection within `timeout`. */
  | "CONNECT_TIMEOUT"
  /** An acknowledgement did not arrive within the emit's `timeout` / `ackTimeout`. */
  | "ACK_TIMEOUT"
  /** The socket disconnected before the acknowledgement arrived. */
  | "DISCONNECTED"
  /** The application tried to emit a name reserved by the library (`connect`, `disconnect`, …); `data` is the name. */
  | "RESERVED_EVENT"
  /** The server's CONNECT answer did not carry a session id (a Socket.IO v2 server?). */
  | "PROTOCOL_MISMATCH"
  /** The server sent a malformed Socket.IO packet; `data` holds the chunk. */
  | "PARSE_ERROR"
  /**
   * An emit is larger than the server's `maxPayload` (from its handshake) and was not sent; `data` is
   * `{ size, maxPayload }` in bytes.
   */
  | "PAYLOAD_TOO_LARGE"
  /**
   * `@volley/client/exactly-once`: an acknowledged emit was sent, the connection was lost, and the server did
   * not continue the session's exactly-once record on reconnection (session not recovered, or recovered on
   * a server without the record). The emit may or may not have been processed; it is not sent again.
   */
  | "NOT_RECOVERED";

/**
 * An error of the Socket.IO client. `message` is socket.io-client's for the same case where it has one
 * (`timeout`, `operation has timed out`, the server's refusal), else the code in words: the browser
 * bundle carries no prose.
 */
export class ClientError extends Error {
  override readonly name = "ClientError";

  declare readonly code: ClientErrorCode;
  /** Extra details, e.g. the `data` a server middleware passed with its error. */
  declare readonly data?: unknown;

  constructor(code: ClientErrorCode, message = code.toLowerCase().replace("_", " "), data?: unknown) {
    super(message);
    // Plain assignments: declared fields would be emitted twice (once as class fields).
    Object.assign(this, { code, data });
  }
}

/**
 * The second argument of `disconnect`: for `transport close`, `{ description, context }` (`context`: the
 * WebSocket's close event, with `code` and `reason`); for `transport error` and `parse error`, the error. When
 * a Volley server said why it was closing (a close hint), `hint` holds what it said:
 * `{ reason, message?, reconnectAfter? }`.
 */
export type DisconnectDescription = CloseDetails | (Error & { hint?: CloseHint });
