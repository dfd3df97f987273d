// Connection-state recovery across the nodes of a cluster whose broadcasts are logged: one log per
// namespace gives every logged broadcast its offset (and every node the same order), and a copy of
// every socket's session lives outside the node, so a client can come back to any node — even after
// its node died — and get exactly the packets it missed. This module holds what does not depend on
// where the log and the sessions live: the offsets of sockets, the session copies, restoring a
// session (taken once cluster-wide) with the entries after its offset, and the live broadcasts kept
// for it until its socket has joined its rooms. A backend (`RecoveryBackend`: Redis streams, the
// node:cluster primary, …) says where.
import type { AdapterHost } from "../adapter-host.js";
import type { BroadcastOptions, RestoredSession, Room, Session, SocketId } from "../adapter.js";
import { ClusterAdapterError } from "./errors.js";
import { decodeFrame, encodeFrame } from "./message-codec.js";
import type { WireOptions } from "./messages.js";
import type { ResolvedClusterOptions } from "./options.js";
import { type LogRead, PendingRestores } from "./pending-restores.js";
import { SessionSnapshots, type SnapshotSink } from "./session-snapshots.js";

/** A socket's session as the backend keeps it: enough to restore the socket on any node. */
export interface SessionRecord {
  sid: string;
  /** Rooms besides the socket's own. */
  rooms: Room[];
  data: unknown;
  /** The log's head when the socket connected, for clients that never received a logged packet. */
  offset: string | undefined;
}

/** What {@link RecoveryBackend.take} found. */
export interface TakenSession {
  /** The encoded {@link SessionRecord}. */
  frame: Buffer;
  /**
   * The log after the offset, when the backend reads it with the session in one answer that comes in
   * order with the live feed (null: the log no longer holds every entry). Else `readAfter` reads it.
   */
  log?: LogRead | null;
}

/** Where a cluster adapter's recovery log and session copies live. */
export interface RecoveryBackend {
  /** The offset sessions get before this node knows the log's head (undefined: none). */
  readonly initialOffset: string | undefined;
  /** Where the copies of sessions go. */
  readonly sessions: SnapshotSink<SessionRecord>;
  /** Orders two offsets of the log: negative, zero or positive. */
  compareOffsets(a: string, b: string): number;
  /**
   * Logs an encoded BROADCAST frame and sends it to every node, this one included, with its offset
   * (every node then hands it to `receive(frame, offset)`). Rejects when the transport failed.
   */
  append(frame: Buffer, opts: BroadcastOptions): Promise<unknown>;
  /**
   * Takes the session of `pid` out, once cluster-wide; null when there is none, or when `pid` or
   * `offset` cannot name one. A backend that answers with the log too calls `listen()` just before
   * asking: live broadcasts arriving after its answer are then kept for the restore.
   */
  take(pid: string, offset: string | undefined, listen: () => void): Promise<TakenSession | null>;
  /**
   * Every entry after `from`, read once the session's rooms are heard live; null when the log cannot
   * give them all. Needed unless `take` answers with the log. A read on another connection than the
   * live feed sets `passed` (see {@link LogRead}): it may hold entries whose live copies are still
   * on their way, or never come (published before their channel was heard here).
   */
  readAfter?(from: string): Promise<LogRead | null>;
}

/** What logged recovery needs of its adapter. */
export interface RecoveryNode {
  readonly host: AdapterHost;
  readonly options: ResolvedClusterOptions;
  /** The rooms of a local socket, its own included. */
  rooms(id: SocketId): ReadonlySet<Room> | undefined;
  isClosed(): boolean;
  /** Resolves once the node has joined the cluster. */
  ready(): Promise<void>;
  report(err: unknown): void;
  /** Interest routing: hear the broadcasts of `room` while a restore is pending. */
  hold(room: Room): void;
  release(room: Room): void;
  /** Resolves once the broadcasts of a held room are heard live; undefined when already. */
  heard(room: Room): Promise<void> | undefined;
}

/** Logged recovery of one namespace on one node; `LoggedClusterAdapter` wires it to the adapter. */
export class LoggedRecovery {
  private readonly backend: RecoveryBackend;
  private readonly node: RecoveryNode;
  /** The offset of the last logged broadcast this node heard (or the log's head when it joined). */
  private lastOffset: string | undefined;
  private readonly connectOffsets = new Map<SocketId, string | undefined>();
  private readonly pending: PendingRestores;
  private readonly snapshots: SessionSnapshots<SessionRecord>;

  constructor(backend: RecoveryBackend, node: RecoveryNode, maxDisconnectionDuration: number) {
    this.backend = backend;
    this.node = node;
    this.lastOffset = backend.initialOffset;
    this.pending = new PendingRestores(node.host.name, node.options.pendingRestoreMaxPackets, {
      compare: (a, b) => backend.compareOffsets(a, b),
      hold: (room) => node.hold(room),
      release: (room) => node.release(room),
    });
    this.snapshots = new SessionSnapshots(
      backend.sessions,
      maxDisconnectionDuration,
      node.options.now,
      (id) => this.liveSession(id),
      (err) => node.report(err),
    );
  }

  /** The log's head as this node joined: sessions of sockets connecting from now on start there. */
  joinedAt(head: string): void {
    if (this.lastOffset === undefined || this.backend.compareOffsets(head, this.lastOffset) > 0) {
      this.lastOffset = head;
    }
  }

  /** A socket joined rooms (`isNew`: its first): its session copy is written, a restore of it ends. */
  socketJoined(id: SocketId, isNew: boolean): void {
    if (!this.node.host.sockets.has(id)) return;
    if (isNew) this.connectOffsets.set(id, this.lastOffset);
    const pending = this.pending.get(id);
    // The restored socket has joined its rooms: from now on it gets broadcasts live.
    if (pending) this.pending.end(pending);
    if (!this.node.isClosed()) this.snapshots.touch(id);
  }

