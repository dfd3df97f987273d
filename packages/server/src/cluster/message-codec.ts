// The frame every message between nodes travels in: JSON with binary values taken out of band,
// so a broadcast carrying Buffers is serialised once, with no base64. Layout (big endian):
//   u8 version (1) · u32 jsonLength · json · u32 attachmentCount · (u32 length · bytes)*
// A binary value in the JSON is replaced by `{ "\u0000b": index }` (a key no JSON producer emits
// by accident). Pure functions, no I/O.
import { ClusterAdapterError } from "./errors.js";

const VERSION = 1;
const BINARY_KEY = "\u0000b";
const PLACEHOLDER_TEXT = JSON.stringify(BINARY_KEY).slice(1, -1);
// Deeper than this is almost certainly a cycle; failing cleanly beats a stack overflow.
const MAX_DEPTH = 1000;

/** Serialises `value` (JSON plus Buffers, typed arrays, ArrayBuffers anywhere) into one frame. */
export function encodeFrame(value: unknown): Buffer {
  const buffers: Uint8Array[] = [];
  let json: string;
  try {
    json = JSON.stringify(deconstruct(value, buffers, 0));
  } catch (err) {
    if (err instanceof ClusterAdapterError) throw err;
    throw new ClusterAdapterError("UNENCODABLE", `value cannot be serialised: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const jsonLength = Buffer.byteLength(json);
  let size = 1 + 4 + jsonLength + 4;
  for (const b of buffers) size += 4 + b.byteLength;
  const out = Buffer.allocUnsafe(size);
  out[0] = VERSION;
  out.writeUInt32BE(jsonLength, 1);
  out.write(json, 5, "utf8");
  let pos = 5 + jsonLength;
  out.writeUInt32BE(buffers.length, pos);
  pos += 4;
  for (const b of buffers) {
    out.writeUInt32BE(b.byteLength, pos);
    pos += 4;
    out.set(b, pos);
    pos += b.byteLength;
  }
  return out;
}

/**
 * Reads a frame back. Binary values come back as Buffers viewing `frame` (no copy).
 * @throws ClusterAdapterError `MALFORMED_MESSAGE` on anything that is not a well-formed frame.
 */
export function decodeFrame(frame: Buffer): unknown {
  if (frame.length < 9 || frame[0] !== VERSION) throw malformed("unknown frame version or truncated frame");
  const jsonLength = frame.readUInt32BE(1);
  let pos = 5 + jsonLength;
  if (pos + 4 > frame.length) throw malformed("JSON length exceeds the frame");
  const count = frame.readUInt32BE(pos);
  pos += 4;
  // Each attachment needs at least its 4-byte length: bounds the array before allocating it.
  if (count > (frame.length - pos) / 4) throw malformed("attachment count exceeds the frame");
  const buffers: Buffer[] = new Array(count);
  for (let i = 0; i < count; i++) {
    if (pos + 4 > frame.length) throw malformed("truncated attachment");
    const length = frame.readUInt32BE(pos);
    pos += 4;
    if (pos + length > frame.length) throw malformed("attachment length exceeds the frame");
    buffers[i] = frame.subarray(pos, pos + length);
    pos += length;
  }
  if (pos !== frame.length) throw malformed("trailing bytes after the last attachment");
  const json = frame.toString("utf8", 5, 5 + jsonLength);
  try {
    // A reviver slows parsing down several times: skip it when no placeholder can be there (JSON
    // text can only spell the key's NUL as the escape "\u0000").
    if (count === 0 && !json.includes(PLACEHOLDER_TEXT)) return JSON.parse(json);
    return JSON.parse(json, (_key, value: unknown) => {
      if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
      const index = (value as Record<string, unknown>)[BINARY_KEY];
      if (index === undefined) return value;
      if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= count) {
        throw malformed(`invalid attachment index ${JSON.stringify(index)}`);
      }
      return buffers[index];
    });
  } catch (err) {
    if (err instanceof ClusterAdapterError) throw err;
    throw malformed(`invalid JSON: ${(err as Error).message}`);
  }
}

function malformed(message: string): ClusterAdapterError {
  return new ClusterAdapterError("MALFORMED_MESSAGE", `malformed frame: ${message}`);
}

function isBinary(value: object): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function deconstruct(value: unknown, buffers: Uint8Array[], depth: number): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (depth > MAX_DEPTH) {
    throw new ClusterAdapterError("UNENCODABLE", `value nests deeper than ${MAX_DEPTH} levels (a cycle?)`);
  }
  if (isBinary(value)) {
    buffers.push(
      value instanceof Uint8Array
        ? value
        : ArrayBuffer.isView(value)
          ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
          : new Uint8Array(value),
    );
    return { [BINARY_KEY]: buffers.length - 1 };
  }
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = deconstruct(value[i], buffers, depth + 1);
    return out;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return deconstruct((value as { toJSON(): unknown }).toJSON(), buffers, depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (Object.hasOwn(value, key))
      out[key] = deconstruct((value as Record<string, unknown>)[key], buffers, depth + 1);
  }
  return out;
}
