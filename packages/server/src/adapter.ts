// The adapter: who is in which room, and how a packet reaches a set of sockets. This in-memory
// implementation serves one process; cluster adapters (ClusterAdapter, and the Redis adapter on it)
// extend it to share rooms, broadcasts, fetchSockets, serverSideEmit, acks and recovery between
// servers. Everything an adapter needs from the server comes through `this.host` (AdapterHost), and
// every adapter hands packets to local sockets through the one loop of fan-out.ts.
import { EventEmitter } from "node:events";
import { type Packet, PacketType } from "@volley/protocol";
import { type AdapterHost, hostFor } from "./adapter-host.js";
import { fanOut, inAny } from "./fan-out.js";
import type { Handshake } from "./handshake.js";
import { RoomsView, SocketRoomsView } from "./membership-views.js";
import type { ClusterMetricsSnapshot } from "./metrics-snapshot.js";
import type { Namespace } from "./namespace.js";
import { type LogEntry, RecoveryLog } from "./recovery-log.js";
import { Joined, Left, RoomMembership } from "./room-membership.js";
import type { Socket } from "./socket.js";

/** A room name: a string or a number (`io.to(42)`); `42` and `"42"` are two rooms, as in Socket.IO. */
export type Room = string | number;
export type SocketId = string;
/** Private session id: known only to the socket's own client, used to restore its state. */
export type PrivateSessionId = string;

/** Modifiers of a broadcast. */
export interface BroadcastFlags {
  /** Drop the packet for clients that cannot take a write right now. */
  volatile?: boolean;
  /**
   * permessage-deflate for this packet (websocket only). Unset: a broadcast's frame is built once,
   * uncompressed, for every recipient; `true`: deflated per connection; `false`: never deflated. With
   * `perMessageDeflate.serverNoContextTakeover`, unset and `true` deflate the shared frame once for all.
   */
  compress?: boolean;
  /** Only this server's sockets (no cluster fan-out). */
  local?: boolean;
  /** Acknowledgement deadline, ms. */
  timeout?: number;
  /** `emitWithAck` to one socket: resolve with its response, not a list. */
  expectSingleResponse?: boolean;
}

/** Who receives a broadcast: members of `rooms` (everyone when empty) minus members of `except`. */
export interface BroadcastOptions {
  rooms: Set<Room>;
  except?: Set<Room>;
  flags?: BroadcastFlags;
}

/** A socket as seen from any server of a cluster (`fetchSockets` on another node). */
export interface SocketDetails<SocketData = unknown> {
  id: SocketId;
  handshake: Handshake;
  rooms: Set<Room>;
  data: SocketData;
}

/** What is kept of a socket after a recoverable disconnection. */
export interface Session {
  sid: SocketId;
  pid: PrivateSessionId;
  rooms: Room[];
  data: unknown;
  /** Position of the recovery log when the socket connected, for clients that never got an offset. */
  logSeq?: number;
}

/** A restored session and what the client missed, in order. */
export interface RestoredSession extends Session {
  missedPackets: unknown[][];
}

/** Adapter events. */
export interface AdapterEvents {
  "create-room": (room: Room) => void;
  "delete-room": (room: Room) => void;
  "join-room": (room: Room, id: SocketId) => void;
  "leave-room": (room: Room, id: SocketId) => void;
}

/** Constructor the `adapter` server option takes (a class extending {@link Adapter}). */
export type AdapterConstructor = new (nsp: Namespace) => Adapter;

interface StoredSession {
  session: Session;
  expiresAt: number;
}

/**
 * The documented adapter interface, implemented in memory. Override the methods to scale out;
 * every method may return a promise. Membership is kept both ways (room-membership.ts), so a broadcast
 * walks the members of its rooms, never every socket; a socket's own room costs no Set.
 */
export class Adapter extends EventEmitter {
  readonly nsp: Namespace;
  /** What the server gives this adapter: the only way an adapter reaches the namespace and its sockets. */
  protected readonly host: AdapterHost;
  /** Who is in which room: change it through `addAll`, `del` and `delAll`. */
  protected readonly membership = new RoomMembership();
  /**
   * room → ids of its members (read-only; each Set is a copy made on access). A socket is in the room
   * named by its own id.
   */
  readonly rooms: ReadonlyMap<Room, ReadonlySet<SocketId>> = new RoomsView(this.membership);
  /** socket id → its rooms (read-only; each Set is a copy made on access). */
  readonly sids: ReadonlyMap<SocketId, ReadonlySet<Room>> = new SocketRoomsView(this.membership);
  /** Recovery log; present only when `connectionStateRecovery` is enabled. */
  readonly log: RecoveryLog | undefined;
  /** Sessions of recently disconnected sockets, by private id; insertion order = expiry order. */
  readonly sessions: Map<PrivateSessionId, StoredSession> = new Map();

