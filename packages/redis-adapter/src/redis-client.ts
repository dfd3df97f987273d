// The slice of a Redis client this package uses, written down structurally: ioredis 5 and 6
// `Redis` instances fit it, and so does anything else that speaks these few calls.

type Arg = string | Buffer | number;

/** A Redis connection (ioredis `Redis`). The adapter never closes the clients it is given. */
export interface RedisClient {
  /**
   * Connection state ("ready" when commands go straight out). Optional: without it the adapter
   * assumes the connection is always up and cannot keep broadcasts during an outage.
   */
  readonly status?: string;
  /** Sends a command; string replies as strings. */
  call(command: string, ...args: Arg[]): Promise<unknown>;
  /** Sends a command; string replies as Buffers (binary-safe). */
  callBuffer(command: string, ...args: Arg[]): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  /** Sharded pub/sub (Redis 7, option `sharded`): ioredis `Cluster` with `shardedSubscribers: true`. */
  ssubscribe?(...channels: string[]): Promise<unknown>;
  sunsubscribe?(...channels: string[]): Promise<unknown>;
  /** Pattern subscriptions (a socket's own room; the socket.io compat mode); ioredis `Redis` has them. */
  psubscribe?(...patterns: string[]): Promise<unknown>;
  punsubscribe?(...patterns: string[]): Promise<unknown>;
  on(event: "pmessageBuffer", listener: (pattern: string, channel: Buffer, message: Buffer) => void): unknown;
  on(
    event: "messageBuffer" | "smessageBuffer",
    listener: (channel: Buffer, message: Buffer) => void,
  ): unknown;
  on(event: "ready" | "close", listener: () => void): unknown;
  on(event: "pmessageBuffer", listener: (pattern: Buffer, channel: Buffer, message: Buffer) => void): unknown;
  off(event: "messageBuffer", listener: (channel: Buffer, message: Buffer) => void): unknown;
  off(event: "ready" | "close", listener: () => void): unknown;
}

/** Whether a client can take commands now (true when it does not say). */
export function isReady(client: RedisClient): boolean {
  return client.status === undefined || client.status === "ready";
}
