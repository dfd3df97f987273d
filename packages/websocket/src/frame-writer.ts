import { applyMask, writeMaskingKey } from "./mask.js";
import type { Opcode } from "./opcode.js";

/**
 * Payloads up to this size are copied behind their header into one buffer (one write, one chunk);
 * larger ones are written as header + payload so big messages are never copied.
 */
export const COPY_THRESHOLD = 16 * 1024;

/** Bytes of the header (RFC 6455 §5.2) for a payload of `length` bytes. */
export function frameHeaderSize(length: number, masked: boolean): number {
  const base = length < 126 ? 2 : length <= 0xffff ? 4 : 10;
  return masked ? base + 4 : base;
}

/** Fills a 4-byte masking key (the client's `generateMask` option). */
export type MaskGenerator = (mask: Buffer) => void;

/**
 * Writes a frame header at `offset` and returns the offset after it. With `masked`, a fresh masking
 * key is written last and stays readable at `returned - 4`.
 */
export function writeFrameHeader(
  target: Buffer,
  offset: number,
  opcode: Opcode,
  fin: boolean,
  rsv1: boolean,
  length: number,
  masked: boolean,
  generateMask: MaskGenerator | null = null,
): number {
  target[offset] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) {
    target[offset + 1] = maskBit | length;
    offset += 2;
  } else if (length <= 0xffff) {
    target[offset + 1] = maskBit | 126;
    target.writeUInt16BE(length, offset + 2);
    offset += 4;
  } else {
    target[offset + 1] = maskBit | 127;
    // RFC 6455 §5.2: 64-bit length, most significant bit 0; JS lengths stay below 2^53.
    target.writeUInt32BE(Math.floor(length / 0x100000000), offset + 2);
    target.writeUInt32BE(length >>> 0, offset + 6);
    offset += 10;
  }
  if (masked) {
    if (generateMask !== null) generateMask(target.subarray(offset, offset + 4));
    else writeMaskingKey(target, offset);
    offset += 4;
  }
  return offset;
}

/**
 * Frames `payload` as one frame. Unmasked frames (server side) reference the payload when it is large;
 * masked frames (client side) always copy, since masking must not touch the caller's bytes.
 * Returns one buffer, or header and payload when the payload is left in place.
 */
export function encodeFrame(
  opcode: Opcode,
  payload: Buffer,
  fin: boolean,
  rsv1: boolean,
  masked: boolean,
  generateMask: MaskGenerator | null = null,
): Buffer | [Buffer, Buffer] {
  const length = payload.length;
  const headerSize = frameHeaderSize(length, masked);
  if (!masked && length > COPY_THRESHOLD) {
    const header = Buffer.allocUnsafe(headerSize);
    writeFrameHeader(header, 0, opcode, fin, rsv1, length, false);
    return [header, payload];
  }
  const frame = Buffer.allocUnsafe(headerSize + length);
  const start = writeFrameHeader(frame, 0, opcode, fin, rsv1, length, masked, generateMask);
  payload.copy(frame, start);
  if (masked) applyMask(frame, start, start + length, frame.subarray(start - 4, start));
  return frame;
}

/**
 * Frames a string as one frame (text, unless `opcode` says otherwise): the header and the string's UTF-8
 * bytes are written into one buffer, so a string message costs one allocation and one encoding pass, with
 * no intermediate Buffer of the string to copy behind the header, and leaves in one socket write whatever
 * its size. Masked frames (client side) are masked in place. `length` is the string's UTF-8 size, when
 * the caller already has it.
 */
export function encodeTextFrame(
  opcode: Opcode,
  text: string,
  fin: boolean,
  masked: boolean,
  generateMask: MaskGenerator | null = null,
  length = Buffer.byteLength(text, "utf8"),
): Buffer {
  const frame = Buffer.allocUnsafe(frameHeaderSize(length, masked) + length);
  const start = writeFrameHeader(frame, 0, opcode, fin, false, length, masked, generateMask);
  frame.write(text, start, length, "utf8");
  if (masked) applyMask(frame, start, start + length, frame.subarray(start - 4, start));
  return frame;
}
