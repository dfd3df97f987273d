/**
 * Engine.IO protocol 3 codec (Socket.IO v2-era clients), for the server's `allowEIO3` sessions only: not
 * exported by the parser's index, so the browser client never bundles it. Differences from protocol 4:
 * - binary packets carry their type: as the first byte of a binary frame/part, as `b<type><base64>` in text;
 * - polling payloads are length-prefixed: `<length>:<packet>` (length in UTF-16 units) for text, or, when
 *   the client takes binary (XHR2, no `b64=1`) and a packet is binary, a binary payload of parts
 *   `<0 string | 1 binary><length as one byte per decimal digit><0xFF><bytes>` (string parts as UTF-8).
 */
import { decodeBase64, encodeBase64 } from "./base64.js";
import { EngineParseError } from "./errors.js";
import { type BinaryData, decodePacket, type Packet, toUint8Array } from "./packet.js";
import { PacketType, packetTypeOf } from "./packet-type.js";

/** The `EIO` query value of protocol 3. */
export const PROTOCOL_V3 = 3;

/** The message type as the first byte of a binary frame or binary payload part. */
const MESSAGE_BYTE = Number(PacketType.message);
const PART_STRING = 0;
const PART_BINARY = 1;
const LENGTH_END = 0xff;
/** Longest length prefix accepted (digits): far above any body `maxHttpBufferSize` admits. */
const MAX_LENGTH_DIGITS = 10;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** A packet in protocol 3 text form: `<type><data>`, or `b4<base64>` for binary data. */
export function encodePacketV3(packet: Packet): string {
  const data = packet.data;
  if (data === undefined) return PacketType[packet.type];
  if (typeof data === "string") return PacketType[packet.type] + data;
  return `b${PacketType[packet.type]}${encodeBase64(toUint8Array(data))}`;
}

/**
 * Decodes a packet in protocol 3 text form (`b<type><base64>` is binary).
 * @throws EngineParseError on an empty string, an unknown type or bad base64.
 */
export function decodePacketV3(raw: string): Packet {
  if (raw.charCodeAt(0) !== 0x62 /* b */) return decodePacket(raw);
  const type = packetTypeOf(raw.charAt(1));
  if (type === undefined) throw new EngineParseError(`unknown packet type ${JSON.stringify(raw.charAt(1))}`);
  const bytes = decodeBase64(raw.slice(2));
  if (bytes === undefined) throw new EngineParseError("invalid base64 in binary packet");
  return { type, data: bytes };
}

/** A binary websocket frame: the message type byte, then the data. */
export function encodeBinaryFrameV3(data: BinaryData): Uint8Array {
  const bytes = toUint8Array(data);
  const frame = new Uint8Array(bytes.byteLength + 1);
  frame[0] = MESSAGE_BYTE;
  frame.set(bytes, 1);
  return frame;
}

/**
 * Decodes a binary websocket frame or binary payload part: its first byte is the packet type (only message
 * carries binary). The data is a view of `bytes` (a Buffer stays a Buffer).
 * @throws EngineParseError on an empty frame or another type.
 */
export function decodeBinaryFrameV3(bytes: Uint8Array): Packet {
  if (bytes.byteLength === 0) throw new EngineParseError("empty binary packet");
  if (bytes[0] !== MESSAGE_BYTE) throw new EngineParseError(`binary packet of type ${bytes[0]}`);
  return { type: "message", data: bytes.subarray(1) };
}

/** Joins encoded packets (protocol 3 text form) into a text payload: `<length>:<packet>...`. */
export function encodeTextPayloadV3(encoded: readonly string[]): string {
  let body = "";
  for (let i = 0; i < encoded.length; i++) body += `${encoded[i]!.length}:${encoded[i]}`;
  return body;
}

/**
 * Splits a text payload into packets.
 * @throws EngineParseError on an empty body, a bad length prefix, an invalid packet or over `maxPackets`.
 */
export function decodeTextPayloadV3(body: string, maxPackets: number): Packet[] {
  if (body.length === 0) throw new EngineParseError("empty payload");
  const packets: Packet[] = [];
  let i = 0;
  while (i < body.length) {
    const colon = body.indexOf(":", i);
    if (colon <= i || colon - i > MAX_LENGTH_DIGITS) throw new EngineParseError("invalid payload length");
    const digits = body.slice(i, colon);
    if (!/^\d+$/.test(digits)) throw new EngineParseError("invalid payload length");
    const length = Number(digits);
    const start = colon + 1;
    if (length === 0 || start + length > body.length) throw new EngineParseError("invalid payload length");
    if (packets.length === maxPackets) {
      throw new EngineParseError(`payload exceeds maxPackets (${maxPackets} packets)`);
    }
    packets.push(decodePacketV3(body.slice(start, start + length)));
    i = start + length;
  }
  return packets;
}

/**
 * A binary payload (XHR2 clients, when a packet is binary): string parts are encoded packets (protocol 3 text
 * form) written as UTF-8, binary parts are message data written after the type byte.
 */
export function encodeBinaryPayloadV3(parts: ReadonlyArray<string | BinaryData>): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (const part of parts) {
    const isString = typeof part === "string";
    const bytes = isString ? utf8Encoder.encode(part) : toUint8Array(part);
    const length = String(isString ? bytes.byteLength : bytes.byteLength + 1);
    const header = new Uint8Array(length.length + (isString ? 2 : 3));
    header[0] = isString ? PART_STRING : PART_BINARY;
    for (let d = 0; d < length.length; d++) header[d + 1] = length.charCodeAt(d) - 0x30;
    header[length.length + 1] = LENGTH_END;
    if (!isString) header[length.length + 2] = MESSAGE_BYTE;
    chunks.push(header, bytes);
    total += header.byteLength + bytes.byteLength;
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * Splits a binary payload into packets (binary data as views of `body`).
 * @throws EngineParseError on an empty body, a bad part header or length, invalid UTF-8, an invalid packet
 * or over `maxPackets`.
 */
export function decodeBinaryPayloadV3(body: Uint8Array, maxPackets: number): Packet[] {
  if (body.byteLength === 0) throw new EngineParseError("empty payload");
  const packets: Packet[] = [];
  let i = 0;
  while (i < body.byteLength) {
    const kind = body[i]!;
    if (kind !== PART_STRING && kind !== PART_BINARY) throw new EngineParseError("invalid payload part");
    let length = 0;
    let digits = 0;
    i++;
    while (i < body.byteLength && body[i] !== LENGTH_END) {
      const digit = body[i]!;
      if (digit > 9 || ++digits > MAX_LENGTH_DIGITS) throw new EngineParseError("invalid payload length");
      length = length * 10 + digit;
      i++;
    }
    if (digits === 0 || i === body.byteLength) throw new EngineParseError("invalid payload length");
    i++;
    if (length === 0 || i + length > body.byteLength) throw new EngineParseError("invalid payload length");
    if (packets.length === maxPackets) {
      throw new EngineParseError(`payload exceeds maxPackets (${maxPackets} packets)`);
    }
    const part = body.subarray(i, i + length);
    if (kind === PART_BINARY) packets.push(decodeBinaryFrameV3(part));
    else {
      let text: string;
      try {
        text = utf8Decoder.decode(part);
      } catch {
        throw new EngineParseError("invalid UTF-8 in payload");
      }
      packets.push(decodePacketV3(text));
    }
    i += length;
  }
  return packets;
}
