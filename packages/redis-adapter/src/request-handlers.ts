// How a node answers the cluster requests of the others: each one runs the base (in-memory)
// Adapter operation on this node's sockets, and answers on the requester's response channel when
// the request expects an answer.
import type { BroadcastOptions, Namespace, Packet, Room, Socket, SocketId } from "volley";
import type { ClusterPublisher } from "./cluster-publisher.js";
import { type Message, MessageType, type WireSocket } from "./messages.js";
import { fromWire } from "./wire.js";

/** This node's sockets, through the base Adapter (never the Redis overrides, which would publish again). */
export interface LocalNode {
  readonly nsp: Namespace;
  apply(opts: BroadcastOptions, fn: (socket: Socket) => void): void;
  rooms(id: SocketId): Set<Room> | undefined;
  addSockets(opts: BroadcastOptions, rooms: Room[]): void;
  delSockets(opts: BroadcastOptions, rooms: Room[]): void;
  disconnectSockets(opts: BroadcastOptions, close: boolean): void;
  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void;
}

/** Runs a request of another node on this one; other message types are ignored. */
export function answerRequest(msg: Message, local: LocalNode, publisher: ClusterPublisher): void {
  switch (msg.type) {
    case MessageType.INITIAL_HEARTBEAT:
      publisher.request(MessageType.HEARTBEAT, {});
      return;
    case MessageType.FETCH_SOCKETS: {
      const sockets: WireSocket[] = [];
      local.apply(fromWire(msg.opts), (socket) => {
        sockets.push(
          msg.idsOnly
            ? { id: socket.id, handshake: {}, rooms: [], data: null }
            : {
                id: socket.id,
                handshake: socket.handshake as unknown as Record<string, unknown>,
                rooms: [...(local.rooms(socket.id) ?? [])],
                data: socket.data,
              },
        );
      });
      publisher.respond(msg.uid, MessageType.FETCH_SOCKETS_RESPONSE, { requestId: msg.requestId, sockets });
      return;
    }
    case MessageType.SOCKETS_JOIN:
      local.addSockets(fromWire(msg.opts), msg.rooms);
      return;
    case MessageType.SOCKETS_LEAVE:
      local.delSockets(fromWire(msg.opts), msg.rooms);
      return;
    case MessageType.DISCONNECT_SOCKETS:
      local.disconnectSockets(fromWire(msg.opts), msg.close);
      return;
    case MessageType.SERVER_SIDE_EMIT: {
      const args = msg.data;
      const requestId = msg.requestId;
      if (requestId !== undefined) {
        // The listener may call its callback more than once; the requester counts one answer per node.
        let answered = false;
        args.push((response: unknown) => {
          if (answered) return;
          answered = true;
          publisher.respond(msg.uid, MessageType.SERVER_SIDE_EMIT_RESPONSE, { requestId, data: response });
        });
      }
      local.nsp._onServerSideEmit(args);
      return;
    }
    case MessageType.BROADCAST_WITH_ACK: {
      const packet: Packet = {
        type: msg.packet.type as Packet["type"],
        nsp: local.nsp.name,
        data: msg.packet.data,
      };
      const requestId = msg.requestId;
      local.broadcastWithAck(
        packet,
        fromWire(msg.opts),
        (count) => publisher.respond(msg.uid, MessageType.BROADCAST_CLIENT_COUNT, { requestId, count }),
        (...data: unknown[]) => publisher.respond(msg.uid, MessageType.BROADCAST_ACK, { requestId, data }),
      );
      return;
    }
  }
}
