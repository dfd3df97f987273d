/**
 * `@volley/redis-adapter` — many Volley servers act as one through Redis.
 *
 * ```ts
 * import { Redis } from "ioredis";
 * import { Server } from "volley";
 * import { createAdapter } from "@volley/redis-adapter";
 * const pubClient = new Redis();
 * const subClient = pubClient.duplicate();
 * const io = new Server(httpServer, { adapter: createAdapter(pubClient, subClient) });
 * ```
 * @packageDocumentation
 */
import type { AdapterConstructor, Namespace } from "volley";
import { type RedisAdapterOptions, resolveOptions } from "./options.js";
import { RedisAdapter } from "./redis-adapter.js";
import type { RedisClient } from "./redis-client.js";
import { RedisNodeDirectory } from "./node-directory.js";
import { SessionForwarding } from "./session-forwarding.js";
import { SocketIoCompatAdapter } from "./compat/socketio-adapter.js";
import type { SessionForwardingOptions } from "./forwarding-options.js";

export { RedisAdapterError, type RedisAdapterErrorCode } from "./errors.js";
export type { RedisAdapterOptions } from "./options.js";
export { RedisAdapter } from "./redis-adapter.js";
export type { RedisClient } from "./redis-client.js";
export type { SessionForwardingOptions } from "./forwarding-options.js";
export { type NodeDirectory, RedisNodeDirectory } from "./node-directory.js";
export { type SkippedMessages, SocketIoCompatAdapter } from "./compat/socketio-adapter.js";
export {
  type ForwardingStats,
  SessionForwarding,
  type SessionForwardingEvents,
} from "./session-forwarding.js";

/**
 * The `adapter` option of a Volley `Server`: one {@link RedisAdapter} (with `compat: "socket.io"`,
 * one {@link SocketIoCompatAdapter}) per namespace, all sharing
 * the two connections. `subClient` must be a connection of its own (`pubClient.duplicate()`): a
 * subscribed Redis connection cannot send other commands. The adapter never closes the clients.
 * @throws TypeError when an option is out of range (named in the message).
 */
export function createAdapter(
  pubClient: RedisClient,
  subClient: RedisClient,
  opts: RedisAdapterOptions = {},
): AdapterConstructor {
  // Checked now, so a bad option fails at start-up rather than at the first namespace.
  if (resolveOptions(opts).compat === "socket.io") {
    return class extends SocketIoCompatAdapter {
      constructor(nsp: Namespace) {
        super(nsp, pubClient, subClient, opts);
      }
    };
  }
  return class extends RedisAdapter {
    constructor(nsp: Namespace) {
      super(nsp, pubClient, subClient, opts);
    }
  };
}

/**
 * The `sessionRouter` option of a Volley `Server` for a load balancer without sticky sessions: a
 * request that reaches a server other than its session's owner is relayed to the owner, found in a
 * directory of servers kept in Redis (`client` may be the adapter's `pubClient`). Close it after
 * `io.close()`. See the README, "Load balancers without sticky sessions".
 * @throws TypeError when an option is out of range (named in the message).
 */
export function createSessionForwarding(
  client: RedisClient,
  opts: SessionForwardingOptions,
): SessionForwarding {
  return new SessionForwarding(new RedisNodeDirectory(client, opts.key ?? "volley"), opts);
}