  constructor(nsp: Namespace) {
    super();
    this.nsp = nsp;
    this.host = hostFor(nsp);
    const recovery = this.host.recovery;
    if (recovery) {
      this.log = new RecoveryLog({
        maxPackets: recovery.maxPackets,
        maxBytes: recovery.maxBytes,
        maxAge: recovery.maxDisconnectionDuration,
        now: recovery.now,
      });
    }
  }

  /**
   * The id of a new socket of this namespace; undefined (the default) for the server's random id.
   * A cluster adapter may make ids that name their node (see @volley/redis-adapter).
   */
  socketId(): string | undefined {
    return undefined;
  }

  /** Called once when the namespace is created. */
  init(): Promise<void> | void {}

  /** Called by `io.close()`. */
  close(): Promise<void> | void {}

  /**
   * Metrics hook: what a cluster adapter reports about its node for `io.metrics()` (nodes, requests
   * and their latency, errors, lost broadcasts). Undefined for a single server.
   */
  clusterMetrics(): ClusterMetricsSnapshot | undefined {
    return undefined;
  }

  /** Number of servers in the cluster (1 in memory). */
  serverCount(): Promise<number> {
    return Promise.resolve(1);
  }

  /** Adds a socket to rooms. */
  addAll(id: SocketId, rooms: Set<Room>): Promise<void> | void {
    for (const room of rooms) {
      const joined = this.membership.join(id, room);
      if (joined === Joined.Already) continue;
      if (joined === Joined.CreatedRoom) this.emit("create-room", room);
      this.emit("join-room", room, id);
    }
  }

  /** Removes a socket from one room. */
  del(id: SocketId, room: Room): Promise<void> | void {
    this.leaveRoom(room, id);
  }

  /** Removes a socket from all its rooms. */
  delAll(id: SocketId): void {
    if (!this.membership.hasSocket(id)) return;
    this.membership.forEachRoomOf(id, (room) => this.leaveRoom(room, id));
    this.membership.forget(id);
  }

  private leaveRoom(room: Room, id: SocketId): void {
    const left = this.membership.leave(id, room);
    if (left === Left.NotMember) return;
    this.emit("leave-room", room, id);
    if (left === Left.DeletedRoom) this.emit("delete-room", room);
  }

  /**
   * Sends a packet to every matching socket. The packet is encoded once; with recovery enabled, a
   * plain EVENT (no ack, not volatile) gets an offset appended to its data and is logged first.
   */
  broadcast(packet: Packet, opts: BroadcastOptions): void {
    packet.nsp = this.host.name;
    const flags = opts.flags;
    const log = this.log;
    let logged: unknown[] | undefined;
    if (log && packet.type === PacketType.EVENT && packet.id === undefined && !flags?.volatile) {
      logged = (packet.data as unknown[]).slice();
      logged.push(log.nextOffset());
      packet = { type: packet.type, nsp: packet.nsp, data: logged };
    }
    const prepared = this.host.prepare(packet, flags?.compress);
    if (logged && log) {
      log.append(logged, [...opts.rooms], opts.except ? [...opts.except] : [], prepared.bytes);
    }
    fanOut(this.host.sockets, this.membership, opts, {
      packets: prepared.packets,
      data: packet.data as unknown[],
      volatile: flags?.volatile === true,
      compress: flags?.compress,
    });
  }

