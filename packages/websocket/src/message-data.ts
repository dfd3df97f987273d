// What a connection sends and hands over: the data types `send` accepts and how each becomes bytes, and
// the forms a received binary message takes (`binaryType`).
import { WebSocketError } from "./errors.js";

/** How received binary data is handed to listeners. */
export type BinaryType = "nodebuffer" | "arraybuffer" | "fragments" | "blob";

/**
 * What `send` accepts: strings (and numbers, sent as their decimal text, as `ws` does) go as text,
 * everything else as binary unless `binary` says otherwise; `undefined`/`null` send an empty message. A
 * `Blob` is read asynchronously and still leaves in the order it was sent.
 */
export type SendData =
  | string
  | number
  | Buffer
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | Blob
  | null
  | undefined;

export const EMPTY: Buffer = Buffer.alloc(0);

export function isBinaryType(type: unknown): type is BinaryType {
  return type === "nodebuffer" || type === "arraybuffer" || type === "fragments" || type === "blob";
}

export function isBlob(data: unknown): data is Blob {
  return typeof Blob !== "undefined" && data instanceof Blob;
}

/** The bytes of any `SendData` but a `Blob` (which must be read first). */
export function toBuffer(data: SendData): Buffer {
  if (typeof data === "string") return Buffer.from(data);
  if (typeof data === "number") return Buffer.from(String(data));
  if (data === undefined || data === null) return EMPTY;
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new WebSocketError(
    "INVALID_ARGUMENT",
    isBlob(data)
      ? "a Blob can only be sent as a message, not as a ping, pong or close payload"
      : "data must be a string, Buffer, ArrayBuffer, ArrayBufferView or Blob",
  );
}

/** The size in bytes of data that could not be sent (for `bufferedAmount` after close, as `ws` counts it). */
export function byteSize(data: SendData): number {
  return isBlob(data) ? data.size : toBuffer(data).length;
}

/** A received binary message in the form `binaryType` asks for. */
export function deliverBinary(type: BinaryType, fragments: Buffer[], length: number): unknown {
  if (type === "fragments") return fragments.slice();
  const data = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments, length);
  if (type === "nodebuffer") return data;
  if (type === "blob") return new Blob([data as Uint8Array<ArrayBuffer>]);
  return toArrayBuffer(data);
}

function toArrayBuffer(data: Buffer): ArrayBuffer {
  const buffer = data.buffer as ArrayBuffer;
  if (data.byteOffset === 0 && data.byteLength === buffer.byteLength) return buffer;
  return buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
}
