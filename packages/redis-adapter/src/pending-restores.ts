// Sessions being restored on this node. Between taking a session and its socket joining its rooms,
// live broadcasts to those rooms are kept for it: while the stream is read they are buffered with
// their ids (the read may already hold them), afterwards they go straight into the missed packets.
// The packets replayed are thus exactly those after the client's offset, none twice.
// The stream is read on the publishing connection and live broadcasts come on the subscriber: the
// read can hold an entry whose live copy has not arrived yet. So the restore waits until the live
// feed has passed the last entry it replayed (in stream order: everything up to it has arrived and
// was dropped as already replayed) before the socket takes over, else that copy would come twice.
import {
  ClusterMessageType as MessageType,
  decodeFrame,
  type Room,
  reaches,
  type SocketId,
  validateMessage,
  type WireOptions,
} from "volley";
import { compareStreamIds } from "./recovery-stream.js";

export interface PendingRestore {
  joined: Set<Room>;
  /** "buffering" while the stream is read (ids compared after), then "collecting" straight into `missed`. */
  phase: "buffering" | "collecting";
  buffered: Array<[string, unknown[]]>;
  missed: unknown[][];
  timer: ReturnType<typeof setTimeout>;
  /** The last stream id the read covered (entries of this namespace). */
  readUpTo: string;
  /** Resolves once the live feed has passed `waitFor` (or the restore ended). */
  waitFor: string | undefined;
  caughtUp: (() => void) | undefined;
}

export class PendingRestores {
  private readonly pending = new Map<SocketId, PendingRestore>();
  /** The last logged broadcast that arrived live (stream order). */
  private lastLive = "0-0";
  private readonly nsp: string;
  private readonly hold: (room: Room) => void;
  private readonly release: (room: Room) => void;

  /** `hold`/`release` keep the rooms' channels subscribed while a restore is pending. */
  constructor(nsp: string, hold: (room: Room) => void, release: (room: Room) => void) {
    this.nsp = nsp;
    this.hold = hold;
    this.release = release;
  }

  has(sid: SocketId): boolean {
    return this.pending.has(sid);
  }

  get(sid: SocketId): PendingRestore | undefined {
    return this.pending.get(sid);
  }

  /** Starts keeping the broadcasts of `joined` for `sid`; given up after `timeout` ms unless ended. */
  start(sid: SocketId, joined: Set<Room>, timeout: number): PendingRestore {
    const pending: PendingRestore = {
      joined,
      phase: "buffering",
      buffered: [],
      missed: [],
      timer: setTimeout(() => this.end(sid, pending), timeout),
      readUpTo: "0-0",
      waitFor: undefined,
      caughtUp: undefined,
    };
    pending.timer.unref();
    this.pending.set(sid, pending);
    for (const room of joined) this.hold(room);
    return pending;
  }

  end(sid: SocketId, pending: PendingRestore): void {
    if (this.pending.get(sid) !== pending) return;
    this.pending.delete(sid);
    clearTimeout(pending.timer);
    pending.caughtUp?.();
    for (const room of pending.joined) this.release(room);
  }

  endAll(): void {
    for (const [sid, pending] of [...this.pending]) this.end(sid, pending);
  }

  /** A logged broadcast arrived live: kept for every restore whose rooms it reaches. */
  logged(offset: string, opts: WireOptions, data: unknown[]): void {
    if (compareStreamIds(offset, this.lastLive) > 0) this.lastLive = offset;
    for (const pending of this.pending.values()) {
      if (pending.waitFor !== undefined && compareStreamIds(offset, pending.waitFor) >= 0) {
        pending.waitFor = undefined;
        pending.caughtUp?.();
      }
      if (!reaches(opts, pending.joined)) continue;
      if (pending.phase === "buffering") pending.buffered.push([offset, data]);
      else if (compareStreamIds(offset, pending.readUpTo) > 0) pending.missed.push(data);
    }
  }

  /**
   * Adds the stream entries after `from` that reach the session's rooms (each packet ending with its
   * offset), then the live ones buffered meanwhile that the read did not include. Resolves once the
   * live copy of the last entry replayed has arrived (or the restore ended).
   * @throws ClusterAdapterError `MALFORMED_MESSAGE` for an entry that is not a valid message.
   */
  replay(pending: PendingRestore, from: string, entries: Array<[string, Buffer]>): Promise<void> {
    let lastId = from;
    let lastReplayed: string | undefined;
    for (const [id, entry] of entries) {
      const msg = validateMessage(decodeFrame(entry));
      if (msg.type !== MessageType.BROADCAST || msg.nsp !== this.nsp) continue;
      lastId = id;
      if (!reaches(msg.opts, pending.joined) || !Array.isArray(msg.packet.data)) continue;
      msg.packet.data.push(id);
      pending.missed.push(msg.packet.data);
      lastReplayed = id;
    }
    pending.readUpTo = lastId;
    for (const [id, data] of pending.buffered)
      if (compareStreamIds(id, lastId) > 0) pending.missed.push(data);
    pending.buffered = [];
    pending.phase = "collecting";
    // A replayed entry reaches the session's rooms, whose channels are subscribed: its live copy
    // comes (dropped above as read already). Wait for it, so it cannot reach the socket after.
    if (lastReplayed === undefined || compareStreamIds(this.lastLive, lastReplayed) >= 0) {
      return Promise.resolve();
    }
    pending.waitFor = lastReplayed;
    return new Promise((resolve) => {
      pending.caughtUp = resolve;
    });
  }
}
