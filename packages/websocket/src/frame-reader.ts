import { CloseCode, isValidCloseCode } from "./close-codes.js";
import {
  inputOverflow,
  invalidUtf8,
  messageTooBig,
  protocolError,
  tooManyFragments,
  type WebSocketError,
} from "./errors.js";
import { applyMask } from "./mask.js";
import { MessagePieces } from "./message-pieces.js";
import { isControlOpcode, isKnownOpcode, MAX_CONTROL_PAYLOAD, Opcode } from "./opcode.js";
import { isUtf8, Utf8Validator } from "./utf8.js";

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

/** What the reader hands up: whole messages, control frames, and the first error. */
export interface FrameReaderSink {
  /**
   * A complete message. `fragments` is reused by the reader after this call returns: copy the array
   * (not the buffers) to keep it.
   */
  onMessage(fragments: Buffer[], length: number, isBinary: boolean): void;
  onPing(payload: Buffer): void;
  onPong(payload: Buffer): void;
  /** A close frame; `code` is 1005 when the frame had no status code. The reader stops after it. */
  onClose(code: number, reason: Buffer): void;
  /** The connection must be failed with `error.closeCode`. The reader stops after it. */
  onError(error: WebSocketError): void;
  /** Unparsed input fell back within `maxUnparsedBytes` after `write` returned false: read again. */
  onDrain(): void;
}

/** Decompression of permessage-deflate frames (RFC 7692), supplied when the extension was negotiated. */
export interface Inflater {
  /**
   * Inflates one frame's payload (`fin`: the last frame of the message, so the 0x00 0x00 0xff 0xff tail
   * is appended) and calls back, always asynchronously, with the output.
   */
  decompress(
    payload: Buffer,
    fin: boolean,
    callback: (error: WebSocketError | null, output: Buffer[]) => void,
  ): void;
}

export interface FrameReaderOptions {
  /** Server side: frames must be masked. Client side: frames must not be. */
  isServer: boolean;
  /** Largest message in bytes (after inflation); 0 means no limit. */
  maxPayload: number;
  /** Most frames one message may span; 0 means no limit. */
  maxFragments: number;
  /** Most received bytes held unparsed before `write` asks the caller to pause; 0 means no limit. */
  maxUnparsedBytes: number;
  /** Present when permessage-deflate was negotiated: RSV1 then marks a compressed message. */
  inflater?: Inflater | null;
}

// Reader states (RFC 6455 §5.2 field order).
const HEADER = 0;
const LENGTH_16 = 1;
const LENGTH_64 = 2;
const MASKING_KEY = 3;
const PAYLOAD = 4;
const INFLATING = 5;
const STOPPED = 6;

const EMPTY: Buffer = Buffer.alloc(0);

/**
 * A streaming RFC 6455 frame parser: a state machine fed socket chunks as they come. Chunks are queued
 * and read in place; a payload is sliced from its chunk when it lies within one, or copied piece by
 * piece into a buffer of its announced size, unmasked and (for text) UTF-8 checked as the pieces
 * arrive so that violations are caught before the frame completes.
 */
export class FrameReader {
  private readonly sink: FrameReaderSink;
  private readonly isServer: boolean;
  private readonly maxPayload: number;
  private readonly maxFragments: number;
  private readonly maxUnparsedBytes: number;
  private readonly inflater: Inflater | null;

  private state = HEADER;
  private processing = false;
  private readonly chunks: Buffer[] = [];
  /** Read position inside `chunks[0]`. */
  private offset = 0;
  private buffered = 0;
  /** `write` returned false: the caller paused its source until `onDrain`. */
  private overLimit = false;

  // Current frame.
  private fin = false;
  private rsv1 = false;
  private opcode = 0;
  private masked = false;
  private payloadLength = 0;
  /** The frame's masking key as a 32-bit word: a number costs no per-connection buffer. */
  private maskingKey = 0;
  private payload: Buffer | null = null;
  private payloadOffset = 0;
  /** This frame carries part of an uncompressed text message: check UTF-8 as it arrives. */
  private checkUtf8 = false;

  // Current message (data frames).
  private messageOpcode = 0;
  private compressed = false;
  private validateText = false;
  private wireLength = 0;
  private messageLength = 0;
  /** Data frames of the current message so far, checked against `maxFragments`. */
  private frameCount = 0;
  private readonly pieces = new MessagePieces();
  private readonly utf8 = new Utf8Validator();

