import { ClusterAdapterError, type ClusterAdapterErrorCode } from "volley";

/** Why the Redis adapter reported an error: the cluster codes, plus `REDIS_ERROR`. */
export type RedisAdapterErrorCode =
  | ClusterAdapterErrorCode
  /** A Redis command failed (connection lost, script error, …). */
  | "REDIS_ERROR";

/**
 * An error of the Redis adapter (every error it reports is one). Malformed input from Redis never
 * throws into the process: it is reported as a value with a code on the adapter's "error" event (or
 * the server's, or a warning). `REQUEST_TIMEOUT` errors name the silent nodes in `missingNodes`;
 * `BROADCASTS_LOST` errors count the lost broadcasts in `lost`.
 */
export class RedisAdapterError extends ClusterAdapterError {
  override readonly name = "RedisAdapterError";
  declare readonly code: RedisAdapterErrorCode;

  constructor(
    code: RedisAdapterErrorCode,
    message: string,
    options?: { cause?: unknown; missingNodes?: readonly string[]; lost?: number },
  ) {
    super(code, message, options);
  }
}

/** Wraps any failure, so every error reaches listeners as a RedisAdapterError with a code. */
export function toRedisAdapterError(err: unknown): RedisAdapterError {
  if (err instanceof RedisAdapterError) return err;
  if (err instanceof ClusterAdapterError) {
    return new RedisAdapterError(err.code as RedisAdapterErrorCode, err.message, {
      cause: err.cause,
      missingNodes: err.missingNodes,
      lost: err.lost,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new RedisAdapterError("REDIS_ERROR", `redis command failed: ${message}`, { cause: err });
}
