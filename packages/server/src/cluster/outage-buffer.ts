// Broadcasts made while the transport is down: kept (bounded by count and bytes) for delivery to the
// other nodes once it is back; what does not fit is counted, and reported as lost — never dropped
// silently. Local sockets got these broadcasts at once.
import type { Room } from "../adapter.js";

export interface BufferedBroadcast {
  room: Room | undefined;
  frame: Buffer;
}

export class OutageBuffer {
  private entries: BufferedBroadcast[] = [];
  private bytes = 0;
  /** Broadcasts dropped since the last `take()`. */
  lost = 0;
  private readonly maxPackets: number;
  private readonly maxBytes: number;

  constructor(maxPackets: number, maxBytes: number) {
    this.maxPackets = maxPackets;
    this.maxBytes = maxBytes;
  }

  /** Keeps a broadcast; false (and counted as lost) when it does not fit. */
  add(room: Room | undefined, frame: Buffer): boolean {
    if (this.entries.length >= this.maxPackets || this.bytes + frame.length > this.maxBytes) {
      this.lost++;
      return false;
    }
    this.entries.push({ room, frame });
    this.bytes += frame.length;
    return true;
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
    return out;
  }
}
