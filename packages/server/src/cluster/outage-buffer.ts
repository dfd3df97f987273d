// Broadcasts made while the transport is down: kept (bounded by count and bytes) for delivery to the
// other nodes once it is back; what does not fit is counted, and reported as lost — never dropped
// silently. Local sockets got these broadcasts at once.
import type { Room } from "../adapter.js";
import { ClusterAdapterError } from "./errors.js";

export interface BufferedBroadcast {
  room: Room | undefined;
  frame: Buffer;
}

export class OutageBuffer {
  private entries: BufferedBroadcast[] = [];
  private bytes = 0;
  /** Broadcasts dropped since the last `take()`. */
  lost = 0;
  /** Broadcasts dropped since the buffer was made (for metrics). */
  lostTotal = 0;
  private overflowReported = false;
  private readonly maxPackets: number;
  private readonly maxBytes: number;

  constructor(maxPackets: number, maxBytes: number) {
    this.maxPackets = maxPackets;
    this.maxBytes = maxBytes;
  }

  /**
   * Keeps a broadcast. One that does not fit is counted as lost; the first loss of an outage returns
   * the error to report at once.
   */
  add(room: Room | undefined, frame: Buffer): ClusterAdapterError | undefined {
    if (this.entries.length < this.maxPackets && this.bytes + frame.length <= this.maxBytes) {
      this.entries.push({ room, frame });
      this.bytes += frame.length;
      return undefined;
    }
    this.lost++;
    this.lostTotal++;
    if (this.overflowReported) return undefined;
    this.overflowReported = true;
    return new ClusterAdapterError(
      "BROADCASTS_LOST",
      `the transport is down and the outage buffer is full (outageBufferMaxPackets ${this.maxPackets}, outageBufferMaxBytes ${this.maxBytes}): broadcasts are dropped for other nodes until it is back`,
      { lost: this.lost },
    );
  }

  /** The error reporting `lost` broadcasts (`why`: when it is reported), or undefined when none. */
  static lostError(lost: number, why: string): ClusterAdapterError | undefined {
    if (lost === 0) return undefined;
    return new ClusterAdapterError(
      "BROADCASTS_LOST",
      `${lost} broadcasts made while the transport was down were not delivered to other nodes (${why})`,
      { lost },
    );
  }

  get size(): number {
    return this.entries.length;
  }

  /** Everything kept, in order, and how many were lost; empties the buffer. */
  take(): { entries: BufferedBroadcast[]; lost: number } {
    const out = { entries: this.entries, lost: this.lost };
    this.entries = [];
    this.bytes = 0;
    this.lost = 0;
    this.overflowReported = false;
    return out;
  }
}
