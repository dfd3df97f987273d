// The Redis adapter: the Redis transport of a ClusterAdapter (volley), which holds everything that
// does not depend on Redis (requests, remote acks, node liveness, departures, outage buffering).
// Here: Redis pub/sub channels — broadcasts on a channel per room (subscribed only while the node
// has members there) or one channel for everyone, requests on a request channel, responses on a
// channel per node —, liveness from what Redis knows (a node's response channel has a subscriber
// while its connection lives), and, with connection-state recovery, a stream of logged broadcasts
// and a session per socket (what recovery keeps where: redis-recovery; the rest is the cluster
// layer's LoggedClusterAdapter). Each concern has its module: channel-router, room-subscriptions,
// redis-recovery, recovery-stream, session-store, session-snapshots, session-takeover.
import {
  type ClusterAdapterError,
  type ClusterChannel,
  LoggedClusterAdapter,
  type Namespace,
  type Room,
} from "volley";
import { type ChannelRouter, routerFor } from "./channel-router.js";
import { Channels } from "./channels.js";
import { toRedisAdapterError } from "./errors.js";
import { type RedisAdapterOptions, type ResolvedRedisOptions, resolveOptions } from "./options.js";
import { splitLogged } from "./recovery-stream.js";
import { isReady, type RedisClient } from "./redis-client.js";
import { isReadMarker, RedisRecovery } from "./redis-recovery.js";
import { OwnSocketRooms } from "./own-socket-rooms.js";
import { RoomSubscriptions } from "./room-subscriptions.js";
import { debug } from "./debug.js";

/**
 * Adapter sharing rooms, broadcasts, acknowledgements, `fetchSockets`, `serverSideEmit` and
 * connection-state recovery between servers through Redis. Created by {@link createAdapter}.
 */
