// One subscriber connection shared by every adapter (namespace) of a process: subscriptions are
// counted, so two users of a channel subscribe once and the last one leaving unsubscribes, and a
// message is handed only to the handlers of its channel (no per-adapter prefix scan).
import type { RedisClient } from "./redis-client.js";

export type ChannelHandler = (message: Buffer) => void;

const routers = new WeakMap<RedisClient, ChannelRouter>();

/** The router of a subscriber client, created on first use. */
export function routerFor(client: RedisClient): ChannelRouter {
  let router = routers.get(client);
  if (!router) {
    router = new ChannelRouter(client);
    routers.set(client, router);
  }
  return router;
}

export class ChannelRouter {
  private readonly client: RedisClient;
  private readonly handlers = new Map<string, Set<ChannelHandler>>();
  /** SUBSCRIBE sent, not yet confirmed by Redis: messages published before it are not delivered. */
  private readonly confirming = new Map<string, Promise<void>>();

  constructor(client: RedisClient) {
    this.client = client;
    client.on("messageBuffer", (channel, message) => this.route(channel, message));
  }

  /** Adds a handler; resolves once Redis confirmed the subscription. */
  subscribe(channel: string, handler: ChannelHandler): Promise<void> {
    const set = this.handlers.get(channel);
    if (set) {
      set.add(handler);
      return this.confirming.get(channel) ?? Promise.resolve();
    }
    this.handlers.set(channel, new Set([handler]));
    const confirmed: Promise<void> = this.client.subscribe(channel).then(
      () => {
        if (this.confirming.get(channel) === confirmed) this.confirming.delete(channel);
      },
      (err: unknown) => {
        if (this.confirming.get(channel) === confirmed) this.confirming.delete(channel);
        throw err;
      },
    );
    this.confirming.set(channel, confirmed);
    return confirmed;
  }

  /** Removes a handler; the last one out unsubscribes. */
  unsubscribe(channel: string, handler: ChannelHandler): Promise<void> {
    const set = this.handlers.get(channel);
    if (!set?.delete(handler) || set.size > 0) return Promise.resolve();
    this.handlers.delete(channel);
    this.confirming.delete(channel);
    return this.client.unsubscribe(channel).then(() => undefined);
  }

  /** The confirmation still awaited for `channel`, if any. */
  pending(channel: string): Promise<void> | undefined {
    return this.confirming.get(channel);
  }

  private route(channel: Buffer, message: Buffer): void {
    const set = this.handlers.get(channel.toString());
    if (!set) return;
    for (const handler of set) handler(message);
  }
}
