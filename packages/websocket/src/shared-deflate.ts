// Compress once, send to many (RFC 7692 with server_no_context_takeover): a broadcast deflated without
// any earlier context decodes the same on every connection whose server side resets its compressor per
// message, so one deflate serves every recipient whose negotiated window is the same.
import { constants, deflateRawSync } from "node:zlib";
import type { PerMessageDeflateOptions } from "./deflate-negotiation.js";
import { encodeFrame } from "./frame-writer.js";
import type { Opcode } from "./opcode.js";

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** How one connection compresses: what a shared frame must match to be valid on it. */
export interface SharedDeflateSetup {
  /** The negotiated window of our compressor (9–15). */
  readonly windowBits: number;
  readonly zlibOptions: PerMessageDeflateOptions["zlibDeflateOptions"];
  /** Messages below this size go uncompressed. */
  readonly threshold: number;
}

/**
 * Deflated frames of one message, keyed by the compressor set-up that made them (a server's connections
 * share one set-up object, so the usual case is one entry).
 */
export class SharedDeflate {
  private readonly opcode: Opcode;
  private readonly payload: Buffer;
  private setup: SharedDeflateSetup | null = null;
  private frames: Buffer[] | null = null;
  private others: Map<SharedDeflateSetup, Buffer[]> | null = null;

  constructor(opcode: Opcode, payload: Buffer) {
    this.opcode = opcode;
    this.payload = payload;
  }

  /** The compressed frame for a connection set up as `setup`, or null when it must go uncompressed. */
  framesFor(setup: SharedDeflateSetup): Buffer[] | null {
    if (this.payload.length < setup.threshold) return null;
    if (this.setup === setup) return this.frames;
    if (this.setup === null) {
      this.setup = setup;
      this.frames = deflateFrames(this.opcode, this.payload, setup);
      return this.frames;
    }
    this.others ??= new Map();
    let frames = this.others.get(setup);
    if (frames === undefined) {
      frames = deflateFrames(this.opcode, this.payload, setup);
      this.others.set(setup, frames);
    }
    return frames;
  }
}

/** One message deflated from an empty context, framed with RSV1 (RFC 7692 §7.2.1). */
function deflateFrames(opcode: Opcode, payload: Buffer, setup: SharedDeflateSetup): Buffer[] {
  let data = deflateRawSync(payload, {
    ...setup.zlibOptions,
    windowBits: setup.windowBits,
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  if (data.length >= 4 && data.subarray(data.length - 4).equals(TRAILER))
    data = data.subarray(0, data.length - 4);
  const frame = encodeFrame(opcode, data, true, true, false);
  return Array.isArray(frame) ? frame : [frame];
}

const setups = new WeakMap<PerMessageDeflateOptions, Map<number, SharedDeflateSetup>>();

/** The one set-up object for a server's `options` and a negotiated window, so frames are shared by identity. */
export function sharedDeflateSetup(
  options: PerMessageDeflateOptions,
  windowBits: number,
  threshold: number,
): SharedDeflateSetup {
  let byWindow = setups.get(options);
  if (byWindow === undefined) {
    byWindow = new Map();
    setups.set(options, byWindow);
  }
  let setup = byWindow.get(windowBits);
  if (setup === undefined) {
    setup = { windowBits, zlibOptions: options.zlibDeflateOptions, threshold };
    byWindow.set(windowBits, setup);
  }
  return setup;
}
