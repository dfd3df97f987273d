// The pieces of one incoming message while it arrives. Memory follows the bytes received, not the
// number of frames they came in: small pieces are copied into shared, growing buffers.

/**
 * Pieces shorter than this are copied into a shared gathering buffer instead of being kept as their
 * own Buffer (≈100 bytes of heap each).
 */
const GATHER_BELOW = 4096;
/** First and largest size of a gathering buffer; a message fills a chain of them, doubling in size. */
const GATHER_FIRST = 256;
const GATHER_MAX = 64 * 1024;

export class MessagePieces {
  /** The pieces so far; reused for the next message after `reset`. */
  readonly list: Buffer[] = [];
  /** The gathering buffer small pieces are copied into, and how much of it is used. */
  private gathering: Buffer | null = null;
  private gathered = 0;
  private nextGatherSize = GATHER_FIRST;

  /** Nothing was kept yet. */
  get isEmpty(): boolean {
    return this.list.length === 0 && this.gathering === null;
  }

  /** Keeps a piece as it is (a whole message in one frame, handed up without a copy). */
  keepInPlace(piece: Buffer): void {
    this.list.push(piece);
  }

  /**
   * Keeps one piece of a fragmented message. Small pieces are copied into the gathering buffer (a new,
   * larger one when it is full, never larger than `room`, what the message may still grow by,
   * counting this piece; 0 = unlimited); large pieces are kept as they are, or copied when they are a
   * small view of a much larger socket chunk, so that what a message pins stays proportional to its bytes.
   */
  gather(piece: Buffer, room: number): void {
    const n = piece.length;
    if (n === 0) return;
    if (n >= GATHER_BELOW) {
      this.seal();
      this.list.push(piece.buffer.byteLength > 2 * n ? Buffer.from(piece) : piece);
      return;
    }
    let target = this.gathering;
    if (target === null || this.gathered + n > target.length) {
      this.seal();
      let size = this.nextGatherSize;
      if (room > 0) size = Math.min(size, room);
      target = Buffer.allocUnsafe(Math.max(size, n));
      this.gathering = target;
      this.nextGatherSize = Math.min(this.nextGatherSize * 2, GATHER_MAX);
    }
    piece.copy(target, this.gathered);
    this.gathered += n;
  }

  /** Moves the used part of the gathering buffer into `list`: call before handing the list up. */
  seal(): void {
    if (this.gathering === null) return;
    this.list.push(this.gathering.subarray(0, this.gathered));
    this.gathering = null;
    this.gathered = 0;
  }

  reset(): void {
    this.list.length = 0;
    this.gathering = null;
    this.gathered = 0;
    this.nextGatherSize = GATHER_FIRST;
  }
}
