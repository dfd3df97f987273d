/** What went wrong, as a stable code users can switch on. */
export type EngineClientErrorCode =
  /** The HTTP request of a poll failed or answered with a non-2xx status (`description` holds the status). */
  | "POLL_ERROR"
  /** The HTTP request that sends packets failed or answered with a non-2xx status. */
  | "POST_ERROR"
  /** The WebSocket reported an error. */
  | "WEBSOCKET_ERROR"
  /** The server sent something that is not Engine.IO 4. */
  | "PARSE_ERROR"
  /** The open packet was missing or malformed. */
  | "HANDSHAKE_ERROR"
  /** The upgrade probe was not answered with `3probe`. */
  | "PROBE_ERROR"
  /** None of the requested transports can run here. */
  | "NO_TRANSPORTS"
  /** The URL could not be parsed. */
  | "INVALID_URI";

/**
 * An error of the Engine.IO client: a code, and the low-level cause in `description`/`context`.
 * The message is the code in words (`POLL_ERROR` → `poll error`): the browser bundle carries no prose.
 */
export class EngineClientError extends Error {
  override readonly name = "EngineClientError";
  /** socket.io-client compatibility: transport failures carry `type: "TransportError"`. */
  declare readonly type: string;
  declare readonly code: EngineClientErrorCode;
  /** The cause: an HTTP status, the failing packet, the platform's error or event. */
  declare readonly description?: unknown;
  declare readonly context?: unknown;

  constructor(code: EngineClientErrorCode, description?: unknown, context?: unknown) {
    super(code.toLowerCase().replace("_", " "));
    // Plain assignments: declared fields would be emitted twice (once as class fields).
    Object.assign(this, { code, description, context, type: /^PO|^W/.test(code) ? "TransportError" : code });
  }
}
