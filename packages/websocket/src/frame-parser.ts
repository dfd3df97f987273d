// RFC 6455 §5.2 framing, read from a stream of socket chunks: the header fields, the extended payload
// length, the masking key, and the payload (in place or copied, unmasked, text checked as it arrives),
// with the rules a single frame can break. What frames add up to is the subclass's (`FrameReader`).
import type { WebSocketError } from "./errors.js";
import { inputOverflow, invalidUtf8, messageTooBig, protocolError } from "./errors.js";
import type { FrameReaderSink } from "./frame-reader.js";
import { applyMask } from "./mask.js";
import { isControlOpcode, isKnownOpcode, MAX_CONTROL_PAYLOAD } from "./opcode.js";
import { Utf8Validator } from "./utf8.js";

// Shared by every reader: header bytes are read and consumed synchronously (never across `write`
// calls), and the masking key is expanded here only for the duration of one `applyMask` call.
const scratch = Buffer.allocUnsafe(8);
const maskKey = Buffer.allocUnsafe(4);

function maskKeyBytes(key: number): Buffer {
  maskKey[0] = key >>> 24;
  maskKey[1] = key >>> 16;
  maskKey[2] = key >>> 8;
  maskKey[3] = key;
  return maskKey;
}

// Reader states (RFC 6455 §5.2 field order).
export const HEADER = 0;
const LENGTH_16 = 1;
const LENGTH_64 = 2;
const MASKING_KEY = 3;
const PAYLOAD = 4;
export const INFLATING = 5;
export const STOPPED = 6;

export const EMPTY: Buffer = Buffer.alloc(0);

/**
 * The frame layer of a streaming RFC 6455 parser: a state machine fed socket chunks as they come.
 * Chunks are queued and read in place; a payload is sliced from its chunk when it lies within one, or
 * copied piece by piece into a buffer of its announced size, unmasked and (for text) UTF-8 checked as
 * the pieces arrive so that violations are caught before the frame completes.
 */
export abstract class FrameParser {
  protected readonly sink: FrameReaderSink;
  private readonly isServer: boolean;
  protected readonly maxPayload: number;
  protected readonly maxUnparsedBytes: number;

  protected state = HEADER;
  protected processing = false;
  private readonly chunks: Buffer[] = [];
  /** Read position inside `chunks[0]`. */
  private offset = 0;
  protected buffered = 0;
  /** `write` returned false: the caller paused its source until `onDrain`. */
  protected overLimit = false;

  // Current frame.
  protected fin = false;
  protected rsv1 = false;
  protected opcode = 0;
  private masked = false;
  protected payloadLength = 0;
  /** The frame's masking key as a 32-bit word: a number costs no per-connection buffer. */
  private maskingKey = 0;
  private payload: Buffer | null = null;
  private payloadOffset = 0;
  /** This frame carries part of an uncompressed text message: check UTF-8 as it arrives. */
  protected checkUtf8 = false;
  /** The text message's UTF-8 check, carried across its frames (and its inflated output). */
  protected readonly utf8 = new Utf8Validator();

  constructor(sink: FrameReaderSink, isServer: boolean, maxPayload: number, maxUnparsedBytes: number) {
    this.sink = sink;
    this.isServer = isServer;
    this.maxPayload = maxPayload;
    this.maxUnparsedBytes = maxUnparsedBytes;
  }

  /** Bytes received but not yet parsed. */
  get bufferedAmount(): number {
    return this.buffered;
  }

  /** True while a compressed frame is being inflated: input waits until it is done. */
  get inflating(): boolean {
    return this.state === INFLATING;
  }

  /** True after a close frame or an error: later input is ignored (RFC 6455 §5.5.1, §7.1.7). */
  get stopped(): boolean {
    return this.state === STOPPED;
  }

