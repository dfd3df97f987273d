// One subscriber connection shared by every adapter (namespace) of a process: subscriptions are
// counted, so two users of a channel subscribe once and the last one leaving unsubscribes, and a
// message is handed only to the handlers of its channel (no per-adapter prefix scan).
// Every subscription is confirmed: a SUBSCRIBE that fails is retried until it succeeds (or nobody
// wants the channel any more), and after the connection comes back every channel is subscribed
// again and confirmed before the users are told the router is whole again (`onRestored`).
// Patterns (PSUBSCRIBE) are subscriptions like channels, keyed apart.
import { isReady, type RedisClient } from "./redis-client.js";

export type ChannelHandler = (message: Buffer) => void;

/**
 * Classic SUBSCRIBE (patterns too, keyed apart), sharded SSUBSCRIBE, or a router of patterns only
 * (PSUBSCRIBE keyed by the pattern itself: the socket.io compat mode).
 */
export type RouterKind = "channel" | "sharded" | "pattern";

const routers: Record<RouterKind, WeakMap<RedisClient, ChannelRouter>> = {
  channel: new WeakMap(),
  sharded: new WeakMap(),
  pattern: new WeakMap(),
};
/** Keys of pattern subscriptions of a "channel" router start with it (no channel of this package does). */
const PATTERN = "\0";
/** First retry of a failed SUBSCRIBE, ms; doubled up to RETRY_MAX. */
const RETRY_MIN = 50;
const RETRY_MAX = 1000;

/** The router of a subscriber client, created on first use; `sharded`: SSUBSCRIBE and `smessage`. */
export function routerFor(client: RedisClient, sharded = false): ChannelRouter {
  return routerOfKind(client, sharded ? "sharded" : "channel");
}

/** The router of a subscriber client's pattern subscriptions (PSUBSCRIBE, `pmessageBuffer`). */
export function patternRouterFor(client: RedisClient): ChannelRouter {
  return routerOfKind(client, "pattern");
}

function routerOfKind(client: RedisClient, kind: RouterKind): ChannelRouter {
  const map = routers[kind];
  let router = map.get(client);
  if (!router) {
    router = new ChannelRouter(client, kind);
    map.set(client, router);
  }
  return router;
}

interface Subscription {
  handlers: Set<ChannelHandler>;
  /** Resolves once Redis confirmed the subscription (never rejects). */
  confirmed: Promise<void>;
  isConfirmed: boolean;
  resolve: () => void;
  /** Reports a failed attempt (the last subscriber's reporter). */
  report: (err: unknown) => void;
  retry: ReturnType<typeof setTimeout> | undefined;
}

export class ChannelRouter {
  private readonly client: RedisClient;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly restoredListeners = new Set<() => void>();
  /** Set when the connection dropped: every channel must be confirmed again. */
  private lost = false;
  /** Set from the connection's return until every channel is confirmed again. */
  private restoring = false;

  private readonly subscribeTo: (channel: string) => Promise<unknown>;
  private readonly unsubscribeFrom: (channel: string) => Promise<unknown>;
  private patternTo: ((pattern: string) => Promise<unknown>) | undefined;
  private patternFrom: ((pattern: string) => Promise<unknown>) | undefined;

  constructor(client: RedisClient, kind: RouterKind = "channel") {
    this.client = client;
    if (kind === "pattern") {
      const { psubscribe, punsubscribe } = client;
      if (!psubscribe || !punsubscribe) {
        throw new TypeError("option compat needs a client with psubscribe/punsubscribe (ioredis Redis)");
      }
      this.subscribeTo = (pattern) => psubscribe.call(client, pattern);
      this.unsubscribeFrom = (pattern) => punsubscribe.call(client, pattern);
      // A pattern's handlers get every message of every channel it matches.
      client.on("pmessageBuffer", (pattern, _channel, message) => this.route(pattern.toString(), message));
    } else if (kind === "sharded") {
      const { ssubscribe, sunsubscribe } = client;
      if (!ssubscribe || !sunsubscribe) {
        throw new TypeError(
          "option sharded needs a client with ssubscribe/sunsubscribe (Redis 7, ioredis Cluster)",
        );
      }
      this.subscribeTo = (channel) => ssubscribe.call(client, channel);
      this.unsubscribeFrom = (channel) => sunsubscribe.call(client, channel);
    } else {
      this.subscribeTo = (channel) => client.subscribe(channel);
      this.unsubscribeFrom = (channel) => client.unsubscribe(channel);
    }
    if (kind !== "pattern") {
      client.on(kind === "sharded" ? "smessageBuffer" : "messageBuffer", (channel, message) =>
        this.route(channel.toString(), message),
      );
    }
    if (kind === "channel" && client.psubscribe && client.punsubscribe) {
      const { psubscribe, punsubscribe } = client;
      this.patternTo = (pattern) => psubscribe.call(client, pattern);
      this.patternFrom = (pattern) => punsubscribe.call(client, pattern);
      client.on("pmessageBuffer", (pattern, _channel, message) =>
        this.route(PATTERN + pattern.toString(), message),
      );
    }
    client.on("close", () => this.onConnectionLost());
    client.on("ready", () => this.onConnectionBack());
  }

