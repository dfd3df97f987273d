// A cluster adapter whose broadcasts are logged for connection-state recovery across nodes. With
// recovery on, a plain EVENT broadcast goes through the backend's log, which gives it an offset and
// sends it to every node — this one included, which delivers it then — so every node sees logged
// broadcasts in log order. While the transport is unavailable it takes the unlogged path of
// ClusterAdapter instead (local sockets at once, the others once it is back). What this needs of a
// backend is `RecoveryBackend` (cluster/logged-recovery.ts); the logic lives in `LoggedRecovery`.
import type { Packet } from "@volley/protocol";
import { PacketType } from "@volley/protocol";
import type {
  BroadcastOptions,
  PrivateSessionId,
  RestoredSession,
  Room,
  Session,
  SocketId,
} from "./adapter.js";
import { LoggedRecovery, type RecoveryBackend } from "./cluster/logged-recovery.js";
import { encodeFrame } from "./cluster/message-codec.js";
import { MessageType, type WireOptions } from "./cluster/messages.js";
import { toWire } from "./cluster/wire.js";
import { ClusterAdapter } from "./cluster-adapter.js";

/**
 * A {@link ClusterAdapter} with connection-state recovery across nodes. A backend calls
 * {@link useLoggedRecovery} from its constructor when the server has recovery on, and
 * {@link logJoinedAt} once it knows the log's head.
 */
export abstract class LoggedClusterAdapter extends ClusterAdapter {
  private logged: LoggedRecovery | undefined;

  /** Turns logged recovery on, the log and sessions living where `backend` says. */
  protected useLoggedRecovery(backend: RecoveryBackend): void {
    const recovery = this.host.recovery;
    if (!recovery) return;
    this.logged = new LoggedRecovery(
      backend,
      {
        host: this.host,
        options: this.clusterOptions,
        rooms: (id) => this.sids.get(id),
        isClosed: () => this.closed,
        ready: () => this.ready,
        report: (err) => this.report(err),
        hold: (room) => this.watchRoom(room),
        release: (room) => this.unwatchRoom(room),
        heard: (room) => this.roomConfirmation(room),
      },
      recovery.maxDisconnectionDuration,
    );
  }

  /** The log's head as this node joined the cluster. */
  protected logJoinedAt(head: string): void {
    this.logged?.joinedAt(head);
  }

  /** Ends pending restores, then closes as {@link ClusterAdapter.close}. */
  override async close(): Promise<void> {
    if (this.closed) return;
    this.logged?.close();
    await super.close();
  }

  // ── rooms (session copies) ───────────────────────────────────────────────────────────────────

  override addAll(id: SocketId, rooms: Set<Room>): Promise<void> | undefined {
    const isNew = !this.sids.has(id);
    const confirmed = super.addAll(id, rooms);
    this.logged?.socketJoined(id, isNew);
    return confirmed;
  }

  override del(id: SocketId, room: Room): void {
    super.del(id, room);
    this.logged?.socketChanged(id);
  }

  override delAll(id: SocketId): void {
    const socket = this.host.sockets.get(id);
    super.delAll(id);
    this.logged?.socketLeft(id, socket && this.host.privateSessionId(socket));
  }

  // ── broadcasts ───────────────────────────────────────────────────────────────────────────────

  /** A plain EVENT is logged (with recovery, while the transport is available); anything else as ClusterAdapter. */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    const flags = opts.flags;
    const logged =
      this.logged !== undefined &&
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
        this.message(MessageType.BROADCAST, {
          packet: { type: packet.type, data: packet.data },
          opts: toWire(opts),
        }),
      );
    } catch (err) {
      this.report(err);
      return;
    }
    this.logged?.append(frame, opts);
  }

  protected override onLoggedBroadcast(offset: string, opts: WireOptions, data: unknown[]): void {
    this.logged?.heard(offset, opts, data);
  }

  protected override onHeartbeat(): void {
    this.logged?.refresh();
  }

  // ── connection-state recovery ────────────────────────────────────────────────────────────────

  /** Keeps the session of a socket that may come back, for maxDisconnectionDuration; failures are reported. */
  override persistSession(session: Session): Promise<void> | void {
    return this.logged?.persist(session);
  }

  /**
   * Restores a session wherever it was created: the session (taken once), then every logged
   * broadcast after `offset` that reached its rooms. Null — and a fresh start — when any is gone.
   */
  override restoreSession(
    pid: PrivateSessionId,
    offset: string | undefined,
  ): Promise<RestoredSession | null> {
    return this.logged ? this.logged.restore(pid, offset) : Promise.resolve(null);
  }
}
