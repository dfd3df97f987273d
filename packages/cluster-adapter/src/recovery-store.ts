// What the primary keeps for connection-state recovery, per (key, namespace): the log of logged
// broadcasts (the primary numbers them, so every worker sees one order) and the sessions of
// sockets, live (their worker is up) or saved (disconnected, or their worker died), each kept for
// maxDisconnectionDuration. Both are bounded; the oldest go first.
import type { IpcBytes, LoggedEntry, RecoveryLimits } from "./ipc-messages.js";

interface LogRecord extends LoggedEntry {
  seq: number;
  bytes: number;
  at: number;
}

/** The recovery log of one namespace. Offsets are `<epoch>-<seq>`: a new primary starts a new epoch. */
export class RecoveryLog {
  private readonly epoch: string;
  private readonly limits: RecoveryLimits;
  private readonly now: () => number;
  private records: LogRecord[] = [];
  private first = 0;
  private seq = 0;
  private bytes = 0;

  constructor(epoch: string, limits: RecoveryLimits, now: () => number) {
    this.epoch = epoch;
    this.limits = limits;
    this.now = now;
  }

  /** The offset of the last entry (`<epoch>-0` before any). */
  head(): string {
    return `${this.epoch}-${this.seq}`;
  }

  /** Appends a broadcast; returns its offset. */
  append(rooms: LoggedEntry["rooms"], except: LoggedEntry["except"], frame: IpcBytes, bytes: number): string {
    const seq = ++this.seq;
    const offset = `${this.epoch}-${seq}`;
    this.records.push({ seq, offset, rooms, except, frame, bytes, at: this.now() });
    this.bytes += bytes;
    this.trim();
    return offset;
  }

  /** Every entry after `offset`, or undefined when the log no longer holds them all (or never did). */
  after(offset: string): LoggedEntry[] | undefined {
    this.trim();
    const dash = offset.lastIndexOf("-");
    if (dash <= 0 || offset.slice(0, dash) !== this.epoch) return undefined;
    const seq = Number(offset.slice(dash + 1));
    if (!Number.isSafeInteger(seq) || seq < 0 || seq > this.seq) return undefined;
    const oldest = this.first < this.records.length ? this.records[this.first]!.seq : this.seq + 1;
    if (seq < oldest - 1) return undefined;
    const out: LoggedEntry[] = [];
    for (let i = this.first + (seq - (oldest - 1)); i < this.records.length; i++) {
      const { offset: o, rooms, except, frame } = this.records[i]!;
      out.push({ offset: o, rooms, except, frame });
    }
    return out;
  }

  private trim(): void {
    const { maxPackets, maxBytes, maxAge } = this.limits;
    const oldestKept = this.now() - maxAge;
    while (this.first < this.records.length) {
      const record = this.records[this.first]!;
      const count = this.records.length - this.first;
      if (count <= maxPackets && this.bytes <= maxBytes && record.at >= oldestKept) break;
      this.bytes -= record.bytes;
      this.first++;
    }
    // Compact once the dropped head outweighs what is kept.
    if (this.first > 1024 && this.first * 2 > this.records.length) {
      this.records = this.records.slice(this.first);
      this.first = 0;
    }
  }
}

interface LiveSession {
  frame: IpcBytes;
  offset: string | undefined;
  /** The worker holding the socket. */
  owner: number;
}

interface SavedSession {
  frame: IpcBytes;
  offset: string | undefined;
  expiresAt: number;
}

/** What {@link SessionTable.take} found. */
export type Taken =
  | { kind: "session"; frame: IpcBytes; offset: string | undefined }
  | { kind: "none" }
  /** Still connected on a live worker: wait for it to disconnect or die. */
  | { kind: "live"; owner: number };

/**
 * Sessions by private id: live ones (as many as connected sockets) and saved ones, in expiry order;
 * beyond `maxSessions` saved sessions the oldest goes first.
 */
export class SessionTable {
  private readonly live = new Map<string, LiveSession>();
  private readonly saved = new Map<string, SavedSession>();
  private readonly maxAge: number;
  private readonly maxSessions: number;
  private readonly now: () => number;
  /** Saved sessions dropped to stay within `maxSessions`. */
  evicted = 0;

  constructor(maxAge: number, maxSessions: number, now: () => number) {
    this.maxAge = maxAge;
    this.maxSessions = maxSessions;
    this.now = now;
  }

  get size(): number {
    return this.live.size + this.saved.size;
  }

  setLive(pid: string, frame: IpcBytes, offset: string | undefined, owner: number): void {
    this.saved.delete(pid);
    this.live.set(pid, { frame, offset, owner });
  }

  setSaved(pid: string, frame: IpcBytes, offset: string | undefined): void {
    this.live.delete(pid);
    this.save(pid, { frame, offset, expiresAt: this.now() + this.maxAge });
  }

  forget(pid: string): void {
    this.live.delete(pid);
    this.saved.delete(pid);
  }

  /** Worker `owner` died: its sockets' sessions are disconnected from now on. */
  ownerGone(owner: number): void {
    const expiresAt = this.now() + this.maxAge;
    for (const [pid, session] of [...this.live]) {
      if (session.owner !== owner) continue;
      this.live.delete(pid);
      this.save(pid, { frame: session.frame, offset: session.offset, expiresAt });
    }
  }

  /** Takes a disconnected session (once). */
  take(pid: string): Taken {
    const live = this.live.get(pid);
    if (live) return { kind: "live", owner: live.owner };
    this.expire();
    const session = this.saved.get(pid);
    if (!session) return { kind: "none" };
    this.saved.delete(pid);
    return { kind: "session", frame: session.frame, offset: session.offset };
  }

  private save(pid: string, session: SavedSession): void {
    this.saved.delete(pid);
    this.expire();
    while (this.saved.size >= this.maxSessions) {
      const oldest = this.saved.keys().next().value as string;
      this.saved.delete(oldest);
      this.evicted++;
    }
    this.saved.set(pid, session);
  }

  private expire(): void {
    const now = this.now();
    for (const [pid, session] of this.saved) {
      if (session.expiresAt > now) break;
      this.saved.delete(pid);
    }
  }
}
