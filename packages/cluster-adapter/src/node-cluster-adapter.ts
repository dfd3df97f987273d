// The node:cluster transport of a ClusterAdapter (volley), which holds everything that does not
// depend on the transport (requests, remote acks, liveness, departures, outage buffering). Here: the
// IPC channel to the primary, which relays every frame to the other workers (no per-room routing:
// a worker without members in a room delivers a broadcast to nobody), tells who died at once (it
// sees its workers exit), and — with connection-state recovery — gives logged broadcasts their
// offsets and keeps the sessions, so a client of a worker that died recovers on another.
import {
  type BroadcastOptions,
  ClusterAdapter,
  type ClusterAdapterError,
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
  reaches,
  type Session,
  SessionSnapshots,
  type SocketId,
  toWire,
  validateMessage,
  type WireOptions,
} from "volley";
import { fromIpcBytes, type IpcBytes, type RestoreReply, toIpcBytes } from "./ipc-messages.js";
import { type NodeClusterAdapterOptions, resolveOptions } from "./options.js";
import { primarySnapshotSink, type StoredSession } from "./session-snapshots.js";
import { type ChannelMember, channelFor, type WorkerChannel } from "./worker-channel.js";

/** A restore between the primary's answer and its socket joining its rooms: live broadcasts are kept for it. */
interface PendingRestore {
  joined: Set<Room>;
  missed: unknown[][];
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Adapter sharing rooms, broadcasts, acknowledgements, `fetchSockets`, `serverSideEmit` and
 * connection-state recovery between the workers of a `node:cluster`, through the primary
 * ({@link setupPrimary}). Created by {@link createAdapter}.
 */
export class NodeClusterAdapter extends ClusterAdapter implements ChannelMember {
  readonly key: string;
  readonly nspName: string;
  private readonly channel: WorkerChannel;
  private readonly recovery: boolean;
  private lastOffset: string | undefined;
  private readonly connectOffsets = new Map<SocketId, string | undefined>();
  private readonly restores = new Map<SocketId, PendingRestore>();
  /** Logged broadcasts heard while a restore request is in flight (its rooms are not known yet). */
  private readonly inFlight = new Set<Array<[number, WireOptions, unknown[]]>>();
  private readonly snapshots: SessionSnapshots<StoredSession> | undefined;

  constructor(nsp: Namespace, opts: NodeClusterAdapterOptions = {}) {
    super(nsp, opts);
    const o = resolveOptions(opts);
    this.key = o.key;
    this.nspName = this.host.name;
    this.channel = channelFor(o.port, o.advanced, o.maxBacklogBytes);
    const recovery = this.host.recovery;
    this.recovery = recovery !== undefined;
    if (recovery) {
      const report = (err: unknown): void => this.report(err);
      const sink = primarySnapshotSink(
        {
          channel: this.channel,
          key: this.key,
          nsp: this.nspName,
          send: (command) => {
            this.sender.send(undefined, command).catch(report);
          },
        },
        report,
      );
      this.snapshots = new SessionSnapshots(
        sink,
        recovery.maxDisconnectionDuration,
        this.clusterOptions.now,
        (id) => this.liveSession(id),
        (err) => this.report(err),
      );
    }
  }

  // ── the transport ────────────────────────────────────────────────────────────────────────────

  protected override publish(channel: ClusterChannel, frame: Buffer): Promise<unknown> {
    const bytes = toIpcBytes(frame, this.channel.advanced);
    return this.channel.publish(this, bytes, channel.kind === "response" ? channel.uid : undefined);
  }

  /** Joins the primary's relay; resolves once it answered (with the head of the recovery log). */
  protected override async subscribeNode(): Promise<void> {
    this.channel.attach(this);
    const recovery = this.host.recovery;
    const reply = await this.channel.request(
      {
        t: "volley:hello",
        key: this.key,
        nsp: this.nspName,
        uid: this.uid,
        ...(recovery && {
          recovery: {
            maxPackets: recovery.maxPackets,
            maxBytes: recovery.maxBytes,
            maxAge: recovery.maxDisconnectionDuration,
          },
        }),
      },
      this.clusterOptions.requestsTimeout,
    );
    if (reply?.t !== "volley:welcome") {
      throw new Error(
        `no answer from the primary within ${this.clusterOptions.requestsTimeout} ms: did it call setupPrimary()?`,
      );
    }
    if (this.lastOffset === undefined) this.lastOffset = reply.head;
  }

