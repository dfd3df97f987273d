// A minimal MessagePack codec (https://github.com/msgpack/msgpack/blob/master/spec.md), enough for
// the messages of the official Socket.IO Redis adapter: nil, booleans, integers, floats, strings,
// binary, arrays and maps with string keys. Values follow JSON's rules where MessagePack has no
// opinion (undefined and functions are left out of maps and become nil in arrays, `toJSON()` is
// honoured, so a Date travels as its ISO string), except that binary stays binary. The decoder also
// reads the two extensions that notepack.io writes: the timestamp (type -1, a Date) and undefined
// (fixext 1 of type 0). Pure functions, no I/O; anything malformed throws a ClusterAdapterError.
import { ClusterAdapterError } from "volley";

// Deeper than this is almost certainly a cycle (encoding) or hostile input (decoding).
const MAX_DEPTH = 512;
const textDecoder = new TextDecoder("utf-8", { fatal: true });
/** Strings shorter than this are tried as ASCII first, byte by byte. */
const SHORT = 64;

/**
 * Serialises `value` as MessagePack.
 * @throws ClusterAdapterError `UNENCODABLE` for a BigInt or nesting deeper than 512 levels.
 */
export function encodeMsgpack(value: unknown): Buffer {
  const writer = new Writer();
  writer.value(value, 0);
  return writer.result();
}

/**
 * Reads one MessagePack value that fills `bytes` exactly. Binary values come back as Buffers
 * viewing `bytes` (no copy).
 * @throws ClusterAdapterError `MALFORMED_MESSAGE` on anything that is not one well-formed value.
 */
export function decodeMsgpack(bytes: Buffer): unknown {
  const reader = new Reader(bytes);
  const value = reader.value(0);
  if (reader.pos !== bytes.length) throw malformed(`${bytes.length - reader.pos} trailing bytes`);
  return value;
}

function malformed(what: string): ClusterAdapterError {
  return new ClusterAdapterError("MALFORMED_MESSAGE", `malformed msgpack: ${what}`);
}

function unencodable(what: string): ClusterAdapterError {
  return new ClusterAdapterError("UNENCODABLE", `value cannot be serialised as msgpack: ${what}`);
}

