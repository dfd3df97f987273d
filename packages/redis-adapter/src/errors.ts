/** Why the Redis adapter reported an error; stable strings for programs, the message is for humans. */
export type RedisAdapterErrorCode =
  /** A message on a Redis channel could not be decoded (bad frame, bad JSON, unknown type). */
  | "MALFORMED_MESSAGE"
  /** A Redis command failed (connection lost, script error, …). */
  | "REDIS_ERROR"
  /** A cluster request got fewer responses than live nodes before `requestsTimeout`. */
  | "REQUEST_TIMEOUT"
  /** The adapter was closed while a request was pending. */
  | "ADAPTER_CLOSED"
  /** A value could not be serialised for Redis (a cycle, a function…). */
  | "UNENCODABLE";

/**
 * An error of the Redis adapter. Malformed input from Redis never throws into the process: it is
 * reported as a value with a code on the adapter's "error" event (or the server's, or a warning).
 */
export class RedisAdapterError extends Error {
  override readonly name = "RedisAdapterError";
  readonly code: RedisAdapterErrorCode;

  constructor(code: RedisAdapterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Wraps what a Redis command rejected with, so every failure reaches listeners with a code. */
export function toRedisAdapterError(err: unknown): RedisAdapterError {
  if (err instanceof RedisAdapterError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new RedisAdapterError("REDIS_ERROR", `redis command failed: ${message}`, { cause: err });
}
