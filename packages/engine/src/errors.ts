/**
 * Engine.IO 4 handshake/request error codes, as the reference server sends them in its HTTP 400 body
 * `{"code","message"}`. This object is the only place in Volley where these numbers appear.
 */
export const EngineErrorCode = {
  UNKNOWN_TRANSPORT: 0,
  UNKNOWN_SID: 1,
  BAD_HANDSHAKE_METHOD: 2,
  BAD_REQUEST: 3,
  FORBIDDEN: 4,
  UNSUPPORTED_PROTOCOL_VERSION: 5,
  /** Volley: a handshake rate limit refused the handshake (HTTP 429, or 503 for the total rate). */
  TOO_MANY_HANDSHAKES: 6,
  /** Volley: a connection cap refused the handshake (HTTP 429 per address, 503 for the total). */
  TOO_MANY_CONNECTIONS: 7,
} as const;

export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

/** The message clients see for each code (engine.io-client users may match on these strings). */
export const EngineErrorMessage: Readonly<Record<EngineErrorCode, string>> = {
  0: "Transport unknown",
  1: "Session ID unknown",
  2: "Bad handshake method",
  3: "Bad request",
  4: "Forbidden",
  5: "Unsupported protocol version",
  6: "Too many handshakes",
  7: "Too many connections",
};

/**
 * A refused request: carries the Engine.IO error code and the HTTP status it becomes.
 * Raised where the request is checked, turned into a response in one place (the server).
 */
export class EngineRequestError extends Error {
  override readonly name = "EngineRequestError";
  readonly code: EngineErrorCode;
  /** HTTP status of the refusal: 400, except 403 for FORBIDDEN, 413 for an oversized body, 429/503 for limits. */
  readonly status: number;
  /**
   * Milliseconds the client should wait before trying again, for refusals by a limit: sent as
   * `Retry-After: <seconds>` (rounded up) and as `retryAfter` (seconds) in the JSON body.
   */
  readonly retryAfterMs: number | undefined;
  /** Extra detail for `connection_error` listeners (never sent to the client). */
  readonly context: Record<string, unknown>;

  constructor(
    code: EngineErrorCode,
    context: Record<string, unknown> = {},
    message?: string,
    status?: number,
    retryAfterMs?: number,
  ) {
    super(message ?? EngineErrorMessage[code]);
    this.code = code;
    this.status = status ?? (code === EngineErrorCode.FORBIDDEN ? 403 : 400);
    this.context = context;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Why a session closed; the second argument of the session's `close` event. */
export type CloseReason =
  | "transport close"
  | "transport error"
  | "ping timeout"
  | "forced close"
  | "parse error"
  | "slow consumer"
  | "server shutting down";
