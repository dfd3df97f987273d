// Sessions being restored on this node, for cluster adapters whose broadcasts are logged. Between
// asking for a session and its socket joining its rooms, live logged broadcasts are kept for it:
// while the log is read they are buffered with their offsets (the read may already hold them),
// afterwards those after the read go straight into the missed packets. The packets replayed are thus
// exactly those after the client's offset, none twice.
// A log read on another connection than the live feed (Redis) can hold an entry whose live copy has
// not arrived yet, or never will (its channel was not heard here when it was published). Such a read
// comes with `passed`: it resolves once the live feed has delivered everything published before the
// read (a marker sent after the read, on the live feed). When the live feed has not yet passed the
// last entry replayed, the restore waits for that before the socket takes over — else a live copy
// still on its way would come twice —, and never for the copy itself, which may not come.
import type { Room, SocketId } from "../adapter.js";
import { decodeFrame } from "./message-codec.js";
import { MessageType, validateMessage, type WireOptions } from "./messages.js";
import { reaches } from "./wire.js";
import type { WireRoom } from "./messages.js";

/** One logged broadcast read back from the log. */
export interface LoggedBroadcast {
  offset: string;
  /** The cluster frame of the BROADCAST message, as it was logged. */
  frame: Buffer;
  /** Its rooms and exceptions when the log keeps them beside the frame: entries out of reach are not decoded. */
  rooms?: WireRoom[];
  except?: WireRoom[];
}

/** What a read of the log after an offset gave. */
export interface LogRead {
  entries: LoggedBroadcast[];
  /** The log's head when read (default: the last entry's offset, else the offset read after). */
  head?: string;
  /**
   * For a read that may outrun the live feed: resolves once the live feed has delivered every
   * broadcast published before the read (never rejects; may never resolve if the feed was lost).
   */
  passed?: Promise<void>;
}

export interface PendingRestore {
  /** The restored socket and its rooms (its own included), once the session is known. */
  sid: SocketId | undefined;
  joined: Set<Room> | undefined;
  /** "buffering" while the log is read (offsets compared after), then "collecting" into `missed`. */
  phase: "buffering" | "collecting";
  buffered: Array<[string, WireOptions, unknown[]]>;
  /** More live broadcasts came while buffering than `maxBuffered`: the restore gives up. */
  overflowed: boolean;
  missed: unknown[][];
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The log's head as the read saw it. */
  readUpTo: string | undefined;
  /** Ends the wait for the live feed to pass the read (it did, or the restore ended). */
  caughtUp: (() => void) | undefined;
}

/** How a restore reaches the rest of its node. */
export interface PendingRestoreHooks {
  /** Orders two offsets of the log. */
  compare(a: string, b: string): number;
  /** Keep hearing the broadcasts of `room` while a restore is pending (interest routing). */
  hold(room: Room): void;
  release(room: Room): void;
}

/** The restores pending on one node (one namespace), and the live broadcasts kept for them. */
export class PendingRestores {
  private readonly listening = new Set<PendingRestore>();
  private readonly bySid = new Map<SocketId, PendingRestore>();
  /** The last logged broadcast that arrived live (log order). */
  private lastLive: string | undefined;
  private readonly nsp: string;
  private readonly maxBuffered: number;
  private readonly hooks: PendingRestoreHooks;

  /** @param maxBuffered most live broadcasts one restore buffers while it waits for the log. */
  constructor(nsp: string, maxBuffered: number, hooks: PendingRestoreHooks) {
    this.nsp = nsp;
    this.maxBuffered = maxBuffered;
    this.hooks = hooks;
  }

  /** Whether `pending` still keeps broadcasts (not ended: its socket joined, it failed or timed out). */
  isOpen(pending: PendingRestore): boolean {
    return this.listening.has(pending);
  }

  /** Whether a restore of `sid` is pending. */
  has(sid: SocketId): boolean {
    return this.bySid.has(sid);
  }

  /** The pending restore of `sid`, if any. */
  get(sid: SocketId): PendingRestore | undefined {
    return this.bySid.get(sid);
  }

  /** A restore that does not listen yet (see {@link listen}). */
  open(): PendingRestore {
    return {
      sid: undefined,
      joined: undefined,
      phase: "buffering",
      buffered: [],
      overflowed: false,
      missed: [],
      timer: undefined,
      readUpTo: undefined,
      caughtUp: undefined,
    };
  }

  /** Starts buffering every live logged broadcast for `pending` (its rooms are not known yet). */
  listen(pending: PendingRestore): void {
    this.listening.add(pending);
  }

