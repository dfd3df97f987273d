// Binary attachments: a BINARY_* packet carries its buffers out of band, and the JSON holds
// `{ "_placeholder": true, "num": n }` where buffer n was. Pure functions, no I/O.
import { MAX_DEPTH } from "./nesting.js";
import { ProtocolError } from "./protocol-error.js";

/** What the encoder recognises as binary: Buffer and every typed array, DataView, ArrayBuffer. */
export type BinaryLike = ArrayBuffer | ArrayBufferView;

export function isBinary(value: unknown): value is BinaryLike {
  return (
    typeof value === "object" &&
    value !== null &&
    (value instanceof ArrayBuffer || ArrayBuffer.isView(value) || isSharedArrayBuffer(value))
  );
}

function isSharedArrayBuffer(value: object): boolean {
  return typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer;
}

type JsonConvertible = { toJSON(): unknown };

function hasToJSON(value: object): value is JsonConvertible {
  return typeof (value as Partial<JsonConvertible>).toJSON === "function";
}

// Deeper is refused (a cycle, or data no Volley decoder would accept); failing cleanly beats a stack
// overflow. `depth` counts the containers above `value`, so MAX_DEPTH levels are allowed.
function tooDeepToEncode(): ProtocolError {
  return new ProtocolError("UNENCODABLE", `payload nests deeper than ${MAX_DEPTH} levels (a cycle?)`);
}

/** True when binary data appears anywhere in `value` (arrays, plain objects, `toJSON` results). */
export function hasBinary(value: unknown, depth = 0): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (depth >= MAX_DEPTH) throw tooDeepToEncode();
  return containerHasBinary(value, depth);
}

// The walk over an event's arguments runs on every emit: children that are not objects (most of a JSON
// payload: strings, numbers) are skipped by a `typeof` before any call or own-property check.
function containerHasBinary(value: object, depth: number): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      if (typeof child === "object" && child !== null && hasBinary(child, depth + 1)) return true;
    }
    return false;
  }
  if (isBinary(value)) return true;
  if (hasToJSON(value)) return hasBinary(value.toJSON(), depth + 1);
  for (const key in value) {
    const child: unknown = (value as Record<string, unknown>)[key];
    if (
      typeof child === "object" &&
      child !== null &&
      Object.hasOwn(value, key) &&
      hasBinary(child, depth + 1)
    )
      return true;
  }
  return false;
}

/** The bytes of a binary value as a Uint8Array view (no copy); Buffers pass through unchanged. */
export function toBytes(value: BinaryLike): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return new Uint8Array(value);
}

/**
 * Replaces every binary value in `data` by a placeholder, collecting the bytes in order.
 * Returns a new structure; the caller's objects are never modified.
 */
export function deconstruct(data: unknown, buffers: Uint8Array[], depth = 0): unknown {
  if (typeof data !== "object" || data === null) return data;
  if (depth >= MAX_DEPTH) throw tooDeepToEncode();
  if (isBinary(data)) {
    const placeholder = { _placeholder: true, num: buffers.length };
    buffers.push(toBytes(data));
    return placeholder;
  }
  if (Array.isArray(data)) {
    const out = new Array<unknown>(data.length);
    for (let i = 0; i < data.length; i++) out[i] = deconstruct(data[i], buffers, depth + 1);
    return out;
  }
  if (hasToJSON(data)) return deconstruct(data.toJSON(), buffers, depth + 1);
  // No prototype: an own "__proto__" key (JSON.parse makes those) stays a plain key instead of
  // hitting the inherited setter and vanishing from the encoded copy.
  const out: Record<string, unknown> = Object.create(null);
  for (const key in data) {
    if (Object.hasOwn(data, key))
      out[key] = deconstruct((data as Record<string, unknown>)[key], buffers, depth + 1);
  }
  return out;
}

function isPlaceholder(value: object): value is { _placeholder: true; num: unknown } {
  return (value as { _placeholder?: unknown })._placeholder === true;
}

type Slot = { parent: Record<string | number, unknown>; key: string | number; num: number };

/**
 * Finds the placeholders of freshly parsed JSON and checks them against the announced count:
 * every index in [0, attachments) exactly once. Iterative, so hostile nesting cannot blow the stack.
 */
export function findPlaceholders(data: unknown, attachments: number): Slot[] {
  const slots: Slot[] = [];
  const seen = new Uint8Array(attachments);
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node !== "object" || node === null) continue;
    const container = node as Record<string | number, unknown>;
    for (const key of Array.isArray(node) ? node.keys() : Object.keys(node)) {
      const child = container[key];
      if (typeof child !== "object" || child === null) continue;
      if (!isPlaceholder(child)) {
        stack.push(child);
        continue;
      }
      const num = child.num;
      if (typeof num !== "number" || !Number.isInteger(num) || num < 0 || num >= attachments || seen[num]) {
        throw new ProtocolError(
          "INVALID_ATTACHMENTS",
          `invalid attachment placeholder ${JSON.stringify(num)} (packet announces ${attachments} attachments)`,
        );
      }
      seen[num] = 1;
      slots.push({ parent: container, key, num });
    }
  }
  if (slots.length !== attachments) {
    throw new ProtocolError(
      "INVALID_ATTACHMENTS",
      `packet announces ${attachments} attachments but holds ${slots.length} placeholders`,
    );
  }
  return slots;
}
