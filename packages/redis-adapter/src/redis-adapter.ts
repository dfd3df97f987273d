// The Redis adapter: the Redis transport of a ClusterAdapter (volley), which holds everything that
// does not depend on Redis (requests, remote acks, node liveness, departures, outage buffering).
// Here: Redis pub/sub channels — broadcasts on a channel per room (subscribed only while the node
// has members there) or one channel for everyone, requests on a request channel, responses on a
// channel per node —, liveness from what Redis knows (a node's response channel has a subscriber
// while its connection lives), and, with connection-state recovery, a stream of logged broadcasts
// and a session per socket. Each concern has its module: channel-router, room-subscriptions,
// recovery-stream, session-store, session-snapshots, session-takeover, pending-restores.
import {
  type BroadcastOptions,
  type ClusterAdapterError,
  ClusterAdapter,
  type ClusterChannel,
  ClusterMessageType,
  decodeFrame,
  encodeFrame,
  type Namespace,
  type Packet,
  PacketType,
  type PrivateSessionId,
  type RestoredSession,
  type Room,
  type Session,
  SessionSnapshots,
  type SocketId,
  toWire,
  type WireOptions,
} from "volley";
import { type ChannelRouter, routerFor } from "./channel-router.js";
import { Channels } from "./channels.js";
import { toRedisAdapterError } from "./errors.js";
import { type RedisAdapterOptions, type ResolvedRedisOptions, resolveOptions } from "./options.js";
import { PendingRestores } from "./pending-restores.js";
import { compareStreamIds, isStreamId, RecoveryStream, splitLogged } from "./recovery-stream.js";
import { isReady, type RedisClient } from "./redis-client.js";
import { OwnSocketRooms } from "./own-socket-rooms.js";
import { RoomSubscriptions } from "./room-subscriptions.js";
import { redisSnapshotSink } from "./session-snapshots.js";
import { isPrivateSessionId, SessionStore, type StoredSession, validateSession } from "./session-store.js";
import { takeSession } from "./session-takeover.js";
import { debug } from "./debug.js";

/**
 * Adapter sharing rooms, broadcasts, acknowledgements, `fetchSockets`, `serverSideEmit` and
 * connection-state recovery between servers through Redis. Created by {@link createAdapter}.
 */
