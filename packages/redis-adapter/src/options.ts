// Every limit of the Redis adapter, its default, and the one place it is checked (the cluster
// options are checked by the server package's ClusterAdapter).
import { type ClusterAdapterOptions, resolveClusterOptions } from "volley";

/** Options of {@link createAdapter}: the cluster options, plus those of Redis. */
export interface RedisAdapterOptions extends ClusterAdapterOptions {
  /**
   * Prefix of every Redis channel and key. Default `"volley"`, or `"socket.io"` (the official
   * adapter's default) with `compat: "socket.io"`.
   */
  key?: string;
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
  /**
   * Redis Cluster with sharded pub/sub (Redis 7: SSUBSCRIBE/SPUBLISH). Give ioredis `Cluster`
   * clients created with `shardedSubscribers: true`. Every channel and key of a namespace carries
   * one hash tag (one shard per namespace). Default false (a single Redis, or classic pub/sub).
   */
  sharded?: boolean;
  /**
   * `"socket.io"`: speak the wire format of the official `@socket.io/redis-adapter` (8.x), so
   * Volley and Socket.IO servers on one Redis form one cluster (a migration mode: no interest
   * routing, no connection-state recovery across servers; see the README). Default: Volley's own.
   */
  compat?: "socket.io";
}

/** The Redis options after defaults and checks. @internal */
export interface ResolvedRedisOptions {
  key: string;
  compat: "socket.io" | undefined;
  streamMaxLen: number | undefined;
  streamMaxBytes: number | undefined;
  sharded: boolean;
}

/** @throws TypeError naming the option when a value (Redis or cluster) is out of range. */
export function resolveOptions(opts: RedisAdapterOptions = {}): ResolvedRedisOptions {
  resolveClusterOptions(opts);
  if (opts.compat !== undefined && opts.compat !== "socket.io") {
    throw new TypeError(`option compat must be "socket.io" or absent (got ${JSON.stringify(opts.compat)})`);
  }
  if (opts.compat !== undefined && opts.sharded === true) {
    throw new TypeError('option sharded cannot be combined with compat "socket.io" (classic pub/sub only)');
  }
  const key = opts.key ?? (opts.compat === "socket.io" ? "socket.io" : "volley");
  if (typeof key !== "string" || key.length === 0) {
    throw new TypeError(`option key must be a non-empty string (got ${JSON.stringify(key)})`);
  }
  return {
    key,
    compat: opts.compat,
    streamMaxLen: optionalInteger("streamMaxLen", opts.streamMaxLen),
    streamMaxBytes: optionalInteger("streamMaxBytes", opts.streamMaxBytes),
    sharded: opts.sharded === true,
  };
}

function optionalInteger(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TypeError(`option ${name} must be a positive integer (got ${String(value)})`);
  }
  return value;
}
