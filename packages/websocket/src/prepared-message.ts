import { encodeFrame, encodeTextFrame } from "./frame-writer.js";
import { Opcode } from "./opcode.js";
import { SharedDeflate } from "./shared-deflate.js";

/** A message framed once, to be written as is to many server-side connections (`sendPrepared`). */
export interface PreparedMessage {
  /** True for a binary frame, false for text. */
  readonly binary: boolean;
  /** The message bytes. */
  readonly payload: Buffer;
  /** The unmasked, uncompressed frame: header and payload, in one or two buffers. */
  readonly frames: Buffer[];
  /** Total bytes of `frames`. */
  readonly byteLength: number;
  /**
   * With `compress`: the message deflated once per compressor set-up, for the connections that
   * negotiated server_no_context_takeover; null otherwise.
   */
  readonly deflated: SharedDeflate | null;
}

/**
 * Frames a message once for a broadcast: strings become text frames and binary data binary frames
 * unless `binary` says otherwise. The frame is unmasked and uncompressed (RSV1 clear), which is valid on
 * every server-side connection, with or without permessage-deflate. With `compress`, connections that
 * negotiated permessage-deflate with server_no_context_takeover get the message deflated once for all
 * of them (synchronously, at the first such recipient), when it reaches their `threshold`; the others
 * get the uncompressed frame.
 */
export function prepareMessage(
  data: string | Buffer | Uint8Array | ArrayBuffer,
  options?: { binary?: boolean; compress?: boolean },
): PreparedMessage {
  const binary = options?.binary ?? typeof data !== "string";
  const opcode = binary ? Opcode.Binary : Opcode.Text;
  let payload: Buffer;
  let frames: Buffer[];
  if (typeof data === "string") {
    // Encoded straight into the frame; the payload is the frame's tail, not a second copy.
    const length = Buffer.byteLength(data, "utf8");
    const frame = encodeTextFrame(opcode, data, true, false, null, length);
    payload = frame.subarray(frame.length - length);
    frames = [frame];
  } else {
    payload = Buffer.isBuffer(data)
      ? data
      : data instanceof ArrayBuffer
        ? Buffer.from(data)
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const frame = encodeFrame(opcode, payload, true, false, false);
    frames = Array.isArray(frame) ? frame : [frame];
  }
  const deflated = options?.compress === true ? new SharedDeflate(opcode, payload) : null;
  return { binary, payload, frames, byteLength: frames.reduce((n, b) => n + b.length, 0), deflated };
}