  /** A socket left a room: its session copy is written again. */
  socketChanged(id: SocketId): void {
    if (!this.node.isClosed()) this.snapshots.touch(id);
  }

  /** A socket left every room (it disconnected); `pid`: its private session id, if it had one. */
  socketLeft(id: SocketId, pid: string | undefined): void {
    this.connectOffsets.delete(id);
    this.snapshots.forget(id, pid);
  }

  /** Logs an encoded broadcast through the backend; a failure is reported. */
  append(frame: Buffer, opts: BroadcastOptions): void {
    this.backend.append(frame, opts).catch((err) => this.node.report(err));
  }

  /** A logged broadcast arrived (its data ends with its offset). */
  heard(offset: string, opts: WireOptions, data: unknown[]): void {
    this.lastOffset = offset;
    this.pending.logged(offset, opts, data);
  }

  /** Periodic upkeep: live session copies written long ago are written again. */
  refresh(): void {
    this.snapshots.refreshStale();
  }

  /** Keeps the session of a socket that may come back, for maxDisconnectionDuration. Never throws. */
  persist(session: Session): Promise<void> | undefined {
    const record: SessionRecord = {
      sid: session.sid,
      rooms: session.rooms,
      data: session.data ?? null,
      offset: this.offsetOf(session.sid),
    };
    try {
      const written = this.snapshots.persist(session.pid, record);
      return written ? written.catch((err) => this.node.report(err)) : undefined;
    } catch (err) {
      this.node.report(err);
      return undefined;
    }
  }

  /**
   * Restores a session, wherever it was created: the session (taken once), then every logged
   * broadcast after `offset` that reached its rooms. Null — and a fresh start — when any of them is
   * gone. Rejects when the backend could not be asked.
   */
  async restore(pid: string, offset: string | undefined): Promise<RestoredSession | null> {
    const node = this.node;
    if (node.isClosed()) return null;
    await node.ready();
    const pending = this.pending.open();
    let taken: TakenSession | null;
    try {
      taken = await this.backend.take(pid, offset, () => this.pending.listen(pending));
    } catch (err) {
      this.pending.end(pending);
      throw err;
    }
    let session: SessionRecord | undefined;
    try {
      if (taken && !pending.overflowed) session = toSessionRecord(decodeFrame(taken.frame));
    } catch (err) {
      node.report(err);
    }
    if (!taken || !session || this.pending.has(session.sid) || node.host.sockets.has(session.sid)) {
      this.pending.end(pending);
      return null;
    }
    // Its rooms are held and their broadcasts kept before the log is read, so none falls between.
    const joined = new Set<Room>(session.rooms);
    joined.add(session.sid);
    this.pending.claim(pending, session.sid, joined, node.options.requestsTimeout);
    const from = offset ?? session.offset;
    try {
      let read = taken.log;
      if (read === undefined) {
        await Promise.all([...joined].map((room) => node.heard(room)));
        read = from === undefined || !this.backend.readAfter ? null : await this.backend.readAfter(from);
      }
      if (read) await this.pending.replay(pending, from, read);
      // Ended meanwhile (timed out, or the adapter closed): broadcasts after it were not kept.
      if (!read || pending.overflowed || !this.pending.isOpen(pending)) {
        this.pending.end(pending);
        return null;
      }
    } catch (err) {
      this.pending.end(pending);
      node.report(err);
      return null;
    }
    const { sid, rooms, data } = session;
    return { sid, pid, rooms, data: data ?? undefined, missedPackets: pending.missed };
  }

  /** Ends every pending restore (the adapter closes). */
  close(): void {
    this.pending.endAll();
  }

  private offsetOf(id: SocketId): string | undefined {
    return this.connectOffsets.has(id) ? this.connectOffsets.get(id) : this.lastOffset;
  }

  /** The session of a connected socket as it is now (for live copies). */
  private liveSession(id: SocketId): { pid: string; session: SessionRecord } | undefined {
    const host = this.node.host;
    const socket = host.sockets.get(id);
    const pid = socket && host.privateSessionId(socket);
    if (!socket || !pid) return undefined;
    const rooms: Room[] = [];
    for (const room of this.node.rooms(id) ?? []) if (room !== id) rooms.push(room);
    return { pid, session: { sid: id, rooms, data: socket.data ?? null, offset: this.offsetOf(id) } };
  }
}

/**
 * Checks a session record read back from a backend.
 * @throws ClusterAdapterError `MALFORMED_MESSAGE` when it is not one.
 */
export function toSessionRecord(value: unknown): SessionRecord {
  const s = value as Partial<SessionRecord> | null;
  if (
    typeof s !== "object" ||
    s === null ||
    typeof s.sid !== "string" ||
    !Array.isArray(s.rooms) ||
    !s.rooms.every((r) => typeof r === "string" || (typeof r === "number" && Number.isFinite(r))) ||
    (s.offset !== undefined && s.offset !== null && typeof s.offset !== "string")
  ) {
    throw new ClusterAdapterError("MALFORMED_MESSAGE", "malformed session record");
  }
  return { sid: s.sid, rooms: s.rooms, data: s.data, offset: s.offset ?? undefined };
}

/** Encodes a session record for a backend; undefined, and reported, when its data cannot be encoded. */
export function encodeSessionRecord(
  record: SessionRecord,
  report: (err: unknown) => void,
): Buffer | undefined {
  try {
    return encodeFrame(record);
  } catch (err) {
    report(err);
    return undefined;
  }
}
