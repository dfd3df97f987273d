// Exactly-once processing within the recovery window, the server's side. A client that asks for it
// (`exactlyOnce: true` in its CONNECT payload) keeps one ExactlyOnceSession per private session id (`pid`)
// for as long as connection-state recovery keeps the session: its acknowledged emits are processed once
// (ProcessedAcks answers a repeat with the recorded answer), and the server's own acknowledged emits stay
// pending until the client answers, sent again on each recovered connection. The record lives in this
// process: a session recovered on another node starts a new one, and the CONNECT answer then does not
// carry `exactlyOnce: true`, so the client knows that what was in flight is in doubt.
import type { Clock } from "@volley/engine";
import { type Packet, PacketType } from "@volley/protocol";
import type { ServerCounters } from "./metrics.js";
import { type Arrival, type ExactlyOnceLimits, ProcessedAcks } from "./processed-acks.js";
import type { AnyListener } from "./socket-events.js";

/** What a session needs of the socket currently serving it. @internal */
export interface ExactlyOnceSocket {
  readonly connected: boolean;
  /** Writes one packet to the client (a no-op once the connection is closed). */
  _writeExactlyOnce(packet: Packet, compress: boolean | undefined): void;
  /** Closes the connection: its client is back on another one. */
  _supersede(): void;
}

interface PendingEmit {
  packet: Packet;
  compress: boolean | undefined;
  /** The emitter's callback, already wrapped for its timeout. */
  onAck: AnyListener;
  timer: unknown;
  /** Written to a connection once already: a later write is a resend. */
  written: boolean;
}

/** One session's exactly-once state. @internal */
export class ExactlyOnceSession {
  readonly pid: string;
  /** The client's acknowledged emits already processed. */
  readonly processed: ProcessedAcks;
  /** Server emits waiting for the client's acknowledgement, in emit order. */
  private readonly pending = new Map<number, PendingEmit>();
  private socket: ExactlyOnceSocket | undefined;
  private disposed = false;
  private readonly limits: ExactlyOnceLimits;
  private readonly clock: Clock;
  private readonly counters: ServerCounters;
  /** @internal When the session ends if no socket comes back for it; undefined while one serves it. */
  expiresAt: number | undefined;

  /** @param counters The server's counters: repeats, resends and records dropped are added there. */
  constructor(pid: string, limits: ExactlyOnceLimits, clock: Clock, counters: ServerCounters) {
    this.pid = pid;
    this.limits = limits;
    this.clock = clock;
    this.counters = counters;
    this.processed = new ProcessedAcks(limits, counters);
  }

  /** Server emits still awaiting the client's acknowledgement. */
  get pendingEmits(): number {
    return this.pending.size;
  }

  /**
   * A socket now serves the session: the emits still unacknowledged are sent again, oldest first (those
   * emitted while no socket served it, for the first time).
   */
  attach(socket: ExactlyOnceSocket): void {
    this.socket = socket;
    for (const emit of this.pending.values()) {
      if (emit.written) this.counters.exactlyOnceEmitsResent++;
      else emit.written = socket.connected;
      socket._writeExactlyOnce(emit.packet, emit.compress);
    }
  }

  /** The client is back on a new connection while the old one still looks open: that one closes now. */
  supersede(): void {
    const socket = this.socket;
    if (socket?.connected) socket._supersede();
  }

  /** The serving socket left; emits meanwhile wait for the next one. */
  detach(socket: ExactlyOnceSocket): void {
    if (this.socket === socket) this.socket = undefined;
  }

  /** Classifies an acknowledged client emit (see {@link ProcessedAcks.arrive}); a repeat answered is answered again. */
  arrive(id: number, nsp: string): Arrival {
    const arrival = this.processed.arrive(id);
    if (arrival.kind === "answered") this.write({ type: PacketType.ACK, nsp, id, data: arrival.answer });
    return arrival;
  }

  /** The acknowledgement function handed to the handler of client emit `id`: records, then sends, at most once. */
  ackFor(id: number, nsp: string): AnyListener {
    let sent = false;
    return (...answer: unknown[]) => {
      if (sent) return;
      sent = true;
      this.processed.answered(id, answer);
      this.write({ type: PacketType.ACK, nsp, id, data: answer });
    };
  }

