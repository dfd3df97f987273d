/**
 * Engine.IO protocol 4 codec: pure functions, no I/O, no Node APIs (shared by server and browser client).
 */
export {
  PacketType,
  PROTOCOL_VERSION,
  RECORD_SEPARATOR,
  packetTypeOf,
  type PacketTypeName,
} from "./packet-type.js";
export { EngineParseError } from "./errors.js";
export {
  encodePacket,
  decodePacket,
  isBinary,
  toUint8Array,
  type Packet,
  type RawData,
  type BinaryData,
} from "./packet.js";
export { encodePayload, decodePayload, type DecodePayloadOptions } from "./payload.js";
