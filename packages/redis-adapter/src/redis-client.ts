// The slice of a Redis client this package uses, written down structurally: ioredis 5 and 6
// `Redis` instances fit it, and so does anything else that speaks these few calls.

type Arg = string | Buffer | number;

/** A Redis connection (ioredis `Redis`). The adapter never closes the clients it is given. */
export interface RedisClient {
  /** Sends a command; string replies as strings. */
  call(command: string, ...args: Arg[]): Promise<unknown>;
  /** Sends a command; string replies as Buffers (binary-safe). */
  callBuffer(command: string, ...args: Arg[]): Promise<unknown>;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  on(event: "messageBuffer", listener: (channel: Buffer, message: Buffer) => void): unknown;
  off(event: "messageBuffer", listener: (channel: Buffer, message: Buffer) => void): unknown;
}
