// permessage-deflate's compressor and decompressor for one connection, with the inflated-size limit.
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from "node:zlib";
import { CloseCode } from "./close-codes.js";
import {
  DEFAULT_THRESHOLD,
  type DeflateParams,
  type PerMessageDeflateOptions,
} from "./deflate-negotiation.js";
import { messageTooBig, WebSocketError } from "./errors.js";
import type { Inflater } from "./frame-reader.js";
import { type SharedDeflateSetup, sharedDeflateSetup } from "./shared-deflate.js";
import type { ZlibJob, ZlibLimiter } from "./zlib-limiter.js";

/** RFC 7692 §7.2.1: the tail of a sync flush, stripped by the sender and put back by the receiver. */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

type CompressCallback = (error: WebSocketError | null, data: Buffer | null) => void;
type InflateCallback = (error: WebSocketError | null, output: Buffer[]) => void;

/**
 * One connection's compressor and decompressor. The inflater always uses a 15-bit window (a larger
 * window decodes any smaller one); the deflater uses the negotiated window. Inflated bytes are counted
 * as they come out and inflation stops at `maxPayload`, so a small message cannot inflate into a huge
 * one (a decompression bomb). Every zlib operation first takes a slot of the shared `ZlibLimiter`; a
 * connection has at most one operation per direction in flight, so its messages keep their order.
 */
export class PerMessageDeflate implements Inflater {
  readonly threshold: number;
  /**
   * False when our window was limited to 8 bits: zlib's raw deflate silently uses 9 there, which the
   * peer might not decode, so every message then goes uncompressed (RSV1 clear is always legal).
   */
  readonly canCompress: boolean;
  /**
   * Server side with server_no_context_takeover (every message deflated from an empty context): how a
   * broadcast compressed once (`prepareMessage(..., { compress: true })`) is valid here; otherwise null.
   */
  readonly sharedSetup: SharedDeflateSetup | null;
  private readonly windowBits: number;
  private readonly resetDeflate: boolean;
  private readonly maxPayload: number;
  private readonly zlibOptions: PerMessageDeflateOptions["zlibDeflateOptions"];
  private readonly limiter: ZlibLimiter;
  private readonly inflateJob: ZlibJob;
  private readonly deflateJob: ZlibJob;

  private inflate: InflateRaw | null = null;
  private inflateCallback: InflateCallback | null = null;
  private inflateInput: Buffer | null = null;
  private inflateOutput: Buffer[] = [];
  private inflatedLength = 0;
  private inflateFin = false;
  private inflateError: WebSocketError | null = null;
  /** The peer ended its DEFLATE stream (a block with BFINAL=1): the next message needs a new inflater. */
  private inflateEnded = false;
  /** The inflate direction holds a limiter slot. */
  private inflateSlot = false;

  private deflate: DeflateRaw | null = null;
  private deflateCallback: CompressCallback | null = null;
  private deflateInput: Buffer | null = null;
  private deflateOutput: Buffer[] = [];
  private deflateSlot = false;
  private closed = false;

  constructor(
    params: DeflateParams,
    isServer: boolean,
    options: PerMessageDeflateOptions,
    maxPayload: number,
    limiter: ZlibLimiter,
  ) {
    this.threshold = options.threshold ?? DEFAULT_THRESHOLD;
    this.windowBits = isServer ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    this.canCompress = this.windowBits > 8;
    this.resetDeflate = isServer ? params.serverNoContextTakeover : params.clientNoContextTakeover;
    this.sharedSetup =
      isServer && this.resetDeflate && this.canCompress
        ? sharedDeflateSetup(options, this.windowBits, this.threshold)
        : null;
    this.maxPayload = maxPayload;
    this.zlibOptions = options.zlibDeflateOptions;
    this.limiter = limiter;
    this.onInflateData = this.onInflateData.bind(this);
    this.onInflateFlushed = this.onInflateFlushed.bind(this);
    this.onInflateError = this.onInflateError.bind(this);
    this.onInflateEnd = this.onInflateEnd.bind(this);
    this.onDeflateData = this.onDeflateData.bind(this);
    this.onDeflateFlushed = this.onDeflateFlushed.bind(this);
    this.onDeflateError = this.onDeflateError.bind(this);
    this.inflateJob = { startZlib: () => this.startInflate() };
    this.deflateJob = { startZlib: () => this.startDeflate() };
  }

  /** Inflates one frame; see {@link Inflater.decompress}. */
  decompress(payload: Buffer, fin: boolean, callback: InflateCallback): void {
    if (this.closed) return;
    this.inflateCallback = callback;
    this.inflateInput = payload;
    this.inflateFin = fin;
    this.limiter.run(this.inflateJob);
  }

  private startInflate(): boolean {
    const payload = this.inflateInput;
    if (this.closed || payload === null) return false;
    this.inflateSlot = true;
    this.inflateInput = null;
    if (this.inflate === null) {
      this.inflate = createInflateRaw({ windowBits: 15 });
      this.inflate.on("data", this.onInflateData);
      this.inflate.on("error", this.onInflateError);
      this.inflate.on("end", this.onInflateEnd);
    }
    this.inflateOutput = [];
    this.inflate.write(payload);
    if (this.inflateFin) this.inflate.write(TRAILER);
    this.inflate.flush(this.onInflateFlushed);
    return true;
  }

