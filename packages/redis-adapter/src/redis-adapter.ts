// The Redis adapter: rooms and sockets stay in memory on each node (the base Adapter); what crosses
// nodes goes through Redis pub/sub — broadcasts on a channel per room (subscribed only while the
// node has members there) or one channel for everyone, requests and heartbeats on a request
// channel, responses on a channel per node — and, with connection-state recovery, a stream of
// logged broadcasts and a session per socket.
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
import { ClusterRequests } from "./cluster-requests.js";
import { RedisAdapterError } from "./errors.js";
import { decodeFrame, encodeFrame } from "./message-codec.js";
import { type Message, MessageType, validateMessage, type WirePacket, type WireSocket } from "./messages.js";
import { type RedisAdapterOptions, type ResolvedOptions, resolveOptions } from "./options.js";
import { OrderedSender } from "./ordered-sender.js";
import { isStreamId, LOGGED_MARKER, RecoveryStream } from "./recovery-stream.js";
import type { RedisClient } from "./redis-client.js";
import { SessionSnapshots } from "./session-snapshots.js";
import { isPrivateSessionId, SessionStore, type StoredSession, validateSession } from "./session-store.js";
import { compareStreamIds, fromWire, reaches, toWire } from "./wire.js";

// biome-ignore lint/suspicious/noExplicitAny: acknowledgement callbacks take anything
type AnyFn = (...args: any[]) => void;

