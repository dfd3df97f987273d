// The options every cluster adapter shares (whatever carries its messages), their defaults, and the
// one place they are checked.

/** Options of a {@link ClusterAdapter} (the Redis adapter's options include them). */
export interface ClusterAdapterOptions {
  /** How long a cluster request (`fetchSockets`, `serverSideEmitWithAck`, …) waits, ms. Default 5000. */
  requestsTimeout?: number;
  /** How often this node announces it is alive, ms. Default 5000. */
  heartbeatInterval?: number;
  /**
   * A node not heard of for this long is considered gone and is no longer waited for, ms. The
   * fallback when the transport cannot tell (see `livenessInterval`). Default 10000.
   */
  heartbeatTimeout?: number;
  /**
   * How often the transport is asked which nodes it still sees (Redis: their subscriptions), ms. A
   * killed node is known to be gone within about this long. Default 500.
   */
  livenessInterval?: number;
  /** Most broadcasts kept while the transport is down, for delivery once it is back. Default 1000. */
  outageBufferMaxPackets?: number;
  /** Most bytes (encoded broadcasts) kept while the transport is down. Default 4 MiB. */
  outageBufferMaxBytes?: number;
  /**
   * With connection-state recovery across nodes: most live broadcasts one restoring session keeps
   * while it waits for the log (a remote answer); past it that restore gives up and its client starts
   * fresh. Default 10000.
   */
  pendingRestoreMaxPackets?: number;
  /** Clock for node liveness, injectable for tests. Default `Date.now`. */
  now?: () => number;
}

/** Options after defaults and checks. @internal */
export interface ResolvedClusterOptions {
  requestsTimeout: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  livenessInterval: number;
  outageBufferMaxPackets: number;
  outageBufferMaxBytes: number;
  pendingRestoreMaxPackets: number;
  now: () => number;
}

/** @throws TypeError naming the option when a value is out of range. */
export function resolveClusterOptions(opts: ClusterAdapterOptions = {}): ResolvedClusterOptions {
  const heartbeatInterval = positive("heartbeatInterval", opts.heartbeatInterval, 5000);
  const heartbeatTimeout = positive("heartbeatTimeout", opts.heartbeatTimeout, 10_000);
  if (heartbeatTimeout <= heartbeatInterval) {
    throw new TypeError(
      `option heartbeatTimeout (${heartbeatTimeout}) must be greater than heartbeatInterval (${heartbeatInterval})`,
    );
  }
  if (opts.now !== undefined && typeof opts.now !== "function") {
    throw new TypeError("option now must be a function returning milliseconds");
  }
  return {
    requestsTimeout: positive("requestsTimeout", opts.requestsTimeout, 5000),
    heartbeatInterval,
    heartbeatTimeout,
    livenessInterval: positive("livenessInterval", opts.livenessInterval, 500),
    outageBufferMaxPackets: integer("outageBufferMaxPackets", opts.outageBufferMaxPackets, 1000),
    outageBufferMaxBytes: integer("outageBufferMaxBytes", opts.outageBufferMaxBytes, 4 * 1024 * 1024),
    pendingRestoreMaxPackets: integer("pendingRestoreMaxPackets", opts.pendingRestoreMaxPackets, 10_000),
    now: opts.now ?? Date.now,
  };
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`option ${name} must be a positive finite number (got ${String(value)})`);
  }
  return value;
}

function integer(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`option ${name} must be a non-negative integer (got ${String(value)})`);
  }
  return value;
}
