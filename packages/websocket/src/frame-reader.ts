import { CloseCode, isValidCloseCode } from "./close-codes.js";
import {
  invalidUtf8,
  messageTooBig,
  protocolError,
  tooManyFragments,
  type WebSocketError,
} from "./errors.js";
import { EMPTY, FrameParser, HEADER, INFLATING, STOPPED } from "./frame-parser.js";
import { MessagePieces } from "./message-pieces.js";
import { Opcode } from "./opcode.js";
import { isUtf8 } from "./utf8.js";

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

/**
 * A streaming RFC 6455 reader: the frames parsed by {@link FrameParser} assembled into messages.
 * Fragments are gathered by bytes (`MessagePieces`), compressed messages inflated (RFC 7692), text
 * checked as UTF-8 across frames, `maxPayload` and `maxFragments` enforced as frames are announced, and
 * control frames (ping, pong, close) handed up at once, even between the fragments of a message.
 */
export class FrameReader extends FrameParser {
  private readonly maxFragments: number;
  private readonly inflater: Inflater | null;

  // Current message (data frames).
  private messageOpcode = 0;
  private compressed = false;
  private validateText = false;
  private wireLength = 0;
  private messageLength = 0;
  /** Data frames of the current message so far, checked against `maxFragments`. */
  private frameCount = 0;
  private readonly pieces = new MessagePieces();

  constructor(sink: FrameReaderSink, options: FrameReaderOptions) {
    super(sink, options.isServer, options.maxPayload, options.maxUnparsedBytes);
    this.maxFragments = options.maxFragments;
    this.inflater = options.inflater ?? null;
    // Bound only when inflating can happen: idle connections without the extension carry no closure.
    if (this.inflater !== null) this.onInflated = this.onInflated.bind(this);
  }

  protected resetMessage(): void {
    this.pieces.reset();
    this.frameCount = 0;
  }

  protected startDataFrame(opcode: number): boolean {
    if (opcode === Opcode.Continuation) {
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
    this.checkUtf8 = this.validateText;
    return true;
  }

  protected countDataFrame(): boolean {
    this.wireLength += this.payloadLength;
    if (this.maxPayload > 0 && this.wireLength > this.maxPayload)
      return this.fail(messageTooBig(this.maxPayload));
    if (this.maxFragments > 0 && ++this.frameCount > this.maxFragments)
      return this.fail(tooManyFragments(this.maxFragments));
    return true;
  }

  protected frameComplete(payload: Buffer): boolean {
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
}
