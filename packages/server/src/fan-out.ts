// The one loop that hands a broadcast to this server's sockets, used by every adapter (in memory,
// cluster, and the requests of other nodes): matching by rooms and exceptions, the packet encoded
// once, acknowledgements registered per socket. Plain loops, no closure per message or socket.
import type { BroadcastOptions, Room, SocketId } from "./adapter.js";
import type { PreparedPacket } from "./engine-contract.js";
import type { Socket } from "./socket.js";

/** Room membership as the fan-out reads it (an adapter's `RoomMembership`). */
export interface Membership {
  /** The members of a room (undefined when empty). */
  membersOf(room: Room): Iterable<SocketId> | undefined;
  /** Whether a socket is in a room. */
  isIn(id: SocketId, room: Room): boolean;
}

/** A packet prepared once, and how to send it. */
export interface Delivery {
  /** The engine's prepared packets (`AdapterHost.prepare`). */
  readonly packets: PreparedPacket[];
  /** The packet's data, for the sockets' catch-all outgoing listeners. */
  readonly data: unknown[];
  readonly volatile: boolean;
  readonly compress: boolean | undefined;
  /** With an acknowledgement: the packet's id, and the callback each socket's response goes to. */
  readonly ackId?: number;
  readonly ack?: (...args: unknown[]) => void;
}

/** Sends `delivery` to every connected socket matching `opts`; returns how many were reached. */
export function fanOut(
  sockets: ReadonlyMap<SocketId, Socket>,
  membership: Membership,
  opts: BroadcastOptions,
  delivery: Delivery,
): number {
  const except = opts.except && opts.except.size > 0 ? opts.except : undefined;
  let count = 0;
  if (opts.rooms.size === 0) {
    for (const socket of sockets.values()) {
      if (except && inAny(membership, socket.id, except)) continue;
      sendTo(socket, delivery);
      count++;
    }
    return count;
  }
  // One room needs no de-duplication; several share a `seen` set.
  const seen = opts.rooms.size > 1 ? new Set<SocketId>() : undefined;
  for (const room of opts.rooms) {
    const members = membership.membersOf(room);
    if (!members) continue;
    for (const id of members) {
      if (seen) {
        if (seen.has(id)) continue;
        seen.add(id);
      }
      if (except && inAny(membership, id, except)) continue;
      const socket = sockets.get(id);
      if (!socket) continue;
      sendTo(socket, delivery);
      count++;
    }
  }
  return count;
}

/** Whether socket `id` is in any of `rooms`. */
export function inAny(membership: Membership, id: SocketId, rooms: ReadonlySet<Room>): boolean {
  for (const room of rooms) if (membership.isIn(id, room)) return true;
  return false;
}

function sendTo(socket: Socket, delivery: Delivery): void {
  if (delivery.ack !== undefined) socket._registerAck(delivery.ackId!, delivery.ack);
  if (socket._anyOutgoing) socket._notifyOutgoing(delivery.data);
  socket.client._sendPrepared(delivery.packets, delivery.volatile, delivery.compress);
}