  /**
   * Adds a handler; resolves once Redis confirmed the subscription, however many attempts it takes
   * (failures go to `report`). Never rejects.
   */
  subscribe(channel: string, handler: ChannelHandler, report: (err: unknown) => void): Promise<void> {
    const existing = this.subscriptions.get(channel);
    if (existing) {
      existing.handlers.add(handler);
      existing.report = report;
      return existing.confirmed;
    }
    const sub = this.pendingSubscription(new Set([handler]), report);
    this.subscriptions.set(channel, sub);
    this.attempt(channel, sub, RETRY_MIN);
    return sub.confirmed;
  }

  /** Whether the client can subscribe to patterns (not in sharded mode). */
  get patterns(): boolean {
    return this.patternTo !== undefined;
  }

  /** Like {@link subscribe}, for every channel matching a glob-style `pattern` (PSUBSCRIBE). */
  psubscribe(pattern: string, handler: ChannelHandler, report: (err: unknown) => void): Promise<void> {
    return this.subscribe(PATTERN + pattern, handler, report);
  }

  /** Like {@link unsubscribe}, for a pattern. */
  punsubscribe(pattern: string, handler: ChannelHandler): Promise<void> {
    return this.unsubscribe(PATTERN + pattern, handler);
  }

  /** Removes a handler; the last one out unsubscribes. */
  unsubscribe(channel: string, handler: ChannelHandler): Promise<void> {
    const sub = this.subscriptions.get(channel);
    if (!sub?.handlers.delete(handler) || sub.handlers.size > 0) return Promise.resolve();
    this.subscriptions.delete(channel);
    clearTimeout(sub.retry);
    sub.resolve();
    return this.send(channel, false).then(() => undefined);
  }

  /** The confirmation still awaited for `channel`, if any. */
  pending(channel: string): Promise<void> | undefined {
    const sub = this.subscriptions.get(channel);
    return sub && !sub.isConfirmed ? sub.confirmed : undefined;
  }

  /** Whether the connection is up and, after a loss, every channel confirmed again. */
  get connected(): boolean {
    return !this.lost && !this.restoring && isReady(this.client);
  }

  /** Calls `fn` each time the router is whole again after a loss; returns the unregistration. */
  onRestored(fn: () => void): () => void {
    this.restoredListeners.add(fn);
    return () => this.restoredListeners.delete(fn);
  }

  private pendingSubscription(handlers: Set<ChannelHandler>, report: (err: unknown) => void): Subscription {
    let settle!: () => void;
    const confirmed = new Promise<void>((r) => (settle = r));
    const sub: Subscription = {
      handlers,
      confirmed,
      isConfirmed: false,
      resolve: () => {
        sub.isConfirmed = true;
        settle();
      },
      report,
      retry: undefined,
    };
    return sub;
  }

  /** Sends SUBSCRIBE; on failure tries again later, as long as the channel is still wanted. */
  private attempt(channel: string, sub: Subscription, delay: number): void {
    sub.retry = undefined;
    this.send(channel, true).then(
      () => {
        if (this.subscriptions.get(channel) !== sub) return;
        sub.resolve();
        this.maybeRestored();
      },
      (err: unknown) => {
        if (this.subscriptions.get(channel) !== sub) return;
        sub.report(err);
        sub.retry = setTimeout(() => {
          if (this.subscriptions.get(channel) === sub)
            this.attempt(channel, sub, Math.min(delay * 2, RETRY_MAX));
        }, delay);
        sub.retry.unref();
      },
    );
  }

  private onConnectionLost(): void {
    this.lost = true;
    // Every channel must be confirmed again once the connection is back.
    for (const [channel, sub] of this.subscriptions) {
      if (!sub.isConfirmed) continue;
      const fresh = this.pendingSubscription(sub.handlers, sub.report);
      this.subscriptions.set(channel, fresh);
    }
  }

  private onConnectionBack(): void {
    if (!this.lost) return;
    this.lost = false;
    this.restoring = true;
    for (const [channel, sub] of this.subscriptions) {
      if (!sub.isConfirmed && sub.retry === undefined) this.attempt(channel, sub, RETRY_MIN);
    }
    this.maybeRestored();
  }

  private maybeRestored(): void {
    if (!this.restoring || this.lost || !isReady(this.client)) return;
    for (const sub of this.subscriptions.values()) if (!sub.isConfirmed) return;
    this.restoring = false;
    for (const fn of [...this.restoredListeners]) fn();
  }

  /** SUBSCRIBE / UNSUBSCRIBE (or the pattern commands, for a pattern's key). */
  private send(key: string, on: boolean): Promise<unknown> {
    if (key.startsWith(PATTERN)) {
      const command = on ? this.patternTo : this.patternFrom;
      if (!command) return Promise.reject(new Error("this Redis client cannot subscribe to patterns"));
      return command(key.slice(PATTERN.length));
    }
    return on ? this.subscribeTo(key) : this.unsubscribeFrom(key);
  }

  private route(channel: string, message: Buffer): void {
    const sub = this.subscriptions.get(channel);
    if (!sub) return;
    for (const handler of sub.handlers) handler(message);
  }
}