/** A session being restored: live broadcasts are kept for it until its socket joins its rooms. */
interface PendingRestore {
  joined: Set<Room>;
  /** "buffering" while the stream is read (ids compared after), then "collecting" straight into `missed`. */
  phase: "buffering" | "collecting";
  buffered: Array<[string, unknown[]]>;
  missed: unknown[][];
  timer: ReturnType<typeof setTimeout>;
}

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
  private readonly stream: RecoveryStream | undefined;
  private readonly sessionStore: SessionStore | undefined;
  private readonly requests: ClusterRequests;
  private readonly sender = new OrderedSender();
  private ready: Promise<void> = Promise.resolve();
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  /** Subscriptions to room channels: one for the room's local members, one per session being restored. */
  private readonly roomHolds = new Map<Room, number>();
  private readonly goneWaiters = new Map<string, Set<() => void>>();
  // Recovery bookkeeping.
  private lastOffset = "0-0";
  private readonly connectOffsets = new Map<SocketId, string>();
  private readonly pendingRestores = new Map<SocketId, PendingRestore>();
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
        (err) => this.report(err),
      );
    }
    this.on("create-room", (room: Room) => this.holdRoom(room));
    this.on("delete-room", (room: Room) => this.releaseRoom(room));
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
    await this.pub.call("PUBLISH", this.channels.request, this.control(MessageType.INITIAL_HEARTBEAT));
  }

  /** Announces the departure, stops waiting for anyone, unsubscribes. Never closes the Redis clients. */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    this.requests.closeAll();
    for (const [sid, pending] of [...this.pendingRestores]) this.endRestore(sid, pending);
    for (const waiters of this.goneWaiters.values()) for (const wake of waiters) wake();
    this.goneWaiters.clear();
    const rooms = [...this.roomHolds.keys()];
    this.roomHolds.clear();
    const farewell = Promise.allSettled([
      this.pub.call("PUBLISH", this.channels.request, this.control(MessageType.ADAPTER_CLOSE)),
      this.router.unsubscribe(this.channels.all, this.onBroadcast),
      this.router.unsubscribe(this.channels.request, this.onRequest),
      this.router.unsubscribe(this.channels.response(this.uid), this.onResponse),
      ...rooms.map((room) => this.router.unsubscribe(this.channels.room(room), this.onBroadcast)),
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
      if (pending && this.nsp.sockets.has(id)) this.endRestore(id, pending);
      if (!this.closed) this.snapshots?.touch(id);
    }
    const waits: Array<Promise<void>> = [];
    for (const room of rooms) {
      const confirming = this.router.pending(this.channels.room(room));
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

  private holdRoom(room: Room): void {
    const holds = this.roomHolds.get(room) ?? 0;
    this.roomHolds.set(room, holds + 1);
    if (holds === 0 && !this.closed) {
      this.router.subscribe(this.channels.room(room), this.onBroadcast).catch((err) => this.report(err));
    }
  }

  private releaseRoom(room: Room): void {
    const holds = this.roomHolds.get(room);
    if (holds === undefined) return;
    if (holds > 1) {
      this.roomHolds.set(room, holds - 1);
      return;
    }
    this.roomHolds.delete(room);
    this.router.unsubscribe(this.channels.room(room), this.onBroadcast).catch((err) => this.report(err));
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
      frame = encodeFrame(
        this.message(MessageType.BROADCAST, { packet: wirePacket(packet), opts: toWire(opts) }),
      );
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
      this.sender
        .send(undefined, () => this.pub.call("PUBLISH", channel, frame))
        .catch((err) => this.report(err));
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
    let offset: string | undefined;
    let frame = raw;
    if (raw[0] === LOGGED_MARKER) {
      const end = raw.indexOf(0, 1);
      offset = end < 0 ? "" : raw.toString("latin1", 1, end);
      if (!isStreamId(offset))
        throw new RedisAdapterError("MALFORMED_MESSAGE", "logged broadcast without a stream id");
      frame = raw.subarray(end + 1);
    }
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
      for (const pending of this.pendingRestores.values()) {
        if (!reaches(msg.opts, pending.joined)) continue;
        if (pending.phase === "buffering") pending.buffered.push([offset, data]);
        else pending.missed.push(data);
      }
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
        frame = encodeFrame(
          this.message(MessageType.BROADCAST_WITH_ACK, {
            requestId,
            packet: wirePacket(packet),
            opts: toWire(opts),
          }),
        );
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
    let pendingAcks = 0;
    const finish = () => {
      clearTimeout(timer);
      this.requests.delete(requestId);
      for (const _ of waiting) clientCountCallback(0);
      waiting.clear();
    };
    const maybeDone = () => {
      if (waiting.size === 0 && pendingAcks === 0) finish();
    };
    const timer = setTimeout(finish, flags?.timeout ?? this.opts.requestsTimeout);
    this.requests.register(requestId, {
      onResponse: (msg) => {
        if (msg.type === MessageType.BROADCAST_CLIENT_COUNT) {
          if (!waiting.delete(msg.uid)) return;
          pendingAcks += msg.count;
          clientCountCallback(msg.count);
        } else if (msg.type === MessageType.BROADCAST_ACK) {
          pendingAcks--;
          ack(...msg.data);
        }
        maybeDone();
      },
      onNodeGone: (uid) => {
        if (waiting.delete(uid)) clientCountCallback(0);
        maybeDone();
      },
      onClose: finish,
    });
    this.sender
      .send(undefined, () => this.pub.call("PUBLISH", this.channels.request, frame))
      .catch((err) => {
        this.report(err);
        finish();
      });
  }

  // ── cluster requests ─────────────────────────────────────────────────────────────────────────

  override async sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = await super.sockets(rooms);
    await this.request(
      (requestId) =>
        this.message(MessageType.FETCH_SOCKETS, { requestId, opts: toWire({ rooms }), idsOnly: true }),
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
        this.message(MessageType.FETCH_SOCKETS, { requestId, opts: toWire(opts), idsOnly: false }),
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
    if (!opts.flags?.local)
      this.publishRequest(this.message(MessageType.SOCKETS_JOIN, { opts: toWire(opts), rooms }));
  }

  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    super.delSockets(opts, rooms);
    if (!opts.flags?.local)
      this.publishRequest(this.message(MessageType.SOCKETS_LEAVE, { opts: toWire(opts), rooms }));
  }

  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    super.disconnectSockets(opts, close);
    if (!opts.flags?.local) {
      this.publishRequest(this.message(MessageType.DISCONNECT_SOCKETS, { opts: toWire(opts), close }));
    }
  }

  /**
   * Emits to the other servers. With an acknowledgement callback last: `(null, responses)` once
   * every live server answered, or `(error, responsesSoFar)` after `requestsTimeout`.
   */
  override serverSideEmit(packet: unknown[]): void {
    const last = packet[packet.length - 1];
    if (typeof last !== "function") {
      this.publishRequest(this.message(MessageType.SERVER_SIDE_EMIT, { data: packet }));
      return;
    }
    const ack = last as AnyFn;
    const data = packet.slice(0, -1);
    const responses: unknown[] = [];
    this.request(
      (requestId) => this.message(MessageType.SERVER_SIDE_EMIT, { requestId, data }),
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
        return this.sender
          .send(undefined, () => this.pub.call("PUBLISH", this.channels.request, frame))
          .catch((err) => {
            throw redisError(err);
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
    switch (msg.type) {
      case MessageType.INITIAL_HEARTBEAT:
        this.publishRequest(this.message(MessageType.HEARTBEAT, {}));
        return;
      case MessageType.FETCH_SOCKETS: {
        const opts = fromWire(msg.opts);
        const sockets: WireSocket[] = [];
        this.apply(opts, (socket) => {
          sockets.push(
            msg.idsOnly
              ? { id: socket.id, handshake: {}, rooms: [], data: null }
              : {
                  id: socket.id,
                  handshake: socket.handshake as unknown as Record<string, unknown>,
                  rooms: [...(this.sids.get(socket.id) ?? [])],
                  data: socket.data,
                },
          );
        });
        this.respond(msg.uid, MessageType.FETCH_SOCKETS_RESPONSE, { requestId: msg.requestId, sockets });
        return;
      }
      case MessageType.SOCKETS_JOIN:
        super.addSockets(fromWire(msg.opts), msg.rooms);
        return;
      case MessageType.SOCKETS_LEAVE:
        super.delSockets(fromWire(msg.opts), msg.rooms);
        return;
      case MessageType.DISCONNECT_SOCKETS:
        super.disconnectSockets(fromWire(msg.opts), msg.close);
        return;
      case MessageType.SERVER_SIDE_EMIT: {
        const args = msg.data;
        const requestId = msg.requestId;
        if (requestId !== undefined) {
          let answered = false;
          args.push((response: unknown) => {
            if (answered) return;
            answered = true;
            this.respond(msg.uid, MessageType.SERVER_SIDE_EMIT_RESPONSE, { requestId, data: response });
          });
        }
        this.nsp._onServerSideEmit(args);
        return;
      }
      case MessageType.BROADCAST_WITH_ACK: {
        const packet: Packet = {
          type: msg.packet.type as Packet["type"],
          nsp: this.nsp.name,
          data: msg.packet.data,
        };
        const requestId = msg.requestId;
        super.broadcastWithAck(
          packet,
          fromWire(msg.opts),
          (count) => this.respond(msg.uid, MessageType.BROADCAST_CLIENT_COUNT, { requestId, count }),
          (...data: unknown[]) => this.respond(msg.uid, MessageType.BROADCAST_ACK, { requestId, data }),
        );
        return;
      }
    }
  }

  private onResponseMessage(raw: Buffer): void {
    const msg = validateMessage(decodeFrame(raw));
    if (msg.nsp === this.nsp.name) this.requests.response(msg);
  }

  private respond(to: string, type: Message["type"], body: object): void {
    let frame: Buffer;
    try {
      frame = encodeFrame(this.message(type, body));
    } catch (err) {
      this.report(err);
      return;
    }
    this.sender
      .send(undefined, () => this.pub.call("PUBLISH", this.channels.response(to), frame))
      .catch((err) => this.report(err));
  }

  private publishRequest(message: object): void {
    if (this.closed) return;
    let frame: Buffer;
    try {
      frame = encodeFrame(message);
    } catch (err) {
      this.report(err);
      return;
    }
    this.sender
      .send(undefined, () => this.pub.call("PUBLISH", this.channels.request, frame))
      .catch((err) => this.report(err));
  }

  // ── liveness ─────────────────────────────────────────────────────────────────────────────────

  private tick(): void {
    this.publishRequest(this.message(MessageType.HEARTBEAT, {}));
    for (const uid of this.nodes.prune()) this.nodeGone(uid);
    if (!this.stream) return;
    this.snapshots?.refreshStale();
  }

  private nodeGone(uid: string): void {
    this.requests.nodeGone(uid);
    const waiters = this.goneWaiters.get(uid);
    if (!waiters) return;
    this.goneWaiters.delete(uid);
    for (const wake of waiters) wake();
  }

  /** Resolves when `uid` is declared gone, or after `ms`. */
  private waitForGone(uid: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.goneWaiters.get(uid);
      if (!waiters) {
        waiters = new Set();
        this.goneWaiters.set(uid, waiters);
      }
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0 && this.goneWaiters.get(uid) === waiters) this.goneWaiters.delete(uid);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      waiters.add(wake);
    });
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
    const frame = await this.takeSession(pid);
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
    const pending: PendingRestore = {
      joined,
      phase: "buffering",
      buffered: [],
      missed: [],
      timer: setTimeout(() => this.endRestore(session.sid, pending), this.opts.requestsTimeout),
    };
    pending.timer.unref();
    this.pendingRestores.set(session.sid, pending);
    try {
      for (const room of joined) this.holdRoom(room);
      await Promise.all([...joined].map((room) => this.router.pending(this.channels.room(room))));
      const entries = await this.stream.after(from);
      if (!entries) {
        this.endRestore(session.sid, pending);
        return null;
      }
      let lastId = from;
      for (const [id, entry] of entries) {
        const msg = validateMessage(decodeFrame(entry));
        if (msg.type !== MessageType.BROADCAST || msg.nsp !== this.nsp.name) continue;
        lastId = id;
        if (!reaches(msg.opts, joined) || !Array.isArray(msg.packet.data)) continue;
        msg.packet.data.push(id);
        pending.missed.push(msg.packet.data);
      }
      for (const [id, data] of pending.buffered)
        if (compareStreamIds(id, lastId) > 0) pending.missed.push(data);
      pending.buffered = [];
      pending.phase = "collecting";
    } catch (err) {
      this.endRestore(session.sid, pending);
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

  private async takeSession(pid: string): Promise<Buffer | null> {
    const store = this.sessionStore!;
    let found = await store.take(pid);
    if (found.kind === "live") {
      const owner = found.owner;
      // Its socket is still connected as far as we know — here, or on a node we believe alive: either
      // that node has not yet noticed the disconnection (it will persist the session shortly), or it
      // died and the heartbeat timeout has not run out yet. Look again now and then until one of the
      // two happens; bounded by the heartbeat timeout. (A live session of our own is never taken.)
      const alive = () => owner === this.uid || this.nodes.has(owner);
      const step = Math.min(100, this.opts.heartbeatInterval);
      const steps = Math.ceil((this.opts.heartbeatTimeout + this.opts.heartbeatInterval) / step);
      for (let i = 0; i < steps && alive() && !this.closed; i++) {
        await this.waitForGone(owner, step);
        if (alive()) {
          found = await store.take(pid);
          if (found.kind !== "live") break;
        }
      }
      if (found.kind === "live") found = await store.take(pid, alive() ? "" : owner);
    }
    return found.kind === "taken" ? found.frame : null;
  }

  private endRestore(sid: SocketId, pending: PendingRestore): void {
    if (this.pendingRestores.get(sid) !== pending) return;
    this.pendingRestores.delete(sid);
    clearTimeout(pending.timer);
    for (const room of pending.joined) this.releaseRoom(room);
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

  // ── plumbing ─────────────────────────────────────────────────────────────────────────────────

  private message(type: Message["type"], body: object): object {
    return { type, uid: this.uid, nsp: this.nsp.name, ...body };
  }

  private control(type: Message["type"]): Buffer {
    return encodeFrame(this.message(type, {}));
  }

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
    const error = err instanceof RedisAdapterError ? err : redisError(err);
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

function redisError(err: unknown): RedisAdapterError {
  if (err instanceof RedisAdapterError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new RedisAdapterError("REDIS_ERROR", `redis command failed: ${message}`, { cause: err });
}

function wirePacket(packet: Packet): WirePacket {
  return { type: packet.type, data: packet.data };
}
