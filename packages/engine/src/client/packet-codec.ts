// The Engine.IO 4 packet codec of the client: the wire format of ../parser (the lead's codec, which the
// server uses; tested equivalent in test/client-packet-codec.test.ts), written for size. The client
// trusts the size of what its server sends, so decoding has no packet-count limit of its own.
// https://github.com/socketio/engine.io-protocol#packet-encoding
import type { BinaryData, Packet, PacketTypeName } from "../parser/index.js";
import { decodeBase64, encodeBase64 } from "./binary.js";
import { EngineClientError } from "./errors.js";

// The packet types by wire prefix: a type's index is its digit (../parser/packet-type.ts, the reference,
// keeps them by name; importing it would bring its lookup table along).
const TYPES: PacketTypeName[] = ["open", "close", "ping", "pong", "message", "upgrade", "noop"];
/** Separates packets in an HTTP long-polling body (ASCII record separator). */
const RECORD_SEPARATOR = "\x1e";
/** Engine.IO protocol revision (the `EIO` query parameter). */
export const PROTOCOL_VERSION = 4;

/** One packet for a transport: binary as is when the transport carries binary, else `b` + base64. */
export const encodePacket = ({ type, data }: Packet, binary: boolean): string | BinaryData =>
  data === undefined || typeof data === "string"
    ? TYPES.indexOf(type) + (data ?? "")
    : binary
      ? data
      : `b${encodeBase64(data)}`;

/** One packet from a transport: binary is a message as it stands. Throws PARSE_ERROR on anything else. */
export function decodePacket(raw: string | BinaryData): Packet {
  if (typeof raw !== "string") return { type: "message", data: raw };
  const type = TYPES[raw[0] as unknown as number];
  const data = raw.slice(1);
  if (raw[0] === "b" && /^(?:[A-Za-z\d+/]{4})*(?:[A-Za-z\d+/]{2}==|[A-Za-z\d+/]{3}=)?$/.test(data))
    return { type: "message", data: decodeBase64(data) };
  if (!type) throw new EngineClientError("PARSE_ERROR", raw);
  return data ? { type, data } : { type };
}

/** An HTTP long-polling body: packets joined by the record separator. */
export const encodePayload = (packets: Packet[]): string =>
  packets.map((packet) => encodePacket(packet, false)).join(RECORD_SEPARATOR);

/** Splits an HTTP long-polling body into packets. Throws PARSE_ERROR on an invalid packet. */
export const decodePayload = (body: string): Packet[] => body.split(RECORD_SEPARATOR).map(decodePacket);
