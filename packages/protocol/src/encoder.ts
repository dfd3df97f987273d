import { deconstruct, hasBinary } from "./binary.js";
import { type Packet, PacketType } from "./packet-type.js";
import { ProtocolError } from "./protocol-error.js";

/**
 * Encodes a packet as `[header, ...attachments]`:
 * `<type>[<attachments>-][<nsp>,][<id>][JSON payload]`, then one binary chunk per attachment.
 * EVENT and ACK whose data holds binary anywhere become BINARY_EVENT / BINARY_ACK automatically.
 */
export class Encoder {
  encode(packet: Packet): Array<string | Uint8Array> {
    let type: PacketType = packet.type;
    let data = packet.data;
    let buffers: Uint8Array[] | undefined;
    if (
      type === PacketType.EVENT ||
      type === PacketType.ACK ||
      type === PacketType.BINARY_EVENT ||
      type === PacketType.BINARY_ACK
    ) {
      const isAck = type === PacketType.ACK || type === PacketType.BINARY_ACK;
      if (hasBinary(data)) {
        buffers = [];
        data = deconstruct(data, buffers);
        type = isAck ? PacketType.BINARY_ACK : PacketType.BINARY_EVENT;
      } else {
        type = isAck ? PacketType.ACK : PacketType.EVENT;
      }
    } else if (
      type !== PacketType.CONNECT &&
      type !== PacketType.DISCONNECT &&
      type !== PacketType.CONNECT_ERROR
    ) {
      throw new ProtocolError("INVALID_PACKET_TYPE", `cannot encode unknown packet type ${String(type)}`);
    }
    const header = encodeHeader(type, packet.nsp, packet.id, buffers ? buffers.length : -1) + stringify(data);
    if (!buffers) return [header];
    const out: Array<string | Uint8Array> = [header];
    for (let i = 0; i < buffers.length; i++) out.push(buffers[i]!);
    return out;
  }
}

function encodeHeader(type: PacketType, nsp: string, id: number | undefined, attachments: number): string {
  let str = String(type);
  if (attachments >= 0) str += `${attachments}-`;
  if (nsp && nsp !== "/") str += `${nsp},`;
  if (id !== undefined && id !== null) str += id;
  return str;
}

function stringify(data: unknown): string {
  if (data === undefined) return "";
  try {
    return JSON.stringify(data);
  } catch (err) {
    throw new ProtocolError("UNENCODABLE", `payload is not serialisable: ${(err as Error).message}`);
  }
}
