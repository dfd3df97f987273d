// The log of packets a disconnected client may have missed (connection-state recovery).
// An offset is "<epoch>.<seq base 36>": the sequence number is read back from the offset itself, so
// finding it is O(1) with no index map, and an offset from another process (other epoch) is refused.
import { randomBytes } from "node:crypto";

export type Room = string | number;

/** One logged broadcast: its data (offset appended) and the audience it was sent to. */
export interface LogEntry {
  readonly seq: number;
  readonly data: unknown[];
  /** Target rooms; empty = everyone in the namespace. */
  readonly rooms: readonly Room[];
  readonly except: readonly Room[];
  readonly bytes: number;
  readonly emittedAt: number;
}

/** Bounds of the log; the oldest entries go first when any is exceeded. */
export interface RecoveryLogOptions {
  /** Most packets kept. Default 10_000. */
  maxPackets?: number;
  /** Most encoded bytes kept. Default 16 MiB. */
  maxBytes?: number;
  /** Oldest packet age kept, ms (= `maxDisconnectionDuration`). Default 120_000. */
  maxAge?: number;
  /** Clock, injectable for tests. Default `Date.now`. */
  now?: () => number;
}

export class RecoveryLog {
  readonly epoch = randomBytes(6).toString("base64url");
  readonly maxPackets: number;
  readonly maxBytes: number;
  readonly maxAge: number;
  readonly now: () => number;
  /** Sequence number the next entry gets. */
  nextSeq = 0;
  private entries: LogEntry[] = [];
  private head = 0;
  private bytes = 0;

  constructor(opts: RecoveryLogOptions = {}) {
    this.maxPackets = opts.maxPackets ?? 10_000;
    this.maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
    this.maxAge = opts.maxAge ?? 120_000;
    this.now = opts.now ?? Date.now;
  }

  /** The offset the next appended entry will have (the caller puts it in the packet before encoding). */
  nextOffset(): string {
    return `${this.epoch}.${this.nextSeq.toString(36)}`;
  }

  /** Logs a packet under the offset `nextOffset()` returned. */
  append(data: unknown[], rooms: readonly Room[], except: readonly Room[], bytes: number): void {
    const now = this.now();
    this.entries.push({ seq: this.nextSeq++, data, rooms, except, bytes, emittedAt: now });
    this.bytes += bytes;
    this.evict(now);
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  /** Sequence number of an offset of this log, or -1 for a foreign or garbled one. */
  seqOf(offset: string): number {
    const dot = offset.lastIndexOf(".");
    if (dot < 0 || offset.slice(0, dot) !== this.epoch) return -1;
    const text = offset.slice(dot + 1);
    if (!/^[0-9a-z]{1,11}$/.test(text)) return -1;
    return Number.parseInt(text, 36);
  }

  /**
   * Every entry after `seq`, or undefined when the log no longer holds all of them (all or nothing:
   * a partial replay would silently lose packets).
   */
  after(seq: number): LogEntry[] | undefined {
    this.evict(this.now());
    if (seq < -1 || seq >= this.nextSeq) return undefined;
    const firstSeq = this.nextSeq - this.size;
    if (seq + 1 < firstSeq) return undefined;
    return this.entries.slice(this.head + (seq + 1 - firstSeq));
  }

  private evict(now: number): void {
    const entries = this.entries;
    while (
      this.head < entries.length &&
      (entries.length - this.head > this.maxPackets ||
        this.bytes > this.maxBytes ||
        now - entries[this.head]!.emittedAt > this.maxAge)
    ) {
      this.bytes -= entries[this.head]!.bytes;
      this.head++;
    }
    // Compact now and then instead of shifting on every eviction.
    if (this.head > 1024 && this.head * 2 > entries.length) {
      this.entries = entries.slice(this.head);
      this.head = 0;
    }
  }
}
