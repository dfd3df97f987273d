import { EngineParseError } from "./errors.js";
import { decodePacket, encodePacket, type Packet } from "./packet.js";
import { RECORD_SEPARATOR } from "./packet-type.js";

/** Joins packets into one HTTP long-polling body (binary as base64), separated by the record separator. */
export function encodePayload(packets: readonly Packet[]): string {
  let body = "";
  for (let i = 0; i < packets.length; i++) {
    if (i > 0) body += RECORD_SEPARATOR;
    body += encodePacket(packets[i]!, false) as string;
  }
  return body;
}

/** Limits for decoding an untrusted polling body. */
export interface DecodePayloadOptions {
  /** Most packets accepted in one body. Default: 1000. */
  maxPackets?: number;
}

/**
 * Splits an HTTP long-polling body into packets.
 * @throws EngineParseError on an empty body, an invalid packet or more than `maxPackets` packets.
 */
export function decodePayload(body: string, options: DecodePayloadOptions = {}): Packet[] {
  const maxPackets = options.maxPackets ?? 1000;
  if (body.length === 0) throw new EngineParseError("empty payload");
  const packets: Packet[] = [];
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(RECORD_SEPARATOR, start);
    if (end === -1) end = body.length;
    if (packets.length === maxPackets) {
      throw new EngineParseError(`payload exceeds maxPackets (${maxPackets} packets)`);
    }
    packets.push(decodePacket(body.slice(start, end)));
    start = end + 1;
  }
  return packets;
}
