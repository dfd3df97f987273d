import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from "node:zlib";
import { CloseCode } from "./close-codes.js";
import { messageTooBig, WebSocketError } from "./errors.js";
import type { Inflater } from "./frame-reader.js";
import type { ExtensionOffer } from "./handshake.js";
import { type SharedDeflateSetup, sharedDeflateSetup } from "./shared-deflate.js";
import { DEFAULT_CONCURRENCY_LIMIT, type ZlibJob, type ZlibLimiter } from "./zlib-limiter.js";

/** RFC 7692 §7: the extension's registered name. */
export const PERMESSAGE_DEFLATE = "permessage-deflate";

/** RFC 7692 §7.2.1: the tail of a sync flush, stripped by the sender and put back by the receiver. */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** permessage-deflate settings (RFC 7692). Disabled on the server by default, offered by the client. */
export interface PerMessageDeflateOptions {
  /** Server: resets its compressor after every message and says so. Client: asks the server to. Default `false`. */
  serverNoContextTakeover?: boolean;
  /** Server: tells the client to reset its compressor per message. Client: offers to do so. Default `false`. */
  clientNoContextTakeover?: boolean;
  /**
   * Server: the largest LZ77 window (8–15 bits) the server compresses with. Client: asks the server for
   * at most this. Default: not limited (15).
   */
  serverMaxWindowBits?: number;
  /**
   * Server: limits the client's window (8–15) when the client offered `client_max_window_bits`.
   * Client: `true` (default) offers `client_max_window_bits` without a value; a number offers that
   * limit; `false` leaves the parameter out.
   */
  clientMaxWindowBits?: number | boolean;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** Passed to `zlib.createDeflateRaw` (`level`, `memLevel`, `strategy`). Default zlib's. */
  zlibDeflateOptions?: { level?: number; memLevel?: number; strategy?: number };
  /**
   * Most zlib operations (a message's compression, a frame's inflation) running at once: per server
   * for its connections, per process for clients. Others wait in order. Default 10.
   */
  concurrencyLimit?: number;
}

/** What was agreed on for one connection. Window sizes are 15 when not limited. */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

export const DEFAULT_THRESHOLD = 1024;

function isWindowBits(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 8 && value <= 15;
}

function parseWindowBits(value: string | true): number | null {
  if (value === true || !/^(?:[89]|1[0-5])$/.test(value)) return null;
  return Number(value);
}

/** Checks option values early so that a typo fails at construction, not at the first handshake. */
export function validateDeflateOptions(options: PerMessageDeflateOptions): void {
  const { serverMaxWindowBits, clientMaxWindowBits, threshold, concurrencyLimit } = options;
  if (serverMaxWindowBits !== undefined && !isWindowBits(serverMaxWindowBits)) {
    throw new WebSocketError(
      "INVALID_ARGUMENT",
      "perMessageDeflate.serverMaxWindowBits must be an integer 8–15",
    );
  }
  if (
    clientMaxWindowBits !== undefined &&
    typeof clientMaxWindowBits !== "boolean" &&
    !isWindowBits(clientMaxWindowBits)
  ) {
    throw new WebSocketError(
      "INVALID_ARGUMENT",
      "perMessageDeflate.clientMaxWindowBits must be a boolean or 8–15",
    );
  }
  if (threshold !== undefined && !(threshold >= 0)) {
    throw new WebSocketError("INVALID_ARGUMENT", "perMessageDeflate.threshold must be a number ≥ 0");
  }
  if (concurrencyLimit !== undefined && !(Number.isInteger(concurrencyLimit) && concurrencyLimit >= 1)) {
    throw new WebSocketError("INVALID_ARGUMENT", "perMessageDeflate.concurrencyLimit must be an integer ≥ 1");
  }
}

/** The `concurrencyLimit` in effect for these options. */
export function concurrencyLimitOf(options: PerMessageDeflateOptions): number {
  return options.concurrencyLimit ?? DEFAULT_CONCURRENCY_LIMIT;
}

/**
 * Server side of RFC 7692 §5/§7.1: takes the first acceptable `permessage-deflate` offer (offers with
 * unknown, repeated or out-of-range parameters are declined) and returns the agreed parameters and
 * the response element, or null when nothing is acceptable.
 */