  protected override async unsubscribeNode(): Promise<void> {
    this.channel.detach(this);
  }

  protected override transportAvailable(): boolean {
    return this.channel.available;
  }

  /** @internal A frame from the primary or a sibling adapter. */
  onFrame(bytes: IpcBytes, offset: string | undefined): void {
    if (this.closed) return;
    this.receive(fromIpcBytes(bytes), offset);
  }

  /** @internal Adapters of a worker that exited: gone at once. */
  onGone(uids: string[]): void {
    for (const uid of uids) if (uid !== this.uid) this.nodes.remove(uid);
  }

  /** @internal The channel drained: kept broadcasts go out. */
  onDrain(): void {
    this.transportUp();
  }

  /** @internal */
  onMalformed(err: ClusterAdapterError): void {
    this.report(err);
  }

  /** Announces the departure and leaves the relay. */
  override async close(): Promise<void> {
    if (this.closed) return;
    for (const [sid, pending] of [...this.restores]) this.endRestore(sid, pending);
    await super.close();
  }

  // ── rooms (session snapshots) ────────────────────────────────────────────────────────────────

  override addAll(id: SocketId, rooms: Set<Room>): Promise<void> | undefined {
    const isNew = !this.sids.has(id);
    const confirmed = super.addAll(id, rooms);
    if (this.recovery && this.host.sockets.has(id)) {
      if (isNew) this.connectOffsets.set(id, this.lastOffset);
      const pending = this.restores.get(id);
      // The restored socket has joined its rooms: from now on it gets broadcasts live.
      if (pending) this.endRestore(id, pending);
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
    if (!this.recovery) return;
    this.connectOffsets.delete(id);
    this.snapshots?.forget(id, socket && this.host.privateSessionId(socket));
  }

  // ── broadcasts ───────────────────────────────────────────────────────────────────────────────

  /**
   * With recovery, a plain EVENT goes to the primary, which gives it the next offset of the
   * namespace's log and sends it to every worker — this one included, which delivers it then — so
   * every worker sees logged broadcasts in log order. While the channel is backed up it takes the
   * unlogged path of the base class instead.
   */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    const flags = opts.flags;
    const logged =
      this.recovery &&
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
    const wire = toWire(opts);
    const bytes = toIpcBytes(frame, this.channel.advanced);
    const msg = {
      t: "volley:log" as const,
      key: this.key,
      nsp: this.nspName,
      from: this.uid,
      rooms: wire.rooms,
      except: wire.except,
      frame: bytes,
    };
    this.sender.send(undefined, () => this.channel.send(msg, frame.length)).catch((err) => this.report(err));
  }

  protected override onHeartbeat(): void {
    this.snapshots?.refreshStale();
  }

  protected override onLoggedBroadcast(offset: string, opts: WireOptions, data: unknown[]): void {
    this.lastOffset = offset;
    for (const heard of this.inFlight) {
      // Bounded: a restore that hears this many while waiting gives up (the client starts fresh).
      if (heard.length <= MAX_HEARD_WHILE_RESTORING) heard.push([seqOf(offset), opts, data]);
    }
    for (const pending of this.restores.values()) {
      if (reaches(opts, pending.joined)) pending.missed.push(data);
    }
  }

  // ── connection-state recovery ────────────────────────────────────────────────────────────────

  /** Hands the session of a socket that may come back to the primary, kept for maxDisconnectionDuration. */
  override persistSession(session: Session): void {
    this.snapshots?.persist(session.pid, {
      sid: session.sid,
      rooms: session.rooms,
      data: session.data ?? null,
      offset: this.connectOffsets.has(session.sid) ? this.connectOffsets.get(session.sid) : this.lastOffset,
    });
  }

