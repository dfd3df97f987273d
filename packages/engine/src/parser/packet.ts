import { decodeBase64, encodeBase64 } from "./base64.js";
import { EngineParseError } from "./errors.js";
import { PacketType, type PacketTypeName, packetTypeOf } from "./packet-type.js";

/** Binary packet data: a Buffer in Node (a Uint8Array subclass), an ArrayBuffer or a view in browsers. */
export type BinaryData = Uint8Array | ArrayBuffer | ArrayBufferView;

/** One Engine.IO packet. `data` is text for every type; only `message` may carry binary. */
export interface Packet {
  type: PacketTypeName;
  data?: string | BinaryData;
}

/** What a transport carries: a text frame / string, or binary bytes. */
export type RawData = string | BinaryData;

export function isBinary(data: unknown): data is BinaryData {
  return data instanceof Uint8Array || data instanceof ArrayBuffer || ArrayBuffer.isView(data);
}

export function toUint8Array(data: BinaryData): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Encodes one packet for a transport.
 * With `supportsBinary` (WebSocket), binary data goes out as raw bytes, no type prefix: the protocol defines a
 * binary frame as a message packet. Without it (polling), binary becomes `b` + base64.
 */
export function encodePacket(packet: Packet, supportsBinary: boolean): RawData {
  const data = packet.data;
  if (data !== undefined && typeof data !== "string") {
    return supportsBinary ? data : `b${encodeBase64(toUint8Array(data))}`;
  }
  return data === undefined ? PacketType[packet.type] : PacketType[packet.type] + data;
}

/**
 * Decodes one packet received from a transport. Binary input is a message packet as it stands.
 * @throws EngineParseError on an empty string, an unknown type or bad base64.
 */
export function decodePacket(raw: RawData): Packet {
  if (typeof raw !== "string") return { type: "message", data: raw };
  if (raw.length === 0) throw new EngineParseError("empty packet");
  const prefix = raw[0]!;
  if (prefix === "b") {
    const bytes = decodeBase64(raw.slice(1));
    if (bytes === undefined) throw new EngineParseError("invalid base64 in binary packet");
    return { type: "message", data: bytes };
  }
  const type = packetTypeOf(prefix);
  if (type === undefined) throw new EngineParseError(`unknown packet type ${JSON.stringify(prefix)}`);
  return raw.length > 1 ? { type, data: raw.slice(1) } : { type };
}
