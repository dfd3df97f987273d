/** Why a cluster adapter reported an error; stable strings for programs, the message is for humans. */
export type ClusterAdapterErrorCode =
  /** A message from another node could not be decoded (bad frame, bad JSON, unknown type). */
  | "MALFORMED_MESSAGE"
  /** A cluster request got fewer responses than live nodes before `requestsTimeout`. */
  | "REQUEST_TIMEOUT"
  /** The adapter was closed while a request was pending. */
  | "ADAPTER_CLOSED"
  /** A value could not be serialised for the other nodes (a cycle, a function…). */
  | "UNENCODABLE"
  /** The transport failed to carry a message (a transport names its own code, e.g. `REDIS_ERROR`). */
  | "TRANSPORT_ERROR"
  /** Broadcasts made while the transport was down could not be kept for later delivery (buffer full). */
  | "BROADCASTS_LOST";

/**
 * An error of a cluster adapter. Nothing from another node ever throws into the process: errors are
 * reported as values with a code on the adapter's "error" event (or the server's, or a warning).
 */
export class ClusterAdapterError extends Error {
  override readonly name: string = "ClusterAdapterError";
  readonly code: string;
  /** `REQUEST_TIMEOUT`: uids of the nodes that did not answer in time. */
  readonly missingNodes: readonly string[] | undefined;
  /** `BROADCASTS_LOST`: how many broadcasts were dropped. */
  readonly lost: number | undefined;

  constructor(
    code: ClusterAdapterErrorCode | (string & {}),
    message: string,
    options?: { cause?: unknown; missingNodes?: readonly string[]; lost?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.missingNodes = options?.missingNodes;
    this.lost = options?.lost;
  }
}

/** Wraps what a transport operation rejected with, so every failure reaches listeners with a code. */
export function toClusterAdapterError(err: unknown, code = "TRANSPORT_ERROR"): ClusterAdapterError {
  if (err instanceof ClusterAdapterError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ClusterAdapterError(code, `transport failed: ${message}`, { cause: err });
}
