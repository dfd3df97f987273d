// The server layer's debug loggers (DEBUG=volley:server*): created once, switched by the patterns.
import { createDebug } from "@volley/engine";
import { type Packet, PacketType } from "@volley/protocol";

/** Namespace joins and refusals, recoveries, disconnects with their reason. */
export const debug = createDebug("volley:server");
/** Every Socket.IO packet in (`<`) and out (`>`): type, namespace, ack id, size; never the payload. */
export const debugPacket = createDebug("volley:server:packet");
/** Cluster adapters: node changes, requests, errors. */
export const debugCluster = createDebug("volley:server:cluster");

const TYPE_NAMES: string[] = [];
for (const [name, value] of Object.entries(PacketType)) TYPE_NAMES[value] = name;

/** Logs one packet without its payload (call only when `debugPacket.enabled`). */
export function logPacket(sid: string, direction: "<" | ">", packet: Packet, size: number): void {
  const ack = packet.id === undefined ? "" : ` id ${packet.id}`;
  const attachments = packet.attachments ? `, ${packet.attachments} attachments` : "";
  debugPacket.log(
    "%s %s %s %s%s (%d bytes%s)",
    sid,
    direction,
    TYPE_NAMES[packet.type] ?? packet.type,
    packet.nsp,
    ack,
    size,
    attachments,
  );
}