export function acceptOffer(
  offers: ExtensionOffer[],
  options: PerMessageDeflateOptions,
): { params: DeflateParams; response: ExtensionOffer } | null {
  for (const offer of offers) {
    if (offer.name !== PERMESSAGE_DEFLATE) continue;
    const seen = new Set<string>();
    let valid = true;
    let serverNoContextTakeover = false;
    let clientNoContextTakeover = false;
    let serverMaxWindowBits: number | null = null;
    let clientMaxWindowBits: number | true | null = null;
    for (const [name, value] of offer.params) {
      if (seen.has(name)) valid = false;
      seen.add(name);
      if (name === "server_no_context_takeover" && value === true) serverNoContextTakeover = true;
      else if (name === "client_no_context_takeover" && value === true) clientNoContextTakeover = true;
      else if (name === "server_max_window_bits") {
        serverMaxWindowBits = parseWindowBits(value);
        if (serverMaxWindowBits === null) valid = false;
      } else if (name === "client_max_window_bits") {
        clientMaxWindowBits = value === true ? true : parseWindowBits(value);
        if (clientMaxWindowBits === null) valid = false;
      } else valid = false;
      if (!valid) break;
    }
    if (!valid) continue;

    const response: ExtensionOffer = { name: PERMESSAGE_DEFLATE, params: [] };
    const params: DeflateParams = {
      serverNoContextTakeover: serverNoContextTakeover || options.serverNoContextTakeover === true,
      clientNoContextTakeover: clientNoContextTakeover || options.clientNoContextTakeover === true,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    };
    if (params.serverNoContextTakeover) response.params.push(["server_no_context_takeover", true]);
    if (params.clientNoContextTakeover) response.params.push(["client_no_context_takeover", true]);
    const ownLimit = options.serverMaxWindowBits ?? 15;
    if (serverMaxWindowBits !== null || ownLimit < 15) {
      params.serverMaxWindowBits = Math.min(ownLimit, serverMaxWindowBits ?? 15);
      response.params.push(["server_max_window_bits", String(params.serverMaxWindowBits)]);
    }
    // RFC 7692 §7.1.2.2: the server may only limit the client's window if the client offered to accept it.
    if (clientMaxWindowBits !== null) {
      const offered = clientMaxWindowBits === true ? 15 : clientMaxWindowBits;
      const wanted = typeof options.clientMaxWindowBits === "number" ? options.clientMaxWindowBits : offered;
      params.clientMaxWindowBits = Math.min(offered, wanted);
      if (params.clientMaxWindowBits < 15) {
        response.params.push(["client_max_window_bits", String(params.clientMaxWindowBits)]);
      }
    }
    return { params, response };
  }
  return null;
}

/** Client side: the offer sent in `Sec-WebSocket-Extensions`. */
export function clientOffer(options: PerMessageDeflateOptions): ExtensionOffer {
  const offer: ExtensionOffer = { name: PERMESSAGE_DEFLATE, params: [] };
  if (options.serverNoContextTakeover) offer.params.push(["server_no_context_takeover", true]);
  if (options.clientNoContextTakeover) offer.params.push(["client_no_context_takeover", true]);
  if (options.serverMaxWindowBits !== undefined) {
    offer.params.push(["server_max_window_bits", String(options.serverMaxWindowBits)]);
  }
  const cmwb = options.clientMaxWindowBits ?? true;
  if (cmwb === true) offer.params.push(["client_max_window_bits", true]);
  else if (typeof cmwb === "number") offer.params.push(["client_max_window_bits", String(cmwb)]);
  return offer;
}

/**
 * Client side of RFC 7692 §7.1: checks the server's response against what was offered. Returns the
 * agreed parameters, or a reason string when the response must fail the connection.
 */
export function acceptResponse(
  response: ExtensionOffer,
  options: PerMessageDeflateOptions,
): DeflateParams | string {
  const params: DeflateParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: options.clientNoContextTakeover === true,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  const seen = new Set<string>();
  for (const [name, value] of response.params) {
    if (seen.has(name)) return `repeated parameter ${name}`;
    seen.add(name);
    if (name === "server_no_context_takeover" && value === true) params.serverNoContextTakeover = true;
    else if (name === "client_no_context_takeover" && value === true) params.clientNoContextTakeover = true;
    else if (name === "server_max_window_bits") {
      const bits = parseWindowBits(value);
      if (bits === null) return "invalid server_max_window_bits";
      if (options.serverMaxWindowBits !== undefined && bits > options.serverMaxWindowBits) {
        return "server_max_window_bits exceeds the offered limit";
      }
      params.serverMaxWindowBits = bits;
    } else if (name === "client_max_window_bits") {
      const offered = options.clientMaxWindowBits ?? true;
      if (offered === false) return "client_max_window_bits was not offered";
      const bits = parseWindowBits(value);
      if (bits === null) return "invalid client_max_window_bits";
      if (typeof offered === "number" && bits > offered)
        return "client_max_window_bits exceeds the offered limit";
      params.clientMaxWindowBits = bits;
    } else return `unknown parameter ${name}`;
  }
  if (options.serverNoContextTakeover && !params.serverNoContextTakeover) {
    return "server_no_context_takeover was requested but not accepted";
  }
  if (
    typeof options.clientMaxWindowBits === "number" &&
    params.clientMaxWindowBits > options.clientMaxWindowBits
  ) {
    // The client promised not to exceed its own offer whatever the server said.
    params.clientMaxWindowBits = options.clientMaxWindowBits;
  }
  return params;
}

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