  /**
   * Tracks a server emit with an acknowledgement and sends it when a socket serves the session. False when
   * `maxEmits` emits are already pending: the caller sends it the ordinary, at-most-once way.
   */
  emit(
    packet: Packet,
    compress: boolean | undefined,
    onAck: AnyListener,
    timeout: number | undefined,
  ): boolean {
    if (this.disposed) return false;
    if (this.pending.size >= this.limits.maxEmits) {
      this.counters.exactlyOnceEmitsUntracked++;
      return false;
    }
    const id = packet.id!;
    const emit: PendingEmit = { packet, compress, onAck, timer: undefined, written: false };
    if (timeout !== undefined) {
      emit.timer = this.clock.setTimeout(
        () => {
          if (this.pending.get(id) !== emit) return;
          this.pending.delete(id);
          onAck(new Error("operation has timed out"));
        },
        timeout,
        undefined,
      );
      emit.onAck = (...answer: unknown[]) => onAck(null, ...answer);
    }
    this.pending.set(id, emit);
    emit.written = this.write(packet, compress);
    return true;
  }

  /** The client acknowledged server emit `id`: its callback, or undefined (unknown, or already answered). */
  settle(id: number): AnyListener | undefined {
    const emit = this.pending.get(id);
    if (!emit) return undefined;
    this.pending.delete(id);
    if (emit.timer !== undefined) this.clock.clearTimeout(emit.timer);
    return emit.onAck;
  }

  /** Drops the session's state: pending emits' timers stop and their callbacks are never called. */
  dispose(): void {
    for (const emit of this.pending.values())
      if (emit.timer !== undefined) this.clock.clearTimeout(emit.timer);
    this.pending.clear();
    this.socket = undefined;
    this.disposed = true;
  }

  /** Writes to the serving socket, if connected; whether it was. */
  private write(packet: Packet, compress?: boolean): boolean {
    const socket = this.socket;
    if (!socket?.connected) return false;
    socket._writeExactlyOnce(packet, compress);
    return true;
  }
}

/** The exactly-once sessions of one namespace, by private session id. @internal */
export class ExactlyOnceSessions {
  /** Sessions a socket serves. */
  private readonly live = new Map<string, ExactlyOnceSession>();
  /** Sessions waiting for their client, in order of expiry (each is appended as its socket leaves). */
  private readonly waiting = new Map<string, ExactlyOnceSession>();
  private readonly limits: ExactlyOnceLimits;
  private readonly clock: Clock;
  private readonly keepFor: number;
  private readonly now: () => number;
  private readonly counters: ServerCounters;

  /**
   * @param keepFor How long a session without a socket is kept, ms (`maxDisconnectionDuration`), on `now`:
   * the recovery log's time, so both windows end together.
   * @param counters The server's counters: sessions expired (and what their sessions count) are added there.
   */
  constructor(
    limits: ExactlyOnceLimits,
    clock: Clock,
    keepFor: number,
    now: () => number,
    counters: ServerCounters,
  ) {
    this.limits = limits;
    this.clock = clock;
    this.keepFor = keepFor;
    this.now = now;
    this.counters = counters;
  }

  /** Sessions kept (connected or within their window). */
  get size(): number {
    this.expire();
    return this.live.size + this.waiting.size;
  }

  /**
   * The session for `pid` as a socket connects. `continued` is true when the client may rely on it: a new
   * session, or the same record it used before (false when recovered here without a record, e.g. restored
   * from another node or after the record expired).
   */
  open(pid: string, recovered: boolean): { session: ExactlyOnceSession; continued: boolean } {
    this.expire();
    const known = this.waiting.get(pid) ?? this.live.get(pid);
    if (known) {
      this.waiting.delete(pid);
      known.expiresAt = undefined;
      this.live.set(pid, known);
      return { session: known, continued: recovered };
    }
    const session = new ExactlyOnceSession(pid, this.limits, this.clock, this.counters);
    this.live.set(pid, session);
    return { session, continued: !recovered };
  }

  /**
   * The serving socket left. With `keep` (a disconnection the client may recover from) the session waits
   * `keepFor` ms for it; otherwise it ends now.
   */
  close(session: ExactlyOnceSession, socket: ExactlyOnceSocket, keep: boolean): void {
    session.detach(socket);
    if (this.live.get(session.pid) !== session) return;
    this.live.delete(session.pid);
    if (keep) {
      session.expiresAt = this.now() + this.keepFor;
      this.waiting.set(session.pid, session);
    } else session.dispose();
    this.expire();
  }

  /** A client presents `pid` on a new connection: the connection still serving it (if any) closes. */
  supersede(pid: string): void {
    this.live.get(pid)?.supersede();
  }

  /** Ends every session (server closing). */
  clear(): void {
    for (const session of this.live.values()) session.dispose();
    for (const session of this.waiting.values()) session.dispose();
    this.live.clear();
    this.waiting.clear();
  }

  /** Drops the waiting sessions whose window ended (the oldest first: they are in order). */
  private expire(): void {
    const now = this.now();
    for (const [pid, session] of this.waiting) {
      if (session.expiresAt! > now) return;
      this.waiting.delete(pid);
      session.dispose();
      this.counters.exactlyOnceSessionsExpired++;
    }
  }
}
