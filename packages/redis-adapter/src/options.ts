// Every limit of the adapter, its default, and the one place it is checked.

/** Options of {@link createAdapter}. */
export interface RedisAdapterOptions {
  /** Prefix of every Redis channel and key. Default `"volley"`. */
  key?: string;
  /** How long a cluster request (`fetchSockets`, `serverSideEmitWithAck`, …) waits, ms. Default 5000. */
  requestsTimeout?: number;
  /** How often this node announces it is alive, ms. Default 5000. */
  heartbeatInterval?: number;
  /** A node not heard of for this long is considered gone and is no longer waited for, ms. Default 10000. */
  heartbeatTimeout?: number;
  /**
   * Most packets kept in the recovery stream of a namespace (connection-state recovery only).
   * Default: the server's `connectionStateRecovery.maxPackets` (10000).
   */
  streamMaxLen?: number;
  /**
   * Most bytes (serialised packets) kept in the recovery stream of a namespace.
   * Default: the server's `connectionStateRecovery.maxBytes` (16 MiB).
   */
  streamMaxBytes?: number;
  /** Clock for node liveness, injectable for tests. Default `Date.now`. */
  now?: () => number;
}

/** Options after defaults and checks. @internal */
export interface ResolvedOptions {
  key: string;
  requestsTimeout: number;
  heartbeatInterval: number;
  heartbeatTimeout: number;
  streamMaxLen: number | undefined;
  streamMaxBytes: number | undefined;
  now: () => number;
}

/** @throws TypeError naming the option when a value is out of range. */
export function resolveOptions(opts: RedisAdapterOptions = {}): ResolvedOptions {
  const key = opts.key ?? "volley";
  if (typeof key !== "string" || key.length === 0) {
    throw new TypeError(`option key must be a non-empty string (got ${JSON.stringify(key)})`);
  }
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
    key,
    requestsTimeout: positive("requestsTimeout", opts.requestsTimeout, 5000),
    heartbeatInterval,
    heartbeatTimeout,
    streamMaxLen: optionalInteger("streamMaxLen", opts.streamMaxLen),
    streamMaxBytes: optionalInteger("streamMaxBytes", opts.streamMaxBytes),
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

function optionalInteger(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`option ${name} must be a positive integer (got ${String(value)})`);
  }
  return value;
}
