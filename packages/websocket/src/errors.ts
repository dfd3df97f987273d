import { CloseCode } from "./close-codes.js";

/** Machine-readable kinds of {@link WebSocketError}. */
export type WebSocketErrorCode =
  /** The peer broke RFC 6455 framing rules (close 1002). */
  | "PROTOCOL_ERROR"
  /** A text message or close reason was not valid UTF-8 (close 1007). */
  | "INVALID_UTF8"
  /** A message, or its inflated size, exceeded `maxPayload`, or had more than `maxFragments` frames (close 1009). */
  | "MESSAGE_TOO_BIG"
  /** The peer sent more than `maxUnparsedBytes` while reading was paused for it (close 1008). */
  | "INPUT_OVERFLOW"
  /** permessage-deflate data could not be inflated (close 1007). */
  | "INVALID_COMPRESSED_DATA"
  /** The opening handshake failed (server: an HTTP error was sent; client: the response was bad). */
  | "HANDSHAKE_FAILED"
  /** The client handshake did not complete within `handshakeTimeout`. */
  | "HANDSHAKE_TIMEOUT"
  /** `send`/`ping`/`pong` was called before the connection opened, or after it closed. */
  | "NOT_OPEN"
  /** An argument was invalid: close code, close reason, control payload size, URL, subprotocol. */
  | "INVALID_ARGUMENT"
  /** The close handshake did not complete within `closeTimeout`; the socket was destroyed. */
  | "CLOSE_TIMEOUT";

/**
 * The one error type of this package. `closeCode` is the RFC 6455 status code the connection is (or
 * would be) closed with; `statusCode` is the HTTP status of a failed handshake.
 */
export class WebSocketError extends Error {
  override name = "WebSocketError";
  readonly code: WebSocketErrorCode;
  readonly closeCode: number;
  readonly statusCode: number | undefined;

  constructor(
    code: WebSocketErrorCode,
    message: string,
    closeCode: number = CloseCode.Abnormal,
    statusCode?: number,
  ) {
    super(message);
    this.code = code;
    this.closeCode = closeCode;
    this.statusCode = statusCode;
  }
}

export function protocolError(message: string): WebSocketError {
  return new WebSocketError("PROTOCOL_ERROR", message, CloseCode.ProtocolError);
}

export function invalidUtf8(message = "invalid UTF-8 sequence"): WebSocketError {
  return new WebSocketError("INVALID_UTF8", message, CloseCode.InvalidPayload);
}

export function messageTooBig(maxPayload: number): WebSocketError {
  return new WebSocketError(
    "MESSAGE_TOO_BIG",
    `message exceeds maxPayload (${maxPayload} bytes)`,
    CloseCode.MessageTooBig,
  );
}

export function tooManyFragments(maxFragments: number): WebSocketError {
  return new WebSocketError(
    "MESSAGE_TOO_BIG",
    `message exceeds maxFragments (${maxFragments} frames)`,
    CloseCode.MessageTooBig,
  );
}

export function inputOverflow(maxUnparsedBytes: number): WebSocketError {
  return new WebSocketError(
    "INPUT_OVERFLOW",
    `unparsed input exceeds maxUnparsedBytes (${maxUnparsedBytes} bytes)`,
    CloseCode.PolicyViolation,
  );
}

export function handshakeError(message: string, statusCode?: number): WebSocketError {
  return new WebSocketError("HANDSHAKE_FAILED", message, CloseCode.Abnormal, statusCode);
}

const READY_STATES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"] as const;

/** `send` and friends on a connection that is not open (`state` is its `readyState`). */
export function notOpen(state: number): WebSocketError {
  return new WebSocketError(
    "NOT_OPEN",
    `WebSocket is not open: readyState ${state} (${READY_STATES[state]})`,
    CloseCode.Abnormal,
  );
}
