import { encodeFrame } from "./frame-writer.js";
import { Opcode } from "./opcode.js";

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
}

/**
 * Frames a message once for a broadcast: strings become text frames and binary data binary frames
 * unless `binary` says otherwise. The frame is unmasked and uncompressed (RSV1 clear), which is valid on
 * every server-side connection, with or without permessage-deflate.
 */
export function prepareMessage(
  data: string | Buffer | Uint8Array | ArrayBuffer,
  options?: { binary?: boolean },
): PreparedMessage {
  const payload =
    typeof data === "string"
      ? Buffer.from(data)
      : Buffer.isBuffer(data)
        ? data
        : data instanceof ArrayBuffer
          ? Buffer.from(data)
          : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const binary = options?.binary ?? typeof data !== "string";
  const frame = encodeFrame(binary ? Opcode.Binary : Opcode.Text, payload, true, false, false);
  const frames = Array.isArray(frame) ? frame : [frame];
  return { binary, payload, frames, byteLength: frames.reduce((n, b) => n + b.length, 0) };
}
