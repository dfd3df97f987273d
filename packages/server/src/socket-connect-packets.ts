// What a socket writes when its client's CONNECT to a namespace is answered: the CONNECT answer (its
// id, the private session id when recovery is on, the exactly-once extension), the replay of what a
// restored client missed, or the CONNECT_ERROR of a middleware's refusal.
import { type Packet, PacketType } from "@volley/protocol";
import type { SocketId } from "./adapter.js";

/**
 * The CONNECT answer. `exactlyOnce` marks the exactly-once record the client relies on as continued: an
 * extension of the answer that other clients ignore.
 */
export function connectAnswer(
  nsp: string,
  sid: SocketId,
  pid: string | undefined,
  exactlyOnce: boolean,
): Packet {
  const data: Record<string, unknown> = { sid };
  if (pid) data.pid = pid;
  if (exactlyOnce) data.exactlyOnce = true;
  return { type: PacketType.CONNECT, nsp, data };
}

/** Writes the event packets (`data` arrays) a restored client missed, in order. */
export function replayMissed(
  nsp: string,
  missed: readonly unknown[][],
  write: (packet: Packet) => void,
): void {
  for (const data of missed) write({ type: PacketType.EVENT, nsp, data });
}

/** The CONNECT_ERROR of a middleware's refusal: its message, and its `data` when it has one. */
export function connectRefusal(nsp: string, err: Error & { data?: unknown }): Packet {
  const data: Record<string, unknown> = { message: err.message };
  if (err.data !== undefined) data.data = err.data;
  return { type: PacketType.CONNECT_ERROR, nsp, data };
}