  /**
   * The session is known: from now on only broadcasts reaching `joined` are kept, the rooms are
   * held, and the restore is given up after `timeout` ms unless its socket joined its rooms first.
   */
  claim(pending: PendingRestore, sid: SocketId, joined: Set<Room>, timeout: number): void {
    pending.sid = sid;
    pending.joined = joined;
    pending.timer = setTimeout(() => this.end(pending), timeout);
    pending.timer.unref();
    this.listening.add(pending);
    this.bySid.set(sid, pending);
    for (const room of joined) this.hooks.hold(room);
  }

  /** Stops keeping broadcasts for `pending` (its socket joined, it failed or timed out). */
  end(pending: PendingRestore): void {
    if (!this.listening.delete(pending)) return;
    if (pending.sid !== undefined && this.bySid.get(pending.sid) === pending) this.bySid.delete(pending.sid);
    clearTimeout(pending.timer);
    pending.caughtUp?.();
    if (pending.joined) for (const room of pending.joined) this.hooks.release(room);
  }

  /** Ends every pending restore (the adapter closes). */
  endAll(): void {
    for (const pending of [...this.listening]) this.end(pending);
  }

  /** A logged broadcast arrived live (its data ends with its offset): kept for the restores it reaches. */
  logged(offset: string, opts: WireOptions, data: unknown[]): void {
    const { compare } = this.hooks;
    if (this.lastLive === undefined || compare(offset, this.lastLive) > 0) this.lastLive = offset;
    for (const pending of this.listening) {
      if (pending.joined && !reaches(opts, pending.joined)) continue;
      if (pending.phase === "buffering") {
        // Bounded: a restore that hears this many while waiting gives up (the client starts fresh).
        if (pending.buffered.length < this.maxBuffered) pending.buffered.push([offset, opts, data]);
        else pending.overflowed = true;
      } else if (pending.readUpTo === undefined || compare(offset, pending.readUpTo) > 0) {
        pending.missed.push(data);
      }
    }
  }

  /**
   * Adds the logged broadcasts of `read` that reach the session's rooms (each packet ending with its
   * offset), then the live ones buffered meanwhile that the read did not include. For a read that
   * may outrun the live feed (`read.passed`) it resolves once the live feed has passed the read,
   * unless it had already passed the last entry replayed (or the restore ended).
   * @throws ClusterAdapterError `MALFORMED_MESSAGE` for an entry that is not a valid message.
   */
  replay(pending: PendingRestore, from: string | undefined, read: LogRead): Promise<void> {
    const joined = pending.joined ?? new Set<Room>();
    const { compare } = this.hooks;
    let readUpTo = from;
    let lastReplayed: string | undefined;
    for (const entry of read.entries) {
      if (entry.rooms && !reaches({ rooms: entry.rooms, except: entry.except ?? [], flags: {} }, joined)) {
        readUpTo = entry.offset;
        continue;
      }
      const msg = validateMessage(decodeFrame(entry.frame));
      if (msg.type !== MessageType.BROADCAST || msg.nsp !== this.nsp) continue;
      readUpTo = entry.offset;
      if (!reaches(msg.opts, joined) || !Array.isArray(msg.packet.data)) continue;
      msg.packet.data.push(entry.offset);
      pending.missed.push(msg.packet.data);
      lastReplayed = entry.offset;
    }
    if (read.head !== undefined) readUpTo = read.head;
    pending.readUpTo = readUpTo;
    for (const [offset, opts, data] of pending.buffered) {
      if (reaches(opts, joined) && (readUpTo === undefined || compare(offset, readUpTo) > 0)) {
        pending.missed.push(data);
      }
    }
    pending.buffered = [];
    pending.phase = "collecting";
    // The live copy of a replayed entry is dropped while collecting (read already), not once the
    // socket has taken over: wait until the live feed has passed the read, so none comes after.
    // The feed is one ordered stream, so having heard a later offset already is enough. Whether
    // that copy comes at all does not matter (its channel may not have been heard when it was
    // published): `passed` comes either way. Ended meanwhile: nothing would resolve the wait.
    const live = this.lastLive;
    const passed = read.passed;
    if (
      passed === undefined ||
      lastReplayed === undefined ||
      !this.listening.has(pending) ||
      (live !== undefined && compare(live, lastReplayed) >= 0)
    ) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      pending.caughtUp = resolve;
      passed.then(() => {
        if (pending.caughtUp === resolve) pending.caughtUp = undefined;
        resolve();
      });
    });
  }
}
