import type { CloseHint } from "../close-hint.js";
import { isNode } from "./websocket-constructor.js";

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
 * The message is the code in words (`POLL_ERROR` → `poll error`) followed by what is known of the cause:
 * an HTTP status or `timeout`, the server's message from its JSON answer, in Node the platform error's
 * message (`poll error 400 Session ID unknown`, `websocket error 429 Too many connections`).
 */
export class EngineClientError extends Error {
  override readonly name = "EngineClientError";
  /** socket.io-client compatibility: transport failures carry `type: "TransportError"`. */
  declare readonly type: string;
  declare readonly code: EngineClientErrorCode;
  /** The cause: an HTTP status, `"timeout"`, the failing packet, the platform's error or event. */
  declare readonly description?: unknown;
  /** A refused request: the server's answer (its JSON parsed, e.g. `{ code, message, retryAfter }`). */
  declare readonly context?: unknown;
  /**
   * Milliseconds a server limit asked to wait before connecting again (HTTP 429/503), set when the session
   * fails with this error; 0 when none.
   */
  declare retryAfter?: number;
  /** What the server said before the session ended (a Volley server's close hint), when it did. */
  declare hint?: CloseHint;

  constructor(code: EngineClientErrorCode, description?: unknown, context?: unknown) {
    // Node: followed by what is known of the cause (an HTTP status or a timeout, the server's message from
    // its JSON answer, the platform error's message). The browser bundle keeps the code alone (no prose):
    // the same facts are in `description` and `context`.
    const cause = description as { message?: string } | number | string | undefined;
    super(
      isNode
        ? [
            code.toLowerCase().replace("_", " "),
            (cause as number) > 0 || cause === "timeout" ? cause : (cause as Error)?.message,
            // A plain-text answer (cut short: it may be a proxy's HTML page), or a JSON answer's message.
            typeof context === "string" ? context.slice(0, 200) : (context as Error | undefined)?.message,
          ]
            .filter((part) => part)
            .join(" ")
        : code.toLowerCase().replace("_", " "),
    );
    // Plain assignments: declared fields would be emitted twice (once as class fields).
    Object.assign(this, {
      code,
      description,
      context,
      type: /^PO|^W/.test(code) ? "TransportError" : code,
    });
  }
}
