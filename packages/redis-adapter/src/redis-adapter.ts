// The Redis adapter: rooms and sockets stay in memory on each node (the base Adapter); what crosses
// nodes goes through Redis pub/sub — broadcasts on a channel per room (subscribed only while the
// node has members there) or one channel for everyone, requests and heartbeats on a request
// channel, responses on a channel per node — and, with connection-state recovery, a stream of
// logged broadcasts and a session per socket. This class coordinates; each concern has its module:
// room-subscriptions, cluster-publisher, cluster-requests, request-handlers, remote-acks,
// cluster-nodes, node-departures, recovery-stream, session-store, session-snapshots,
// session-takeover, pending-restores.
import { randomBytes } from "node:crypto";
import {
  Adapter,
  type BroadcastOptions,
  type Namespace,
  type Packet,
  PacketType,
  type PrivateSessionId,
  type RestoredSession,
  type Room,
  type Session,
  type Socket,
  type SocketDetails,
  type SocketId,
} from "volley";
import { type ChannelRouter, routerFor } from "./channel-router.js";
import { Channels } from "./channels.js";
import { ClusterNodes } from "./cluster-nodes.js";
import { ClusterPublisher } from "./cluster-publisher.js";
import { ClusterRequests } from "./cluster-requests.js";
import { RedisAdapterError, toRedisAdapterError } from "./errors.js";
import { decodeFrame, encodeFrame } from "./message-codec.js";
import { type Message, MessageType, validateMessage, type WirePacket } from "./messages.js";
import { NodeDepartures } from "./node-departures.js";
import { type RedisAdapterOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { OrderedSender } from "./ordered-sender.js";
import { PendingRestores } from "./pending-restores.js";
import { isStreamId, RecoveryStream, splitLogged } from "./recovery-stream.js";
import type { RedisClient } from "./redis-client.js";
import { collectRemoteAcks } from "./remote-acks.js";
import { answerRequest, type LocalNode } from "./request-handlers.js";
import { RoomSubscriptions } from "./room-subscriptions.js";
import { SessionSnapshots } from "./session-snapshots.js";
import { isPrivateSessionId, SessionStore, type StoredSession, validateSession } from "./session-store.js";
import { takeSession } from "./session-takeover.js";
import { compareStreamIds, fromWire, toWire } from "./wire.js";

// biome-ignore lint/suspicious/noExplicitAny: acknowledgement callbacks take anything
type AnyFn = (...args: any[]) => void;

const noop = () => {};

/**
 * Adapter sharing rooms, broadcasts, acknowledgements, `fetchSockets`, `serverSideEmit` and
 * connection-state recovery between servers through Redis. Created by {@link createAdapter}.
 */
export class RedisAdapter extends Adapter {
  /** Unique id of this adapter (one per namespace per server) in the cluster. */
  readonly uid: string = randomBytes(8).toString("hex");
  private readonly pub: RedisClient;
  private readonly router: ChannelRouter;
  private readonly opts: ResolvedOptions;
  private readonly channels: Channels;
  private readonly nodes: ClusterNodes;
  private readonly departures = new NodeDepartures();
  private readonly stream: RecoveryStream | undefined;
  private readonly sessionStore: SessionStore | undefined;
  private readonly requests: ClusterRequests;
  private readonly sender = new OrderedSender();
  private readonly publisher: ClusterPublisher;
  private readonly roomSubscriptions: RoomSubscriptions;
  /** This node's sockets through the base Adapter, for the requests of other nodes. */
  private readonly local: LocalNode;
  private ready: Promise<void> = Promise.resolve();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  // Recovery bookkeeping.
  private lastOffset = "0-0";
  private readonly connectOffsets = new Map<SocketId, string>();
  private readonly pendingRestores: PendingRestores;
  private readonly snapshots: SessionSnapshots | undefined;
  private readonly onBroadcast = (message: Buffer) => this.guard(() => this.onBroadcastMessage(message));
  private readonly onRequest = (message: Buffer) => this.guard(() => this.onRequestMessage(message));
  private readonly onResponse = (message: Buffer) => this.guard(() => this.onResponseMessage(message));

  constructor(
    nsp: Namespace,
    pubClient: RedisClient,
    subClient: RedisClient,
    opts: RedisAdapterOptions = {},
  ) {
    super(nsp);
    if (pubClient === subClient) {
      throw new TypeError(
        "pubClient and subClient must be two connections: a subscribed connection cannot publish (use pubClient.duplicate())",
      );
    }
    this.pub = pubClient;
    this.router = routerFor(subClient);
    this.opts = resolveOptions(opts);
    this.channels = new Channels(this.opts.key, nsp.name);
    this.nodes = new ClusterNodes(this.opts.heartbeatTimeout, this.opts.now);
    this.requests = new ClusterRequests(this.uid);
    const report = (err: unknown) => this.report(err);
    this.publisher = new ClusterPublisher(pubClient, this.channels, this.sender, this.uid, nsp.name, report);
    this.roomSubscriptions = new RoomSubscriptions(this.router, this.channels, this.onBroadcast, report);
    this.pendingRestores = new PendingRestores(
      nsp.name,
      (room) => this.roomSubscriptions.hold(room),
      (room) => this.roomSubscriptions.release(room),
    );
    this.local = {
      nsp,
      apply: (o, fn) => this.apply(o, fn),
      rooms: (id) => this.sids.get(id),
      addSockets: (o, rooms) => super.addSockets(o, rooms),
      delSockets: (o, rooms) => super.delSockets(o, rooms),
      disconnectSockets: (o, close) => super.disconnectSockets(o, close),
      broadcastWithAck: (packet, o, clientCountCallback, ack) =>
        super.broadcastWithAck(packet, o, clientCountCallback, ack),
    };
    const recovery = nsp.server._recovery;
    if (recovery) {
      this.stream = new RecoveryStream(pubClient, this.channels, {
        maxLen: this.opts.streamMaxLen ?? recovery.maxPackets,
        maxBytes: this.opts.streamMaxBytes ?? recovery.maxBytes,
        maxAge: recovery.maxDisconnectionDuration,
      });
      this.sessionStore = new SessionStore(pubClient, this.channels, this.uid);
      this.snapshots = new SessionSnapshots(
        this.sessionStore,
        this.sender,
        recovery.maxDisconnectionDuration,
        this.opts.now,
        (id) => this.liveSession(id),
        report,
      );
    }
    this.on("create-room", (room: Room) => this.roomSubscriptions.hold(room));
    this.on("delete-room", (room: Room) => this.roomSubscriptions.release(room));
  }

  /** Subscribes, loads scripts, announces this node; sends wait for it, in order. Never rejects. */
  override init(): Promise<void> {
    this.ready = this.start();
    this.sender.hold(this.ready);
    this.heartbeatTimer = setInterval(() => this.tick(), this.opts.heartbeatInterval);
    this.heartbeatTimer.unref();
    // Reported here, with a code, as every other Redis failure. (With ioredis' default offline queue,
    // commands wait for the connection instead of failing.)
    return this.ready.catch((err) => this.report(err));
  }

  private async start(): Promise<void> {
    await Promise.all([
      this.router.subscribe(this.channels.all, this.onBroadcast),
      this.router.subscribe(this.channels.request, this.onRequest),
      this.router.subscribe(this.channels.response(this.uid), this.onResponse),
      this.stream?.load(),
      this.sessionStore?.load(),
    ]);
    if (this.stream) {
      const last = await this.stream.lastId();
      if (compareStreamIds(last, this.lastOffset) > 0) this.lastOffset = last;
    }
    await this.pub.call(
      "PUBLISH",
      this.channels.request,
      this.publisher.frame(MessageType.INITIAL_HEARTBEAT, {}),
    );
  }

  /** Announces the departure, stops waiting for anyone, unsubscribes. Never closes the Redis clients. */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.publisher.closed = true;
    clearInterval(this.heartbeatTimer);
    this.requests.closeAll();
    this.pendingRestores.endAll();
    this.departures.wakeAll();
    const roomUnsubscriptions = this.roomSubscriptions.close();
    const farewell = Promise.allSettled([
      this.pub.call("PUBLISH", this.channels.request, this.publisher.frame(MessageType.ADAPTER_CLOSE, {})),
      this.router.unsubscribe(this.channels.all, this.onBroadcast),
      this.router.unsubscribe(this.channels.request, this.onRequest),
      this.router.unsubscribe(this.channels.response(this.uid), this.onResponse),
      ...roomUnsubscriptions,
    ]);
    // With Redis unreachable the client may queue these for long: `io.close()` must not hang on them.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      farewell,
      new Promise((resolve) => (timer = setTimeout(resolve, this.opts.requestsTimeout))),
    ]);
    clearTimeout(timer);
  }

  /** Servers of the cluster serving this namespace, from heartbeats (no Redis round trip). */
  override serverCount(): Promise<number> {
    return Promise.resolve(1 + this.nodes.size);
  }

  // ── rooms ────────────────────────────────────────────────────────────────────────────────────

  /**
   * Joins locally at once; the returned promise resolves when Redis has confirmed the
   * subscriptions of rooms new to this node (`await socket.join(room)` = joined cluster-wide).
   * It never rejects: a failed subscription is reported as an "error".
   */
  override addAll(id: SocketId, rooms: Set<Room>): Promise<void> | undefined {
    const isNew = !this.sids.has(id);
    super.addAll(id, rooms);
    if (this.stream) {
      if (isNew && this.nsp.sockets.has(id)) this.connectOffsets.set(id, this.lastOffset);
      const pending = this.pendingRestores.get(id);
      // The restored socket has joined its rooms: from now on it gets broadcasts live.
      if (pending && this.nsp.sockets.has(id)) this.pendingRestores.end(id, pending);
      if (!this.closed) this.snapshots?.touch(id);
    }
    const waits: Array<Promise<void>> = [];
    for (const room of rooms) {
      const confirming = this.roomSubscriptions.confirming(room);
      if (confirming) waits.push(confirming);
    }
    return waits.length > 0 ? Promise.all(waits).then(noop, noop) : undefined;
  }

  override del(id: SocketId, room: Room): void {
    super.del(id, room);
    if (!this.closed) this.snapshots?.touch(id);
  }

  override delAll(id: SocketId): void {
    const socket = this.nsp.sockets.get(id);
    super.delAll(id);
    if (!this.stream) return;
    this.connectOffsets.delete(id);
    this.snapshots?.forget(id, socket?._pid);
  }

  // ── broadcasts ───────────────────────────────────────────────────────────────────────────────

  /**
   * Local sockets at once, other nodes through Redis (serialised once). With recovery, a plain
   * EVENT is appended to the stream and published in one script; every node — this one included —
   * delivers it when it comes back from Redis, so all nodes see logged broadcasts in stream order.
   */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    packet.nsp = this.nsp.name;
    const flags = opts.flags;
    if (flags?.local || this.closed) {
      this.deliver(packet, opts);
      return;
    }
    const logged =
      this.stream !== undefined &&
      packet.type === PacketType.EVENT &&
      packet.id === undefined &&
      !flags?.volatile;
    const channel = this.broadcastChannel(opts.rooms);
    if (!logged) this.deliver(packet, opts);
    // A socket of this node is on no other node: nothing to publish.
    if (!logged && opts.rooms.size === 1 && this.nsp.sockets.has(opts.rooms.values().next().value!)) return;
    let frame: Buffer;
    try {
      frame = this.publisher.frame(MessageType.BROADCAST, { packet: wirePacket(packet), opts: toWire(opts) });
    } catch (err) {
      this.report(err);
      return;
    }
    if (logged) {
      // Our own copy comes back on `channel`: its subscription must be confirmed before publishing.
      this.sender
        .send(this.router.pending(channel), () => this.stream!.append(channel, frame))
        .catch((err) => this.report(err));
    } else {
      this.publisher.publish(channel, frame).catch((err) => this.report(err));
    }
  }

  /** One room: its own channel (only nodes with members get it). Else the channel for everyone. */
  private broadcastChannel(rooms: Set<Room>): string {
    return rooms.size === 1 ? this.channels.room(rooms.values().next().value!) : this.channels.all;
  }

  /** Encodes once, sends to every matching local socket. */
  private deliver(packet: Packet, opts: BroadcastOptions): void {
    let prepared: ReturnType<typeof this.nsp.server._prepare>;
    try {
      prepared = this.nsp.server._prepare(packet);
    } catch (err) {
      this.report(err);
      return;
    }
    const volatile = opts.flags?.volatile === true;
    const compress = opts.flags?.compress;
    const data = packet.data as unknown[];
    this.apply(opts, (socket) => {
      if (socket._anyOutgoing) socket._notifyOutgoing(data);
      socket.client._sendPrepared(prepared.packets, volatile, compress);
    });
  }

  private onBroadcastMessage(raw: Buffer): void {
    const { offset, frame } = splitLogged(raw);
    const msg = validateMessage(decodeFrame(frame));
    if (msg.nsp !== this.nsp.name || msg.type !== MessageType.BROADCAST) return;
    // Unlogged broadcasts of this node were delivered locally when sent.
    if (msg.uid === this.uid && offset === undefined) return;
    const data = msg.packet.data;
    const packet: Packet = { type: msg.packet.type as Packet["type"], nsp: this.nsp.name, data };
    if (msg.packet.id !== undefined) packet.id = msg.packet.id;
    if (offset !== undefined && Array.isArray(data)) {
      data.push(offset);
      this.lastOffset = offset;
      this.pendingRestores.logged(offset, msg.opts, data);
    }
    this.deliver(packet, fromWire(msg.opts));
  }

  /**
   * Asks every matching socket of the cluster for an acknowledgement. Each node reports how many
   * sockets it reached; a node that dies or stays silent until the deadline (`timeout` flag, else
   * `requestsTimeout`) counts as zero, so the caller never waits for the dead.
   */
  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    const flags = opts.flags;
    const waiting = flags?.local || this.closed ? new Set<string>() : this.nodes.uids();
    let frame: Buffer | undefined;
    const requestId = this.requests.nextId();
    if (waiting.size > 0) {
      try {
        frame = this.publisher.frame(MessageType.BROADCAST_WITH_ACK, {
          requestId,
          packet: wirePacket(packet),
          opts: toWire(opts),
        });
      } catch (err) {
        this.report(err);
      }
    }
    super.broadcastWithAck(packet, opts, clientCountCallback, ack);
    if (!frame) {
      // The operator expects one count per server it knows of.
      for (let i = 0; i < this.nodes.size; i++) clientCountCallback(0);
      return;
    }
    const finish = collectRemoteAcks(
      this.requests,
      requestId,
      waiting,
      flags?.timeout ?? this.opts.requestsTimeout,
      clientCountCallback,
      ack,
    );
    this.publisher.publish(this.channels.request, frame).catch((err) => {
      this.report(err);
      finish();
    });
  }

  // ── cluster requests ─────────────────────────────────────────────────────────────────────────

  override async sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = await super.sockets(rooms);
    await this.request(
      (requestId) =>
        this.publisher.message(MessageType.FETCH_SOCKETS, {
          requestId,
          opts: toWire({ rooms }),
          idsOnly: true,
        }),
      (msg) => {
        if (msg.type === MessageType.FETCH_SOCKETS_RESPONSE) for (const s of msg.sockets) ids.add(s.id);
      },
    );
    return ids;
  }

  override async fetchSockets(opts: BroadcastOptions): Promise<Array<Socket | SocketDetails>> {
    const out: Array<Socket | SocketDetails> = await super.fetchSockets(opts);
    if (opts.flags?.local) return out;
    await this.request(
      (requestId) =>
        this.publisher.message(MessageType.FETCH_SOCKETS, { requestId, opts: toWire(opts), idsOnly: false }),
      (msg) => {
        if (msg.type !== MessageType.FETCH_SOCKETS_RESPONSE) return;
        for (const s of msg.sockets) {
          out.push({
            id: s.id,
            handshake: s.handshake as unknown as SocketDetails["handshake"],
            rooms: new Set(s.rooms),
            data: s.data,
          });
        }
      },
    );
    return out;
  }

  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    super.addSockets(opts, rooms);
    if (!opts.flags?.local) this.publisher.request(MessageType.SOCKETS_JOIN, { opts: toWire(opts), rooms });
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    super.delSockets(opts, rooms);
    if (!opts.flags?.local) this.publisher.request(MessageType.SOCKETS_LEAVE, { opts: toWire(opts), rooms });
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    super.disconnectSockets(opts, close);
    if (!opts.flags?.local)
      this.publisher.request(MessageType.DISCONNECT_SOCKETS, { opts: toWire(opts), close });
  }

  /**
   * Emits to the other servers. With an acknowledgement callback last: `(null, responses)` once
   * every live server answered, or `(error, responsesSoFar)` after `requestsTimeout`.
   */
  override serverSideEmit(packet: unknown[]): void {
    const last = packet[packet.length - 1];
    if (typeof last !== "function") {
      this.publisher.request(MessageType.SERVER_SIDE_EMIT, { data: packet });
      return;
    }
    const ack = last as AnyFn;
    const data = packet.slice(0, -1);
    const responses: unknown[] = [];
    this.request(
      (requestId) => this.publisher.message(MessageType.SERVER_SIDE_EMIT, { requestId, data }),
      (msg) => {
        if (msg.type === MessageType.SERVER_SIDE_EMIT_RESPONSE) responses.push(msg.data);
      },
    ).then(
      () => ack(null, responses),
      (err) => ack(err, responses),
    );
  }

  /** Publishes a request; resolves once every node alive when it was sent has answered or gone. */
  private request(build: (requestId: string) => object, onResponse: (msg: Message) => void): Promise<void> {
    const waiting = this.closed ? new Set<string>() : this.nodes.uids();
    return this.requests.collect(
      waiting,
      this.opts.requestsTimeout,
      (requestId) => {
        const frame = encodeFrame(build(requestId));
        return this.publisher.publish(this.channels.request, frame).catch((err) => {
          throw toRedisAdapterError(err);
        });
      },
      onResponse,
    );
  }

  private onRequestMessage(raw: Buffer): void {
    const msg = validateMessage(decodeFrame(raw));
    if (msg.nsp !== this.nsp.name || msg.uid === this.uid) return;
    if (msg.type === MessageType.ADAPTER_CLOSE) {
      if (this.nodes.remove(msg.uid)) this.nodeGone(msg.uid);
      return;
    }
    this.nodes.seen(msg.uid);
    answerRequest(msg, this.local, this.publisher);
  }

  private onResponseMessage(raw: Buffer): void {
    const msg = validateMessage(decodeFrame(raw));
    if (msg.nsp === this.nsp.name) this.requests.response(msg);
  }

  // ── liveness ─────────────────────────────────────────────────────────────────────────────────

  private tick(): void {
    this.publisher.request(MessageType.HEARTBEAT, {});
    for (const uid of this.nodes.prune()) this.nodeGone(uid);
    if (!this.stream) return;
    this.snapshots?.refreshStale();
  }

  private nodeGone(uid: string): void {
    this.requests.nodeGone(uid);
    this.departures.gone(uid);
  }

  // ── connection-state recovery ────────────────────────────────────────────────────────────────

  /** Writes the session of a socket that may come back, with a TTL of maxDisconnectionDuration. */
  override async persistSession(session: Session): Promise<void> {
    if (!this.snapshots) return;
    await this.snapshots.persist(session.pid, {
      sid: session.sid,
      rooms: session.rooms,
      data: session.data ?? null,
      offset: this.connectOffsets.get(session.sid) ?? this.lastOffset,
    });
  }

  /**
   * Restores a session from Redis, wherever it was created: the session (taken once), then every
   * logged broadcast after `offset` that reached its rooms. Null — and a fresh start — when any of
   * them is gone. A session whose node died while the socket was connected is taken once that node
   * is declared gone (heartbeatTimeout).
   */
  override async restoreSession(
    pid: PrivateSessionId,
    offset: string | undefined,
  ): Promise<RestoredSession | null> {
    if (!this.stream || !this.sessionStore || this.closed) return null;
    if (!isPrivateSessionId(pid) || (offset !== undefined && !isStreamId(offset))) return null;
    await this.ready;
    const frame = await takeSession(this.sessionStore, pid, {
      self: this.uid,
      isAlive: (uid) => this.nodes.has(uid),
      waitForGone: (uid, ms) => this.departures.wait(uid, ms),
      isClosed: () => this.closed,
      heartbeatInterval: this.opts.heartbeatInterval,
      heartbeatTimeout: this.opts.heartbeatTimeout,
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
    if (this.pendingRestores.has(session.sid) || this.nsp.sockets.has(session.sid)) return null;
    // Subscribe to its rooms and keep their broadcasts before reading the stream, so none falls between.
    const joined = new Set(session.rooms);
    joined.add(session.sid);
    const pending = this.pendingRestores.start(session.sid, joined, this.opts.requestsTimeout);
    try {
      await Promise.all([...joined].map((room) => this.roomSubscriptions.confirming(room)));
      const entries = await this.stream.after(from);
      if (!entries) {
        this.pendingRestores.end(session.sid, pending);
        return null;
      }
      this.pendingRestores.replay(pending, from, entries);
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
    const socket = this.nsp.sockets.get(id);
    const pid = socket?._pid;
    if (!socket || !pid) return undefined;
    const rooms: string[] = [];
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

  // ── errors ───────────────────────────────────────────────────────────────────────────────────

  /** Runs a message handler: bad input from Redis is reported, never thrown into the client's event loop. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(err);
    }
  }

  /** Reports an error as a value: adapter "error" listeners, else the server's, else a process warning. */
  private report(err: unknown): void {
    const error = err instanceof RedisAdapterError ? err : toRedisAdapterError(err);
    if (this.listenerCount("error") > 0) {
      try {
        this.emit("error", error);
        return;
      } catch {}
    }
    const server = this.nsp.server;
    if (server.listenerCount("error") > 0) {
      server._reportError(error);
      return;
    }
    process.emitWarning(`${error.message} (namespace ${this.nsp.name})`, { code: error.code });
  }
}

function wirePacket(packet: Packet): WirePacket {
  return { type: packet.type, data: packet.data };
}