  private releaseInflate(): void {
    if (!this.inflateSlot) return;
    this.inflateSlot = false;
    this.limiter.release();
  }

  private onInflateData(chunk: Buffer): void {
    if (this.inflateError !== null) return;
    this.inflatedLength += chunk.length;
    if (this.maxPayload > 0 && this.inflatedLength > this.maxPayload) {
      // Stop inflating now rather than producing the rest of a bomb only to discard it. The
      // connection fails with 1009, so this inflater is never used again.
      this.inflateError = messageTooBig(this.maxPayload);
      const callback = this.inflateCallback;
      this.inflateCallback = null;
      this.inflateOutput = [];
      const inflate = this.inflate!;
      this.inflate = null;
      inflate.removeListener("data", this.onInflateData);
      inflate.close();
      this.releaseInflate();
      callback?.(this.inflateError, []);
      return;
    }
    this.inflateOutput.push(chunk);
  }

  private onInflateEnd(): void {
    this.inflateEnded = true;
  }

  private onInflateFlushed(): void {
    this.releaseInflate();
    // RFC 7692 §7.2.3: a message may end its DEFLATE data with a final block; zlib then ignores all
    // later input, so the next message starts with a fresh inflater (the peer starts a fresh stream).
    if (this.inflateEnded && this.inflateFin) {
      this.inflateEnded = false;
      const ended = this.inflate;
      this.inflate = null;
      if (ended !== null) {
        // Nothing the old stream does can reach the next message any more.
        ended.removeAllListeners();
        ended.on("error", ignoreError);
        ended.close();
      }
    }
    const callback = this.inflateCallback;
    if (callback === null) return;
    this.inflateCallback = null;
    const error = this.inflateError;
    if (error !== null) {
      callback(error, []);
      return;
    }
    if (this.inflateFin) this.inflatedLength = 0;
    const output = this.inflateOutput;
    this.inflateOutput = [];
    callback(null, output);
  }

  private onInflateError(error: Error): void {
    this.releaseInflate();
    const callback = this.inflateCallback;
    this.inflateCallback = null;
    this.inflateError = new WebSocketError(
      "INVALID_COMPRESSED_DATA",
      `invalid compressed data: ${error.message}`,
      CloseCode.InvalidPayload,
    );
    callback?.(this.inflateError, []);
  }

  /** Compresses a whole message; calls back with the payload to send with RSV1 set. */
  compress(data: Buffer, callback: CompressCallback): void {
    if (this.closed) {
      callback(null, null);
      return;
    }
    this.deflateCallback = callback;
    this.deflateInput = data;
    this.limiter.run(this.deflateJob);
  }

  private startDeflate(): boolean {
    const data = this.deflateInput;
    if (this.closed || data === null) return false;
    this.deflateSlot = true;
    this.deflateInput = null;
    if (this.deflate === null) {
      this.deflate = createDeflateRaw({ ...this.zlibOptions, windowBits: this.windowBits });
      this.deflate.on("data", this.onDeflateData);
      // A deflate error means a zlib bug or closed stream; the caller sends uncompressed instead.
      this.deflate.on("error", this.onDeflateError);
    }
    this.deflateOutput = [];
    this.deflate.write(data);
    this.deflate.flush(constants.Z_SYNC_FLUSH, this.onDeflateFlushed);
    return true;
  }

  private releaseDeflate(): void {
    if (!this.deflateSlot) return;
    this.deflateSlot = false;
    this.limiter.release();
  }

  private onDeflateError(): void {
    // A fresh compressor next time; the peer's window just keeps some unused history.
    this.deflate = null;
    this.onDeflateFlushed(new Error("deflate failed"));
  }

  private onDeflateData(chunk: Buffer): void {
    this.deflateOutput.push(chunk);
  }

  private onDeflateFlushed(error?: unknown): void {
    this.releaseDeflate();
    const callback = this.deflateCallback;
    if (callback === null) return;
    this.deflateCallback = null;
    if (error instanceof Error || this.closed) {
      callback(null, null);
      return;
    }
    let data = this.deflateOutput.length === 1 ? this.deflateOutput[0]! : Buffer.concat(this.deflateOutput);
    this.deflateOutput = [];
    // RFC 7692 §7.2.1: drop the 00 00 ff ff that ends a sync flush.
    if (data.length >= 4 && data.subarray(data.length - 4).equals(TRAILER))
      data = data.subarray(0, data.length - 4);
    if (this.resetDeflate) this.deflate?.reset();
    callback(null, data);
  }

  /** Releases zlib resources and limiter slots; pending callbacks are dropped. */
  close(): void {
    this.closed = true;
    this.inflateCallback = null;
    this.deflateCallback = null;
    this.inflateInput = null;
    this.deflateInput = null;
    this.releaseInflate();
    this.releaseDeflate();
    this.inflate?.close();
    this.deflate?.close();
    this.inflate = null;
    this.deflate = null;
  }
}

function ignoreError(): void {}