/** Whether a value is left out of a map (as JSON leaves it out of an object). */
function isSkipped(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

class Writer {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;

  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** A type byte followed by an unsigned big-endian integer of `size` bytes (1, 2 or 4). */
  private head(type: number, size: 1 | 2 | 4, n: number): void {
    this.ensure(1 + size);
    this.buf[this.pos++] = type;
    if (size === 1) this.buf[this.pos] = n;
    else if (size === 2) this.buf.writeUInt16BE(n, this.pos);
    else this.buf.writeUInt32BE(n, this.pos);
    this.pos += size;
  }

  value(value: unknown, depth: number): void {
    switch (typeof value) {
      case "string":
        this.string(value);
        return;
      case "number":
        this.number(value);
        return;
      case "boolean":
        this.byte(value ? 0xc3 : 0xc2);
        return;
      case "bigint":
        throw unencodable("a BigInt");
      case "object":
        if (value === null) break;
        this.object(value, depth);
        return;
    }
    // null, undefined, functions and symbols (as JSON writes them in an array).
    this.byte(0xc0);
  }

  private object(value: object, depth: number): void {
    if (depth >= MAX_DEPTH) throw unencodable(`nests deeper than ${MAX_DEPTH} levels (a cycle?)`);
    if (value instanceof ArrayBuffer) {
      this.binary(new Uint8Array(value));
      return;
    }
    if (ArrayBuffer.isView(value)) {
      this.binary(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
      return;
    }
    if (Array.isArray(value)) {
      this.container(0x90, 0xdc, value.length);
      for (const item of value) this.value(item, depth + 1);
      return;
    }
    if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
      this.value((value as { toJSON(): unknown }).toJSON(), depth + 1);
      return;
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    let count = 0;
    for (const key of keys) if (!isSkipped(record[key])) count++;
    this.container(0x80, 0xde, count);
    for (const key of keys) {
      const item = record[key];
      if (isSkipped(item)) continue;
      this.string(key);
      this.value(item, depth + 1);
    }
  }

  /** An array (fix 0x90, then 16/32) or map (fix 0x80, then 16/32) header. */
  private container(fix: number, sized: number, n: number): void {
    if (n < 16) this.byte(fix | n);
    else if (n < 0x10000) this.head(sized, 2, n);
    else this.head(sized + 1, 4, n);
  }

  private string(s: string): void {
    if (s.length < SHORT && this.ascii(s)) return;
    const length = Buffer.byteLength(s);
    if (length < 32) this.byte(0xa0 | length);
    else if (length < 0x100) this.head(0xd9, 1, length);
    else if (length < 0x10000) this.head(0xda, 2, length);
    else this.head(0xdb, 4, length);
    this.ensure(length);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  /** Writes a short string byte by byte when it is ASCII (a native call costs more); else false. */
  private ascii(s: string): boolean {
    const n = s.length;
    this.ensure(2 + n);
    const buf = this.buf;
    let pos = this.pos + (n < 32 ? 1 : 2);
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[pos++] = c;
    }
    if (n < 32) buf[this.pos] = 0xa0 | n;
    else {
      buf[this.pos] = 0xd9;
      buf[this.pos + 1] = n;
    }
    this.pos = pos;
    return true;
  }

  private binary(bytes: Uint8Array): void {
    const length = bytes.byteLength;
    if (length < 0x100) this.head(0xc4, 1, length);
    else if (length < 0x10000) this.head(0xc5, 2, length);
    else this.head(0xc6, 4, length);
    this.ensure(length);
    this.buf.set(bytes, this.pos);
    this.pos += length;
  }

  private number(n: number): void {
    // -0 is not an integer for MessagePack's purposes: it keeps its sign as a float.
    if (!Number.isSafeInteger(n) || Object.is(n, -0)) {
      this.ensure(9);
      this.buf[this.pos++] = 0xcb;
      this.buf.writeDoubleBE(n, this.pos);
      this.pos += 8;
      return;
    }
    if (n >= 0) {
      if (n < 0x80) this.byte(n);
      else if (n < 0x100) this.head(0xcc, 1, n);
      else if (n < 0x10000) this.head(0xcd, 2, n);
      else if (n < 0x100000000) this.head(0xce, 4, n);
      else {
        this.ensure(9);
        this.buf[this.pos++] = 0xcf;
        this.buf.writeBigUInt64BE(BigInt(n), this.pos);
        this.pos += 8;
      }
      return;
    }
    if (n >= -32) {
      this.byte(n & 0xff);
    } else if (n >= -0x80) {
      this.ensure(2);
      this.buf[this.pos++] = 0xd0;
      this.buf.writeInt8(n, this.pos++);
    } else if (n >= -0x8000) {
      this.ensure(3);
      this.buf[this.pos++] = 0xd1;
      this.buf.writeInt16BE(n, this.pos);
      this.pos += 2;
    } else if (n >= -0x80000000) {
      this.ensure(5);
      this.buf[this.pos++] = 0xd2;
      this.buf.writeInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      this.ensure(9);
      this.buf[this.pos++] = 0xd3;
      this.buf.writeBigInt64BE(BigInt(n), this.pos);
      this.pos += 8;
    }
  }
}

class Reader {
  pos = 0;
  private readonly bytes: Buffer;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  /** Moves past `n` bytes and returns where they start; throws when fewer remain. */
  private take(n: number): number {
    const at = this.pos;
    if (n > this.bytes.length - at) throw malformed(`truncated at byte ${at} (${n} more needed)`);
    this.pos = at + n;
    return at;
  }

  private uint(size: 1 | 2 | 4): number {
    const at = this.take(size);
    if (size === 1) return this.bytes[at]!;
    return size === 2 ? this.bytes.readUInt16BE(at) : this.bytes.readUInt32BE(at);
  }

  value(depth: number): unknown {
    const type = this.bytes[this.take(1)]!;
    if (type < 0x80) return type;
    if (type >= 0xe0) return type - 0x100;
    if (type >= 0xa0 && type <= 0xbf) return this.string(type & 0x1f);
    if (type >= 0x90 && type <= 0x9f) return this.array(type & 0x0f, depth);
    if (type <= 0x8f) return this.map(type & 0x0f, depth);
    const b = this.bytes;
    switch (type) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
      case 0xc5:
      case 0xc6:
        return this.binary(this.uint(sizeOf(type - 0xc4)));
      case 0xc7:
      case 0xc8:
      case 0xc9:
        return this.ext(this.uint(sizeOf(type - 0xc7)));
      case 0xca:
        return b.readFloatBE(this.take(4));
      case 0xcb:
        return b.readDoubleBE(this.take(8));
      case 0xcc:
      case 0xcd:
      case 0xce:
        return this.uint(sizeOf(type - 0xcc));
      case 0xcf:
        return Number(b.readBigUInt64BE(this.take(8)));
      case 0xd0:
        return b.readInt8(this.take(1));
      case 0xd1:
        return b.readInt16BE(this.take(2));
      case 0xd2:
        return b.readInt32BE(this.take(4));
      case 0xd3:
        return Number(b.readBigInt64BE(this.take(8)));
      case 0xd4:
      case 0xd5:
      case 0xd6:
      case 0xd7:
      case 0xd8:
        return this.ext(1 << (type - 0xd4));
      case 0xd9:
      case 0xda:
      case 0xdb:
        return this.string(this.uint(sizeOf(type - 0xd9)));
      case 0xdc:
      case 0xdd:
        return this.array(this.uint(type === 0xdc ? 2 : 4), depth);
      case 0xde:
      case 0xdf:
        return this.map(this.uint(type === 0xde ? 2 : 4), depth);
      default:
        // 0xc1 is never used.
        throw malformed(`invalid type byte 0x${type.toString(16)} at byte ${this.pos - 1}`);
    }
  }

  private string(length: number): string {
    const at = this.take(length);
    const b = this.bytes;
    if (length < SHORT) {
      // ASCII by hand: cheaper than a decoder call for the short strings messages are made of.
      const end = at + length;
      let out = "";
      let i = at;
      for (; i < end && b[i]! < 0x80; i++) out += String.fromCharCode(b[i]!);
      if (i === end) return out;
    }
    try {
      return textDecoder.decode(this.bytes.subarray(at, at + length));
    } catch {
      throw malformed(`invalid UTF-8 in the string at byte ${at}`);
    }
  }

  private binary(length: number): Buffer {
    const at = this.take(length);
    return this.bytes.subarray(at, at + length);
  }

  private array(count: number, depth: number): unknown[] {
    if (depth >= MAX_DEPTH) throw malformed(`nests deeper than ${MAX_DEPTH} levels`);
    // Each element takes at least one byte: bounds the allocation by the input.
    if (count > this.bytes.length - this.pos) throw malformed(`array of ${count} exceeds the input`);
    const out = new Array<unknown>(count);
    for (let i = 0; i < count; i++) out[i] = this.value(depth + 1);
    return out;
  }

  private map(count: number, depth: number): Record<string, unknown> {
    if (depth >= MAX_DEPTH) throw malformed(`nests deeper than ${MAX_DEPTH} levels`);
    if (count > (this.bytes.length - this.pos) / 2) throw malformed(`map of ${count} exceeds the input`);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < count; i++) {
      const key = this.value(depth + 1);
      if (typeof key !== "string" && typeof key !== "number") throw malformed("map key is not a string");
      const value = this.value(depth + 1);
      const name = String(key);
      // Own property even for "__proto__": input never reaches the prototype chain.
      if (name === "__proto__") {
        Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
      } else {
        out[name] = value;
      }
    }
    return out;
  }

  /** The extensions notepack.io writes: timestamp (-1) and undefined (type 0, one zero byte). */
  private ext(length: number): unknown {
    const type = this.bytes.readInt8(this.take(1));
    const at = this.take(length);
    const b = this.bytes;
    if (type === 0 && length === 1 && b[at] === 0) return undefined;
    if (type === -1) {
      if (length === 4) return new Date(b.readUInt32BE(at) * 1000);
      if (length === 8) {
        // 30 bits of nanoseconds, then 34 bits of seconds.
        const high = b.readUInt32BE(at);
        const seconds = (high & 0x3) * 0x100000000 + b.readUInt32BE(at + 4);
        return new Date(seconds * 1000 + Math.floor((high >>> 2) / 1e6));
      }
      if (length === 12) {
        const nanoseconds = b.readUInt32BE(at);
        const seconds = Number(b.readBigInt64BE(at + 4));
        return new Date(seconds * 1000 + Math.floor(nanoseconds / 1e6));
      }
    }
    throw malformed(`unsupported extension type ${type} of ${length} bytes`);
  }
}

/** 0, 1, 2 → 1, 2, 4 bytes (the order of the 8/16/32-bit variants of a type). */
function sizeOf(index: number): 1 | 2 | 4 {
  return index === 0 ? 1 : index === 1 ? 2 : 4;
}