  /**
   * Sends a packet asking every matching socket for an acknowledgement. `clientCountCallback` gets
   * how many sockets were reached; `ack` is called once per response.
   */
  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    clientCountCallback(this.deliverWithAck(packet, opts, ack));
  }

  /**
   * The local half of a broadcast: encodes once and hands the packet to every matching socket of
   * this server (no logging, no cluster). Returns how many sockets it reached.
   */
  protected deliver(packet: Packet, opts: BroadcastOptions): number {
    packet.nsp = this.host.name;
    const prepared = this.host.prepare(packet, opts.flags?.compress);
    return fanOut(this.host.sockets, this.membership, opts, {
      packets: prepared.packets,
      data: packet.data as unknown[],
      volatile: opts.flags?.volatile === true,
      compress: opts.flags?.compress,
    });
  }

  /** The local half of `broadcastWithAck`: a fresh ack id, `ack` registered on every socket reached. */
  protected deliverWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    ack: (...args: unknown[]) => void,
  ): number {
    packet.nsp = this.host.name;
    packet.id = this.host.nextAckId();
    const prepared = this.host.prepare(packet, opts.flags?.compress);
    return fanOut(this.host.sockets, this.membership, opts, {
      packets: prepared.packets,
      data: packet.data as unknown[],
      volatile: opts.flags?.volatile === true,
      compress: opts.flags?.compress,
      ackId: packet.id,
      ack,
    });
  }

  /** Ids of the sockets in any of `rooms` (all sockets when empty). */
  sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = new Set<SocketId>();
    this.apply({ rooms }, (socket) => ids.add(socket.id));
    return Promise.resolve(ids);
  }

  /** Rooms of a socket. */
  socketRooms(id: SocketId): Set<Room> | undefined {
    return this.membership.roomsOf(id);
  }

  /** Matching sockets: local `Socket` objects here; other servers return `SocketDetails`. */
  fetchSockets(opts: BroadcastOptions): Promise<Array<Socket | SocketDetails>> {
    const out: Socket[] = [];
    this.apply(opts, (socket) => out.push(socket));
    return Promise.resolve(out);
  }

  /** Makes matching sockets join `rooms`. */
  addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const socket of this.collect(opts)) socket.join(rooms);
  }

  /** Makes matching sockets leave `rooms`. */
  delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    for (const socket of this.collect(opts)) for (const room of rooms) socket.leave(room);
  }

  /** Disconnects matching sockets; `close` also closes their underlying connections. */
  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    for (const socket of this.collect(opts)) socket.disconnect(close);
  }

  /**
   * Emits to the other servers of the cluster: `[event, ...args, ack?]`. There are none in memory,
   * so an acknowledgement callback is called at once with no responses.
   */
  serverSideEmit(packet: unknown[]): void {
    const last = packet[packet.length - 1];
    if (typeof last === "function") queueMicrotask(() => last(null, []));
  }

  /** Keeps a disconnected socket's state for `maxDisconnectionDuration`. */
  persistSession(session: Session): Promise<void> | void {
    const log = this.log;
    if (!log) return;
    const now = log.now();
    this.expireSessions(now);
    this.sessions.set(session.pid, { session, expiresAt: now + log.maxAge });
  }

  /**
   * Finds a persisted session and the packets its client missed after `offset` (or, without an
   * offset, since it connected). Null when anything is missing: recovery is all or nothing.
   */
  restoreSession(pid: PrivateSessionId, offset: string | undefined): Promise<RestoredSession | null> {
    const log = this.log;
    if (!log) return Promise.resolve(null);
    this.expireSessions(log.now());
    const stored = this.sessions.get(pid);
    if (!stored) return Promise.resolve(null);
    const seq = offset === undefined ? (stored.session.logSeq ?? -2) : log.seqOf(offset);
    const entries = seq < -1 ? undefined : log.after(seq);
    if (!entries) return Promise.resolve(null);
    // A session is restored once; a second attempt with the same pid starts fresh.
    this.sessions.delete(pid);
    const session = stored.session;
    // Its own room too: direct emits (`socket.emit`) are logged to it.
    const missedPackets = this.filterMissed(entries, new Set([...session.rooms, session.sid]));
    // logSeq now marks what the replay covers; the socket adds what is logged until it connects.
    return Promise.resolve({ ...session, logSeq: log.nextSeq - 1, missedPackets });
  }

  /**
   * In-memory refinement: packets logged after `seq` for a socket in `rooms`, or undefined when
   * the log no longer holds them all.
   */
  missedSince(seq: number, rooms: Set<Room>): unknown[][] | undefined {
    const entries = this.log?.after(seq);
    return entries && this.filterMissed(entries, rooms);
  }

  private filterMissed(entries: LogEntry[], rooms: Set<Room>): unknown[][] {
    const out: unknown[][] = [];
    for (const entry of entries) if (matches(entry, rooms)) out.push(entry.data);
    return out;
  }

  private expireSessions(now: number): void {
    for (const [pid, stored] of this.sessions) {
      if (stored.expiresAt > now) break;
      this.sessions.delete(pid);
    }
  }

  /** Sockets matching `opts`, copied first: the callers change room membership while walking. */
  private collect(opts: BroadcastOptions): Socket[] {
    const out: Socket[] = [];
    this.apply(opts, (socket) => out.push(socket));
    return out;
  }

  /** Calls `fn` once for each connected socket matching `opts` (not the broadcast path: see fan-out.ts). */
  protected apply(opts: BroadcastOptions, fn: (socket: Socket) => void): void {
    const sockets = this.host.sockets;
    const except = opts.except && opts.except.size > 0 ? opts.except : undefined;
    if (opts.rooms.size === 0) {
      for (const socket of sockets.values())
        if (!except || !inAny(this.membership, socket.id, except)) fn(socket);
      return;
    }
    // One room needs no de-duplication; several share a `seen` set.
    const seen = opts.rooms.size > 1 ? new Set<SocketId>() : undefined;
    for (const room of opts.rooms) {
      const members = this.membership.membersOf(room);
      if (!members) continue;
      for (const id of members) {
        if (seen) {
          if (seen.has(id)) continue;
          seen.add(id);
        }
        if (except && inAny(this.membership, id, except)) continue;
        const socket = sockets.get(id);
        if (socket) fn(socket);
      }
    }
  }
}

/** Whether a logged broadcast reached a socket that was in `joined`. */
function matches(entry: LogEntry, joined: Set<Room>): boolean {
  if (entry.rooms.length > 0 && !entry.rooms.some((room) => joined.has(room))) return false;
  return !entry.except.some((room) => joined.has(room));
}

/** The in-memory adapter (an alias: {@link Adapter} is the in-memory implementation). */
export { Adapter as InMemoryAdapter };