  /**
   * Takes a session from the primary, whichever worker created it: the session (taken once), then
   * every logged broadcast after `offset` that reached its rooms. Null — and a fresh start — when
   * any of them is gone, or the primary does not answer within `requestsTimeout`.
   */
  override async restoreSession(
    pid: PrivateSessionId,
    offset: string | undefined,
  ): Promise<RestoredSession | null> {
    if (!this.recovery || this.closed) return null;
    await this.ready;
    // Broadcasts the primary sends after its answer may be handled before this continuation runs.
    const heard: Array<[number, WireOptions, unknown[]]> = [];
    this.inFlight.add(heard);
    let reply: Awaited<ReturnType<WorkerChannel["request"]>>;
    try {
      reply = await this.channel.request(
        {
          t: "volley:restore",
          key: this.key,
          nsp: this.nspName,
          pid,
          ...(offset !== undefined && { offset }),
        },
        this.clusterOptions.requestsTimeout,
      );
    } finally {
      this.inFlight.delete(heard);
    }
    if (reply?.t !== "volley:reply" || !reply.restored) return null;
    if (heard.length > MAX_HEARD_WHILE_RESTORING) return null;
    let session: StoredSession;
    let missed: unknown[][];
    try {
      session = toStoredSession(decodeFrame(fromIpcBytes(reply.restored.session)));
      missed = this.replay(reply.restored, session);
    } catch (err) {
      this.report(err);
      return null;
    }
    const head = seqOf(reply.restored.head);
    const rooms = new Set<Room>(session.rooms);
    rooms.add(session.sid);
    for (const [seq, opts, data] of heard) if (seq > head && reaches(opts, rooms)) missed.push(data);
    if (this.restores.has(session.sid) || this.host.sockets.has(session.sid)) return null;
    // Broadcasts the primary sent after its answer may be handled before the socket joins its rooms.
    const joined = new Set<Room>(session.rooms);
    joined.add(session.sid);
    const pending: PendingRestore = {
      joined,
      missed,
      timer: setTimeout(() => this.endRestore(session.sid, pending), this.clusterOptions.requestsTimeout),
    };
    pending.timer.unref();
    this.restores.set(session.sid, pending);
    return {
      sid: session.sid,
      pid,
      rooms: session.rooms,
      data: session.data ?? undefined,
      missedPackets: missed,
    };
  }

  /** The logged broadcasts of `reply` that reached the session's rooms, each ending with its offset. */
  private replay(reply: RestoreReply, session: StoredSession): unknown[][] {
    const joined = new Set<Room>(session.rooms);
    joined.add(session.sid);
    const missed: unknown[][] = [];
    for (const entry of reply.entries) {
      if (!reaches({ rooms: entry.rooms, except: entry.except, flags: {} }, joined)) continue;
      const msg = validateMessage(decodeFrame(fromIpcBytes(entry.frame)));
      if (msg.type !== ClusterMessageType.BROADCAST || !Array.isArray(msg.packet.data)) continue;
      msg.packet.data.push(entry.offset);
      missed.push(msg.packet.data);
    }
    return missed;
  }

  private endRestore(sid: SocketId, pending: PendingRestore): void {
    if (this.restores.get(sid) !== pending) return;
    this.restores.delete(sid);
    clearTimeout(pending.timer);
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
      session: { sid: id, rooms, data: socket.data ?? null, offset: this.connectOffsets.get(id) },
    };
  }
}

/** Most logged broadcasts one restore keeps while its request is in flight. */
const MAX_HEARD_WHILE_RESTORING = 10_000;

/** The sequence number of an offset (`<epoch>-<n>`); NaN when it is not one. */
function seqOf(offset: string): number {
  return Number(offset.slice(offset.lastIndexOf("-") + 1));
}

/** Checks a session read back from the primary. @throws TypeError when it is not one. */
function toStoredSession(value: unknown): StoredSession {
  const s = value as Partial<StoredSession> | null;
  if (
    typeof s !== "object" ||
    s === null ||
    typeof s.sid !== "string" ||
    !Array.isArray(s.rooms) ||
    !s.rooms.every((r) => typeof r === "string" || typeof r === "number") ||
    (s.offset !== undefined && s.offset !== null && typeof s.offset !== "string")
  ) {
    throw new TypeError("malformed session from the primary");
  }
  return { sid: s.sid, rooms: s.rooms, data: s.data, offset: s.offset ?? undefined };
}
