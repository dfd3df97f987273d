// Binary data on both platforms. Node's Buffer where it exists (what Node users of socket.io get, and no
// copies); the browser bundle defines `globalThis.Buffer` as undefined, so these Node paths vanish from it.
import type { BinaryData } from "../parser/index.js";

type NodeBuffer = Uint8Array & { toString(encoding: string): string };
const NodeBuffer = (
  globalThis as {
    Buffer?: {
      from(data: ArrayBufferLike | string, offsetOrEncoding?: number | string, length?: number): NodeBuffer;
    };
  }
).Buffer;

/** A Uint8Array over the same memory (no copy); Buffers and Uint8Arrays pass through. */
export const toBytes = (data: BinaryData): Uint8Array =>
  data instanceof Uint8Array
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

/**
 * Binary as users of socket.io expect it on this platform: a Buffer in Node, an ArrayBuffer in browsers.
 * Never copies in Node; copies in a browser only when the view covers part of its buffer.
 */
export function toPlatformBinary(data: BinaryData): Uint8Array | ArrayBuffer {
  if (data instanceof ArrayBuffer) return NodeBuffer ? NodeBuffer.from(data) : data;
  const { buffer, byteOffset, byteLength } = data as ArrayBufferView;
  if (NodeBuffer)
    return data instanceof Uint8Array && data.constructor !== Uint8Array // already a Buffer
      ? data
      : NodeBuffer.from(buffer, byteOffset, byteLength);
  // Browsers receive binary as an ArrayBuffer (WebSocket) or as a fresh view from base64 (polling).
  return (
    byteOffset || byteLength < buffer.byteLength ? buffer.slice(byteOffset, byteOffset + byteLength) : buffer
  ) as ArrayBuffer;
}

export function encodeBase64(data: BinaryData): string {
  const bytes = toBytes(data);
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/** Decodes base64 already checked to be well-formed. */
export const decodeBase64 = (text: string): Uint8Array =>
  NodeBuffer ? NodeBuffer.from(text, "base64") : Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** Bytes a packet occupies in a polling body (binary travels as base64 behind a `b`). */
export function encodedByteLength(data: string | BinaryData | undefined): number {
  return (
    1 +
    (typeof data === "string"
      ? new TextEncoder().encode(data).length
      : data
        ? Math.ceil(data.byteLength / 3) * 4
        : 0)
  );
}