export class RedisAdapter extends ClusterAdapter {
  private readonly pub: RedisClient;
  private readonly router: ChannelRouter;
  private readonly redisOptions: ResolvedRedisOptions;
  private readonly channels: Channels;
  private readonly stream: RecoveryStream | undefined;
  private readonly sessionStore: SessionStore | undefined;
  private readonly roomSubscriptions: RoomSubscriptions;
  /** Sockets' own rooms by one pattern per node (not sharded, and a client with PSUBSCRIBE). */
  private readonly ownRooms: OwnSocketRooms | undefined;
  // Recovery bookkeeping.
  private lastOffset = "0-0";
  private readonly connectOffsets = new Map<SocketId, string>();
  private readonly pendingRestores: PendingRestores;
  private readonly snapshots: SessionSnapshots<StoredSession> | undefined;
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
    this.pendingRestores = new PendingRestores(
      this.host.name,
      (room) => this.roomSubscriptions.hold(room),
      (room) => this.roomSubscriptions.release(room),
    );
    const recovery = this.host.recovery;
    if (recovery) {
      this.stream = new RecoveryStream(
        pubClient,
        this.channels,
        {
          maxLen: this.redisOptions.streamMaxLen ?? recovery.maxPackets,
          maxBytes: this.redisOptions.streamMaxBytes ?? recovery.maxBytes,
          maxAge: recovery.maxDisconnectionDuration,
        },
        sharded,
      );
      this.sessionStore = new SessionStore(pubClient, this.channels, this.uid);
      this.snapshots = new SessionSnapshots(
        redisSnapshotSink(this.sessionStore, this.sender, recovery.maxDisconnectionDuration, this.reportFn),
        recovery.maxDisconnectionDuration,
        this.clusterOptions.now,
        (id) => this.liveSession(id),
        this.reportFn,
      );
    }
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
      this.router.subscribe(this.channels.response(this.uid), this.onMessage, this.reportFn),
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
    await Promise.all([this.stream?.load(), this.sessionStore?.load()]);
    if (this.stream) {
      const last = await this.stream.lastId();
      if (compareStreamIds(last, this.lastOffset) > 0) this.lastOffset = last;
    }
  }

  protected override async unsubscribeNode(): Promise<void> {
    await Promise.all([
      this.router.unsubscribe(this.channels.all, this.onBroadcast),
      this.router.unsubscribe(this.channels.request, this.onMessage),
      this.router.unsubscribe(this.channels.response(this.uid), this.onMessage),
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
    this.pendingRestores.endAll();
    await super.close();
  }

  /** Sharded mode: this node's liveness key, expiring after twice `livenessInterval`. */
  private refreshAlive(): Promise<unknown> {
    const ttl = Math.max(1, Math.ceil(2 * this.clusterOptions.livenessInterval));
    return this.pub.call("SET", this.channels.alive(this.uid), "1", "PX", ttl);
  }

  // ── rooms ────────────────────────────────────────────────────────────────────────────────────

  override addAll(id: SocketId, rooms: Set<Room>): Promise<void> | undefined {
    const isNew = !this.sids.has(id);
    const confirmed = super.addAll(id, rooms);
    if (this.stream) {
      if (isNew && this.host.sockets.has(id)) this.connectOffsets.set(id, this.lastOffset);
      const pending = this.pendingRestores.get(id);
      // The restored socket has joined its rooms: from now on it gets broadcasts live.
      if (pending && this.host.sockets.has(id)) this.pendingRestores.end(id, pending);
      if (!this.closed) this.snapshots?.touch(id);
    }
    return confirmed;
  }

  override del(id: SocketId, room: Room): void {
    super.del(id, room);
    if (!this.closed) this.snapshots?.touch(id);
  }

  override delAll(id: SocketId): void {
    const socket = this.host.sockets.get(id);
    super.delAll(id);
    if (!this.stream) return;
    this.connectOffsets.delete(id);
    this.snapshots?.forget(id, socket && this.host.privateSessionId(socket));
  }

  // ── broadcasts ───────────────────────────────────────────────────────────────────────────────

  /**
   * With recovery, a plain EVENT is appended to the stream and published in one script; every node
   * — this one included — delivers it when it comes back from Redis, so all nodes see logged
   * broadcasts in stream order. While Redis is unreachable it takes the unlogged path of the base
   * class instead: local sockets at once, the other nodes once Redis is back.
   */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    const flags = opts.flags;
    const logged =
      this.stream !== undefined &&
      packet.type === PacketType.EVENT &&
      packet.id === undefined &&
      !flags?.volatile &&
      !flags?.local &&
      !this.closed &&
      this.transportAvailable();
    if (!logged) {
      super.broadcast(packet, opts);
      return;
    }
    packet.nsp = this.host.name;
    // Sharded: the script publishes in the stream's slot, so logged broadcasts go on the namespace's
    // channel (receivers filter by room) — one shard keeps them in stream order for every node.
    const channel =
      opts.rooms.size === 1 && !this.redisOptions.sharded
        ? this.channels.room(opts.rooms.values().next().value as Room)
        : this.channels.all;
    let frame: Buffer;
    try {
      frame = encodeFrame(
        this.message(ClusterMessageType.BROADCAST, {
          packet: { type: packet.type, data: packet.data },
          opts: toWire(opts),
        }),
      );
    } catch (err) {
      this.report(err);
      return;
    }
    // Our own copy comes back on `channel`: its subscription must be confirmed before publishing.
    this.sender
      .send(this.router.pending(channel), () => this.stream!.append(channel, frame))
      .catch((err) => this.report(err));
  }

  protected override onHeartbeat(): void {
    this.snapshots?.refreshStale();
  }

  protected override onLoggedBroadcast(offset: string, opts: WireOptions, data: unknown[]): void {
    this.lastOffset = offset;
    this.pendingRestores.logged(offset, opts, data);
  }

  // ── connection-state recovery ────────────────────────────────────────────────────────────────

  /**
   * Writes the session of a socket that may come back, with a TTL of maxDisconnectionDuration. A
   * failure (Redis unreachable) is this adapter's to report (`REDIS_ERROR`), not the application's.
   */
  override async persistSession(session: Session): Promise<void> {
    if (!this.snapshots) return;
    try {
      await this.snapshots.persist(session.pid, {
        sid: session.sid,
        rooms: session.rooms,
        data: session.data ?? null,
        offset: this.connectOffsets.get(session.sid) ?? this.lastOffset,
      });
    } catch (err) {
      this.report(err);
    }
  }

  /**
   * Restores a session from Redis, wherever it was created: the session (taken once), then every
   * logged broadcast after `offset` that reached its rooms. Null — and a fresh start — when any of
   * them is gone. A session whose node died while the socket was connected is taken once that node
   * is known to be gone.
   */
  override async restoreSession(
    pid: PrivateSessionId,
    offset: string | undefined,
  ): Promise<RestoredSession | null> {
    if (!this.stream || !this.sessionStore || this.closed) return null;
    if (!isPrivateSessionId(pid) || (offset !== undefined && !isStreamId(offset))) return null;
    await this.ready;
    const o = this.clusterOptions;
    const frame = await takeSession(this.sessionStore, pid, {
      self: this.uid,
      isAlive: (uid) => this.isNodeAlive(uid),
      waitForGone: (uid, ms) => this.waitForNodeGone(uid, ms),
      isClosed: () => this.closed,
      heartbeatInterval: o.heartbeatInterval,
      heartbeatTimeout: o.heartbeatTimeout,
    });
    if (!frame) return null;
    let session: StoredSession;
    try {
      session = validateSession(decodeFrame(frame));
    } catch (err) {
      this.report(err);
      return null;
    }
    const from = offset ?? session.offset;
    if (this.pendingRestores.has(session.sid) || this.host.sockets.has(session.sid)) return null;
    // Subscribe to its rooms and keep their broadcasts before reading the stream, so none falls between.
    const joined = new Set<Room>(session.rooms);
    joined.add(session.sid);
    const pending = this.pendingRestores.start(session.sid, joined, o.requestsTimeout);
    try {
      await Promise.all([...joined].map((room) => this.roomSubscriptions.confirming(room)));
      const entries = await this.stream.after(from);
      if (!entries) {
        this.pendingRestores.end(session.sid, pending);
        return null;
      }
      await this.pendingRestores.replay(pending, from, entries);
    } catch (err) {
      this.pendingRestores.end(session.sid, pending);
      this.report(err);
      return null;
    }
    return {
      sid: session.sid,
      pid,
      rooms: session.rooms,
      data: session.data ?? undefined,
      missedPackets: pending.missed,
    };
  }

  /** The session of a connected socket as it is now (for live snapshots). */
  private liveSession(id: SocketId): { pid: string; session: StoredSession } | undefined {
    const socket = this.host.sockets.get(id);
    const pid = socket && this.host.privateSessionId(socket);
    if (!socket || !pid) return undefined;
    const rooms: Room[] = [];
    for (const room of this.sids.get(id) ?? []) if (room !== id) rooms.push(room);
    return {
      pid,
      session: {
        sid: id,
        rooms,
        data: socket.data ?? null,
        offset: this.connectOffsets.get(id) ?? this.lastOffset,
      },
    };
  }
}