  constructor(sink: FrameReaderSink, options: FrameReaderOptions) {
    this.sink = sink;
    this.isServer = options.isServer;
    this.maxPayload = options.maxPayload;
    this.maxFragments = options.maxFragments;
    this.maxUnparsedBytes = options.maxUnparsedBytes;
    this.inflater = options.inflater ?? null;
    // Bound only when inflating can happen: idle connections without the extension carry no closure.
    if (this.inflater !== null) this.onInflated = this.onInflated.bind(this);
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

  private resetMessage(): void {
    this.pieces.reset();
    this.frameCount = 0;
  }

  private process(): void {
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
          break; // INFLATING or STOPPED: resumed by onInflated, or never.
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
    } else if (opcode === Opcode.Continuation) {
      if (this.messageOpcode === 0)
        return this.fail(protocolError("continuation frame without a message to continue"));
      // RFC 7692 §6: RSV1 marks the first frame of a compressed message only.
      if (this.rsv1) return this.fail(protocolError("RSV1 must be clear on continuation frames"));
    } else {
      if (this.messageOpcode !== 0) return this.fail(protocolError("expected a continuation frame"));
      if (this.rsv1 && this.inflater === null) {
        return this.fail(protocolError("RSV1 must be clear without a negotiated extension"));
      }
      this.messageOpcode = opcode;
      this.compressed = this.rsv1;
      this.validateText = opcode === Opcode.Text && !this.rsv1;
      this.wireLength = 0;
      this.messageLength = 0;
      this.frameCount = 0;
    }
    // RFC 6455 §5.1: clients mask every frame; servers mask none.
    if (this.isServer && !this.masked) return this.fail(protocolError("client frames must be masked"));
    if (!this.isServer && this.masked) return this.fail(protocolError("server frames must not be masked"));

    this.checkUtf8 = this.validateText && !isControlOpcode(opcode);
    if (length7 === 126) this.state = LENGTH_16;
    else if (length7 === 127) this.state = LENGTH_64;
    else {
      this.payloadLength = length7;
      return this.afterLength();
    }
    return true;
  }

  /** Checks the announced length against `maxPayload`, before any of the payload is buffered. */
  private afterLength(): boolean {
    if (!isControlOpcode(this.opcode)) {
      this.wireLength += this.payloadLength;
      if (this.maxPayload > 0 && this.wireLength > this.maxPayload)
        return this.fail(messageTooBig(this.maxPayload));
      if (this.maxFragments > 0 && ++this.frameCount > this.maxFragments)
        return this.fail(tooManyFragments(this.maxFragments));
    }
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

  private frameComplete(payload: Buffer): boolean {
    this.state = HEADER;
    switch (this.opcode) {
      case Opcode.Ping:
        this.sink.onPing(payload);
        return this.state === HEADER;
      case Opcode.Pong:
        this.sink.onPong(payload);
        return this.state === HEADER;
      case Opcode.Close:
        return this.closeFrame(payload);
    }
    if (this.compressed) {
      this.state = INFLATING;
      this.inflater!.decompress(payload, this.fin, this.onInflated);
      return false;
    }
    this.messageLength += payload.length;
    // A whole message in one frame is handed up in place; pieces of a fragmented one are gathered.
    if (this.fin && this.pieces.isEmpty) this.pieces.keepInPlace(payload);
    else this.pieces.gather(payload, this.room(payload.length));
    if (this.fin) return this.deliver();
    return true;
  }

  /** What the message may still grow by, counting the piece of `n` bytes just added; 0 = unlimited. */
  private room(n: number): number {
    return this.maxPayload > 0 ? this.maxPayload - this.messageLength + n : 0;
  }

  private closeFrame(payload: Buffer): boolean {
    let code: number = CloseCode.NoStatus;
    let reason = EMPTY;
    if (payload.length === 1) return this.fail(protocolError("close frame payload of 1 byte"));
    if (payload.length >= 2) {
      code = payload.readUInt16BE(0);
      if (!isValidCloseCode(code)) return this.fail(protocolError(`invalid close code ${code}`));
      reason = payload.subarray(2);
      if (!isUtf8(reason)) return this.fail(invalidUtf8("invalid UTF-8 in close reason"));
    }
    this.stop();
    this.sink.onClose(code, reason);
    return false;
  }

  private onInflated(error: WebSocketError | null, output: Buffer[]): void {
    if (this.state !== INFLATING) return; // stopped meanwhile
    if (error !== null) {
      this.fail(error);
      return;
    }
    for (let i = 0; i < output.length; i++) {
      const chunk = output[i]!;
      this.messageLength += chunk.length;
      if (this.maxPayload > 0 && this.messageLength > this.maxPayload) {
        this.fail(messageTooBig(this.maxPayload));
        return;
      }
      if (this.messageOpcode === Opcode.Text && !this.utf8.write(chunk)) {
        this.fail(invalidUtf8());
        return;
      }
      if (this.fin && output.length === 1 && this.pieces.isEmpty) this.pieces.keepInPlace(chunk);
      else this.pieces.gather(chunk, this.room(chunk.length));
    }
    this.state = HEADER;
    if (this.fin && !this.deliver()) return;
    if (!this.processing) this.process();
    if (this.overLimit && this.buffered <= this.maxUnparsedBytes && this.state !== STOPPED) {
      this.overLimit = false;
      this.sink.onDrain();
    }
  }

  private deliver(): boolean {
    const isBinary = this.messageOpcode === Opcode.Binary;
    if (!isBinary && !this.utf8.end())
      return this.fail(invalidUtf8("text message ends inside a UTF-8 sequence"));
    const pieces = this.pieces;
    pieces.seal();
    if (pieces.list.length === 0) pieces.keepInPlace(EMPTY);
    const length = this.messageLength;
    this.messageOpcode = 0;
    this.messageLength = 0;
    this.sink.onMessage(pieces.list, length, isBinary);
    this.resetMessage();
    return this.state === HEADER;
  }

  private fail(error: WebSocketError): false {
    this.stop();
    this.sink.onError(error);
    return false;
  }
}