  /**
   * Feeds a chunk from the socket. Returns false when more than `maxUnparsedBytes` now waits to be
   * parsed (input behind a frame being inflated): stop reading until the sink's `onDrain`. A chunk
   * written while still over the limit (the source ignored the pause) fails the connection.
   */
  write(chunk: Buffer): boolean {
    if (this.state === STOPPED || chunk.length === 0) return true;
    if (this.overLimit) {
      this.fail(inputOverflow(this.maxUnparsedBytes));
      return true;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (!this.processing && this.state !== INFLATING) this.process();
    if (this.maxUnparsedBytes > 0 && this.buffered > this.maxUnparsedBytes && this.state !== STOPPED) {
      this.overLimit = true;
      return false;
    }
    return true;
  }

  /** Stops parsing and drops queued input. */
  stop(): void {
    this.state = STOPPED;
    this.chunks.length = 0;
    this.buffered = 0;
    this.overLimit = false;
    this.payload = null;
    this.resetMessage();
  }

  /** Drops the message being assembled. */
  protected abstract resetMessage(): void;

  /**
   * A data frame's header passed the frame rules: checks it against the message in progress (a
   * continuation needs one, a new message must not interrupt one) and sets `checkUtf8`. False: failed.
   */
  protected abstract startDataFrame(opcode: number): boolean;

  /** A data frame's length is known: counts it against the message's limits. False: failed. */
  protected abstract countDataFrame(): boolean;

  /** A whole frame arrived; true when parsing may go on with the next one. */
  protected abstract frameComplete(payload: Buffer): boolean;

  protected process(): void {
    this.processing = true;
    try {
      for (;;) {
        const state = this.state;
        if (state === HEADER) {
          if (this.buffered < 2 || !this.readHeader()) break;
        } else if (state === LENGTH_16) {
          if (this.buffered < 2) break;
          this.read(2);
          this.payloadLength = scratch.readUInt16BE(0);
          if (!this.afterLength()) break;
        } else if (state === LENGTH_64) {
          if (this.buffered < 8) break;
          this.read(8);
          const high = scratch.readUInt32BE(0);
          if (high >= 0x80000000) {
            this.fail(protocolError("the most significant bit of a 64-bit payload length must be 0"));
            break;
          }
          // Beyond 2^53 bytes nothing could hold the payload anyway.
          if (high > 0x1fffff) {
            this.fail(messageTooBig(this.maxPayload));
            break;
          }
          this.payloadLength = high * 0x100000000 + scratch.readUInt32BE(4);
          if (!this.afterLength()) break;
        } else if (state === MASKING_KEY) {
          if (this.buffered < 4) break;
          this.read(4);
          this.maskingKey = scratch.readInt32BE(0);
          this.state = PAYLOAD;
        } else if (state === PAYLOAD) {
          if (!this.readPayload()) break;
        } else {
          break; // INFLATING or STOPPED: resumed by the subclass once inflated, or never.
        }
      }
    } finally {
      this.processing = false;
    }
  }

  /** Copies `n` (≤ 8) bytes from the queue into `scratch`. */
  private read(n: number): void {
    for (let i = 0; i < n; i++) {
      const chunk = this.chunks[0]!;
      scratch[i] = chunk[this.offset++]!;
      if (this.offset === chunk.length) this.shiftChunk();
    }
    this.buffered -= n;
  }

  private shiftChunk(): void {
    this.chunks.shift();
    this.offset = 0;
  }

  /** Parses the first two header bytes and checks everything they can violate. */
  private readHeader(): boolean {
    this.read(2);
    const b0 = scratch[0]!;
    const b1 = scratch[1]!;
    const opcode = b0 & 0x0f;
    this.fin = (b0 & 0x80) !== 0;
    this.rsv1 = (b0 & 0x40) !== 0;
    this.opcode = opcode;
    this.masked = (b1 & 0x80) !== 0;
    const length7 = b1 & 0x7f;

    if ((b0 & 0x30) !== 0) return this.fail(protocolError("RSV2 and RSV3 must be clear"));
    if (!isKnownOpcode(opcode)) return this.fail(protocolError(`invalid opcode ${opcode}`));
    if (isControlOpcode(opcode)) {
      // RFC 6455 §5.5: control frames are never fragmented and carry at most 125 bytes.
      if (!this.fin) return this.fail(protocolError("control frames must not be fragmented"));
      if (this.rsv1) return this.fail(protocolError("RSV1 must be clear on control frames"));
      if (length7 > MAX_CONTROL_PAYLOAD) {
        return this.fail(protocolError(`control frame payload exceeds ${MAX_CONTROL_PAYLOAD} bytes`));
      }
      this.checkUtf8 = false;
    } else if (!this.startDataFrame(opcode)) return false;
    // RFC 6455 §5.1: clients mask every frame; servers mask none.
    if (this.isServer && !this.masked) return this.fail(protocolError("client frames must be masked"));
    if (!this.isServer && this.masked) return this.fail(protocolError("server frames must not be masked"));

    if (length7 === 126) this.state = LENGTH_16;
    else if (length7 === 127) this.state = LENGTH_64;
    else {
      this.payloadLength = length7;
      return this.afterLength();
    }
    return true;
  }

  /** Checks the announced length against the limits, before any of the payload is buffered. */
  private afterLength(): boolean {
    if (!isControlOpcode(this.opcode) && !this.countDataFrame()) return false;
    this.state = this.masked ? MASKING_KEY : PAYLOAD;
    this.payload = null;
    this.payloadOffset = 0;
    return true;
  }

  /** Reads as much of the payload as is buffered; true when the frame was completed and handled. */
  private readPayload(): boolean {
    const length = this.payloadLength;
    if (length === 0) return this.frameComplete(EMPTY);
    if (this.payload === null) {
      const first = this.chunks[0];
      if (first === undefined) return false;
      if (first.length - this.offset >= length) {
        // The whole payload lies in one chunk: use it in place.
        const payload = first.subarray(this.offset, this.offset + length);
        this.offset += length;
        this.buffered -= length;
        if (this.offset === first.length) this.shiftChunk();
        if (this.masked) applyMask(payload, 0, length, maskKeyBytes(this.maskingKey));
        if (this.checkUtf8 && !this.utf8.write(payload)) return this.fail(invalidUtf8());
        return this.frameComplete(payload);
      }
      this.payload = Buffer.allocUnsafe(length);
    }
    const payload = this.payload;
    while (this.payloadOffset < length && this.chunks.length > 0) {
      const chunk = this.chunks[0]!;
      const n = Math.min(chunk.length - this.offset, length - this.payloadOffset);
      const start = this.payloadOffset;
      chunk.copy(payload, start, this.offset, this.offset + n);
      this.offset += n;
      this.buffered -= n;
      this.payloadOffset += n;
      if (this.offset === chunk.length) this.shiftChunk();
      if (this.masked) applyMask(payload, start, start + n, maskKeyBytes(this.maskingKey), start);
      // Fail fast: reject bad UTF-8 as soon as it arrives, not when the message completes.
      if (this.checkUtf8 && !this.utf8.write(payload, start, start + n)) return this.fail(invalidUtf8());
    }
    if (this.payloadOffset < length) return false;
    this.payload = null;
    return this.frameComplete(payload);
  }

  /** Stops and reports `error`: the connection must be failed with its close code. */
  protected fail(error: WebSocketError): false {
    this.stop();
    this.sink.onError(error);
    return false;
  }
}