export class RedisAdapter extends LoggedClusterAdapter {
  private readonly pub: RedisClient;
  private readonly router: ChannelRouter;
  private readonly redisOptions: ResolvedRedisOptions;
  private readonly channels: Channels;
  /** With connection-state recovery: the stream of logged broadcasts and the session store. */
  private readonly recovery: RedisRecovery | undefined;
  private readonly roomSubscriptions: RoomSubscriptions;
  /** Sockets' own rooms by one pattern per node (not sharded, and a client with PSUBSCRIBE). */
  private readonly ownRooms: OwnSocketRooms | undefined;
  private readonly reportFn = (err: unknown) => this.report(err);
  private readonly onBroadcast = (raw: Buffer) => {
    let split: ReturnType<typeof splitLogged>;
    try {
      split = splitLogged(raw);
    } catch (err) {
      this.report(err);
      return;
    }
    this.receive(split.frame, split.offset);
  };
  private readonly onMessage = (raw: Buffer) => this.receive(raw);
  /** Responses addressed to this node, and the markers of its recovery's reads of the stream. */
  private readonly onResponse = (raw: Buffer) => {
    if (this.recovery && isReadMarker(raw)) this.recovery.markerHeard(raw);
    else this.receive(raw);
  };
  private readonly onBack = () => {
    if (debug.enabled) debug.log("%s: Redis connection ready, rejoining the cluster", this.uid);
    this.transportUp();
  };
  private readonly stopRestoredListener: () => void;
  private readonly publishCommand: string;
  /** Sharded mode: refreshes this node's liveness key. */
  private aliveTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    nsp: Namespace,
    pubClient: RedisClient,
    subClient: RedisClient,
    opts: RedisAdapterOptions = {},
  ) {
    super(nsp, opts);
    if (pubClient === subClient) {
      throw new TypeError(
        "pubClient and subClient must be two connections: a subscribed connection cannot publish (use pubClient.duplicate())",
      );
    }
    this.pub = pubClient;
    this.redisOptions = resolveOptions(opts);
    const sharded = this.redisOptions.sharded;
    this.router = routerFor(subClient, sharded);
    this.publishCommand = sharded ? "SPUBLISH" : "PUBLISH";
    this.channels = new Channels(this.redisOptions.key, this.host.name, sharded);
    const ownRooms = this.router.patterns ? new OwnSocketRooms(this.uid) : undefined;
    this.ownRooms = ownRooms;
    this.roomSubscriptions = new RoomSubscriptions(
      this.router,
      this.channels,
      this.onBroadcast,
      this.reportFn,
      ownRooms ? (room) => ownRooms.covers(room) : undefined,
    );
    this.recovery = this.createRecovery();
    if (this.recovery) this.useLoggedRecovery(this.recovery);
    // Back after an outage: the subscriber is whole again, or the publisher reconnected.
    this.stopRestoredListener = this.router.onRestored(this.onBack);
    pubClient.on("ready", this.onBack);
  }

  // ── the transport ────────────────────────────────────────────────────────────────────────────

  protected override publish(channel: ClusterChannel, frame: Buffer): Promise<unknown> {
    return this.pub.call(this.publishCommand, this.channelName(channel), frame);
  }

  private channelName(channel: ClusterChannel): string {
    switch (channel.kind) {
      case "broadcast":
        return channel.room === undefined ? this.channels.all : this.channels.room(channel.room);
      case "request":
        return this.channels.request;
      case "response":
        return this.channels.response(channel.uid);
    }
  }

  protected override async subscribeNode(): Promise<void> {
    await Promise.all([
      this.router.subscribe(this.channels.all, this.onBroadcast, this.reportFn),
      this.router.subscribe(this.channels.request, this.onMessage, this.reportFn),
      this.router.subscribe(this.channels.response(this.uid), this.onResponse, this.reportFn),
      this.ownRooms &&
        this.router.psubscribe(this.channels.ownSocketRooms(this.uid), this.onBroadcast, this.reportFn),
    ]);
  }

  /** Ids that name this node, so their rooms are covered by its pattern (see own-socket-rooms.ts). */
  override socketId(): string | undefined {
    return this.ownRooms?.newId();
  }

  protected override async startTransport(): Promise<void> {
    if (this.redisOptions.sharded) {
      // Cluster-wide PUBSUB counts are per shard: a key with a short TTL tells who is alive instead.
      await this.refreshAlive();
      this.aliveTimer ??= setInterval(() => {
        if (this.transportAvailable()) this.refreshAlive().catch((err) => this.report(err));
      }, this.clusterOptions.livenessInterval);
      this.aliveTimer.unref();
    }
    if (this.recovery) this.logJoinedAt(await this.recovery.load());
  }

  protected override async unsubscribeNode(): Promise<void> {
    await Promise.all([
      this.router.unsubscribe(this.channels.all, this.onBroadcast),
      this.router.unsubscribe(this.channels.request, this.onMessage),
      this.router.unsubscribe(this.channels.response(this.uid), this.onResponse),
      this.ownRooms && this.router.punsubscribe(this.channels.ownSocketRooms(this.uid), this.onBroadcast),
      ...this.roomSubscriptions.close(),
    ]);
  }

  protected override watchRoom(room: Room): void {
    this.roomSubscriptions.hold(room);
  }

  protected override unwatchRoom(room: Room): void {
    this.roomSubscriptions.release(room);
  }

  protected override roomConfirmation(room: Room): Promise<void> | undefined {
    return this.roomSubscriptions.confirming(room);
  }

  /**
   * What Redis knows: a node's response channel has a subscriber exactly while that node's
   * subscriber connection lives, so a killed node shows 0 as soon as Redis sees its socket close.
   */
  protected override async probeNodes(uids: string[]): Promise<string[]> {
    if (this.redisOptions.sharded) {
      // One hash tag: every liveness key of the namespace is in one slot, one MGET.
      const values = (await this.pub.call(
        "MGET",
        ...uids.map((uid) => this.channels.alive(uid)),
      )) as unknown[];
      return uids.filter((_, i) => values[i] === null);
    }
    const reply = (await this.pub.call(
      "PUBSUB",
      "NUMSUB",
      ...uids.map((uid) => this.channels.response(uid)),
    )) as unknown[];
    const gone: string[] = [];
    for (let i = 0; i < uids.length; i++) if (Number(reply[2 * i + 1]) === 0) gone.push(uids[i]!);
    return gone;
  }

  protected override transportAvailable(): boolean {
    return isReady(this.pub) && this.router.connected;
  }

  protected override toError(err: unknown): ClusterAdapterError {
    return toRedisAdapterError(err);
  }

  /** Unsubscribes and announces the departure. Never closes the Redis clients. */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.stopRestoredListener();
    this.pub.off("ready", this.onBack);
    clearInterval(this.aliveTimer);
    if (this.redisOptions.sharded) this.pub.call("DEL", this.channels.alive(this.uid)).catch(() => {});
    await super.close();
  }

  /** Sharded mode: this node's liveness key, expiring after twice `livenessInterval`. */
  private refreshAlive(): Promise<unknown> {
    const ttl = Math.max(1, Math.ceil(2 * this.clusterOptions.livenessInterval));
    return this.pub.call("SET", this.channels.alive(this.uid), "1", "PX", ttl);
  }

  // ── connection-state recovery ────────────────────────────────────────────────────────────────

  /** Where recovery keeps its log and sessions; undefined when the server has recovery off. */
  private createRecovery(): RedisRecovery | undefined {
    const recovery = this.host.recovery;
    if (!recovery) return undefined;
    const o = this.clusterOptions;
    return new RedisRecovery(
      {
        pub: this.pub,
        channels: this.channels,
        sharded: this.redisOptions.sharded,
        uid: this.uid,
        sender: this.sender,
        pending: (channel) => this.router.pending(channel),
        liveness: {
          self: this.uid,
          isAlive: (uid) => this.isNodeAlive(uid),
          waitForGone: (uid, ms) => this.waitForNodeGone(uid, ms),
          isClosed: () => this.closed,
          heartbeatInterval: o.heartbeatInterval,
          heartbeatTimeout: o.heartbeatTimeout,
        },
        report: this.reportFn,
      },
      {
        maxLen: this.redisOptions.streamMaxLen ?? recovery.maxPackets,
        maxBytes: this.redisOptions.streamMaxBytes ?? recovery.maxBytes,
        maxAge: recovery.maxDisconnectionDuration,
      },
      recovery.maxDisconnectionDuration,
    );
  }
}
