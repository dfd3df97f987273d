// How a node answers the cluster requests of the others: each one runs the local (in-memory) half of
// the operation on this node's sockets, and answers on the requester's response channel when the
// request expects an answer.
import type { Packet } from "@volley/protocol";
import type { BroadcastOptions, Room, SocketId } from "../adapter.js";
import type { AdapterHost } from "../adapter-host.js";
import type { Socket } from "../socket.js";
import { type Message, MessageType, type WireSocket } from "./messages.js";
import { fromWire } from "./wire.js";

/** This node's sockets, through the base Adapter (never the cluster overrides, which would publish again). */
export interface LocalNode {
  readonly host: AdapterHost;
  apply(opts: BroadcastOptions, fn: (socket: Socket) => void): void;
  rooms(id: SocketId): ReadonlySet<Room> | undefined;
  addSockets(opts: BroadcastOptions, rooms: Room[]): void;
  delSockets(opts: BroadcastOptions, rooms: Room[]): void;
  disconnectSockets(opts: BroadcastOptions, close: boolean): void;
  /** Delivers with acknowledgements; returns how many sockets were reached. */
  deliverWithAck(packet: Packet, opts: BroadcastOptions, ack: (...args: unknown[]) => void): number;
}

/** How a node answers: to one node, or to all (a heartbeat). */
export interface Responder {
  respond(to: string, type: Message["type"], body: object): void;
  heartbeat(): void;
}

/** Runs a request of another node on this one; other message types are ignored. */
export function answerRequest(msg: Message, local: LocalNode, out: Responder): void {
  switch (msg.type) {
    case MessageType.INITIAL_HEARTBEAT:
      out.heartbeat();
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
      out.respond(msg.uid, MessageType.FETCH_SOCKETS_RESPONSE, { requestId: msg.requestId, sockets });
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
          out.respond(msg.uid, MessageType.SERVER_SIDE_EMIT_RESPONSE, { requestId, data: response });
        });
      }
      local.host.serverSideEvent(args);
      return;
    }
    case MessageType.BROADCAST_WITH_ACK: {
      const packet: Packet = {
        type: msg.packet.type as Packet["type"],
        nsp: local.host.name,
        data: msg.packet.data,
      };
      const requestId = msg.requestId;
      const count = local.deliverWithAck(packet, fromWire(msg.opts), (...data: unknown[]) =>
        out.respond(msg.uid, MessageType.BROADCAST_ACK, { requestId, data }),
      );
      out.respond(msg.uid, MessageType.BROADCAST_CLIENT_COUNT, { requestId, count });
      return;
    }
  }
}
