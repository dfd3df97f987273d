// Between Volley's cluster messages and the official Socket.IO Redis adapter's: what a Volley node
// sends becomes the official message on the official channel, and what an official node sends
// becomes the Volley message the cluster base class already knows how to act on. Volley's own node
// bookkeeping (heartbeats, the farewell) has no counterpart there and is not sent.
import { type ClusterMessage, ClusterMessageType, validateMessage, type WireOptions } from "volley";
import { encodeMsgpack } from "./msgpack.js";
import type { SocketIoChannels } from "./socketio-channels.js";
import {
  encodeJsonOrMsgpack,
  type SioBroadcast,
  type SioOptions,
  type SioPacket,
  type SioRequest,
  SioType,
} from "./socketio-wire.js";

/** A message ready for Redis: the channel and the payload. */
export interface Outgoing {
  channel: string;
  payload: Buffer;
}

/**
 * The official form of a Volley message from node `uid`, or undefined when it has none (heartbeats,
 * the farewell). Responses go to the shared response channel, which every official node hears.
 * @throws ClusterAdapterError `UNENCODABLE` when a value cannot be serialised.
 */
export function toSocketIo(
  msg: ClusterMessage,
  channels: SocketIoChannels,
  nsp: string,
): Outgoing | undefined {
  const uid = msg.uid;
  const request = (body: object): Outgoing => ({
    channel: channels.request,
    payload: encodeJsonOrMsgpack(body),
  });
  const response = (body: object): Outgoing => ({
    channel: channels.response,
    payload: encodeJsonOrMsgpack(body),
  });
  switch (msg.type) {
    case ClusterMessageType.BROADCAST: {
      const rooms = msg.opts.rooms;
      return {
        channel: rooms.length === 1 ? channels.room(rooms[0]!) : channels.all,
        payload: encodeMsgpack([uid, sioPacket(msg.packet, nsp), sioOptions(msg.opts)]),
      };
    }
    case ClusterMessageType.BROADCAST_WITH_ACK:
      return {
        channel: channels.request,
        payload: encodeMsgpack({
          uid,
          requestId: msg.requestId,
          type: SioType.BROADCAST,
          packet: sioPacket(msg.packet, nsp),
          opts: sioOptions(msg.opts),
        }),
      };
    case ClusterMessageType.FETCH_SOCKETS:
      return request({
        uid,
        requestId: msg.requestId,
        type: SioType.REMOTE_FETCH,
        opts: { rooms: msg.opts.rooms, except: msg.opts.except },
      });
    case ClusterMessageType.SOCKETS_JOIN:
    case ClusterMessageType.SOCKETS_LEAVE:
      return request({
        uid,
        type: msg.type === ClusterMessageType.SOCKETS_JOIN ? SioType.REMOTE_JOIN : SioType.REMOTE_LEAVE,
        opts: { rooms: msg.opts.rooms, except: msg.opts.except },
        rooms: msg.rooms,
      });
    case ClusterMessageType.DISCONNECT_SOCKETS:
      return request({
        uid,
        type: SioType.REMOTE_DISCONNECT,
        opts: { rooms: msg.opts.rooms, except: msg.opts.except },
        close: msg.close,
      });
    case ClusterMessageType.SERVER_SIDE_EMIT:
      return request(
        msg.requestId === undefined
          ? { uid, type: SioType.SERVER_SIDE_EMIT, data: msg.data }
          : { uid, requestId: msg.requestId, type: SioType.SERVER_SIDE_EMIT, data: msg.data },
      );
    case ClusterMessageType.FETCH_SOCKETS_RESPONSE:
      return response({ requestId: msg.requestId, sockets: msg.sockets });
    case ClusterMessageType.SERVER_SIDE_EMIT_RESPONSE:
      return response({ type: SioType.SERVER_SIDE_EMIT, requestId: msg.requestId, data: msg.data });
    case ClusterMessageType.BROADCAST_CLIENT_COUNT:
      return response({
        type: SioType.BROADCAST_CLIENT_COUNT,
        requestId: msg.requestId,
        clientCount: msg.count,
      });
    case ClusterMessageType.BROADCAST_ACK:
      // A client acknowledges a broadcast with one value; the official response carries just that.
      return {
        channel: channels.response,
        payload: encodeMsgpack({
          type: SioType.BROADCAST_ACK,
          requestId: msg.requestId,
          packet: msg.data[0],
        }),
      };
    case ClusterMessageType.HEARTBEAT:
    case ClusterMessageType.INITIAL_HEARTBEAT:
    case ClusterMessageType.ADAPTER_CLOSE:
      return undefined;
  }
}

/**
 * The Volley message for an official broadcast (checked like any other message).
 * @throws ClusterAdapterError `MALFORMED_MESSAGE`.
 */
export function broadcastFromSocketIo(b: SioBroadcast): ClusterMessage {
  return validateMessage({
    type: ClusterMessageType.BROADCAST,
    uid: b.uid,
    nsp: b.packet.nsp,
    packet: volleyPacket(b.packet),
    opts: volleyOptions(b.opts),
  });
}

/**
 * The Volley message for an official request, for namespace `nsp` (requests do not name it: their
 * channel does). Undefined for SOCKETS and ALL_ROOMS, which have no Volley counterpart (the adapter
 * answers them itself).
 * @throws ClusterAdapterError `MALFORMED_MESSAGE`.
 */
export function requestFromSocketIo(r: SioRequest, nsp: string): ClusterMessage | undefined {
  const base = { uid: r.uid, nsp };
  switch (r.type) {
    case SioType.SOCKETS:
    case SioType.ALL_ROOMS:
      return undefined;
    case SioType.REMOTE_JOIN:
    case SioType.REMOTE_LEAVE:
      return validateMessage({
        ...base,
        type:
          r.type === SioType.REMOTE_JOIN ? ClusterMessageType.SOCKETS_JOIN : ClusterMessageType.SOCKETS_LEAVE,
        opts: volleyOptions(r.opts),
        rooms: r.rooms,
      });
    case SioType.REMOTE_DISCONNECT:
      return validateMessage({
        ...base,
        type: ClusterMessageType.DISCONNECT_SOCKETS,
        opts: volleyOptions(r.opts),
        close: r.close,
      });
    case SioType.REMOTE_FETCH:
      return validateMessage({
        ...base,
        type: ClusterMessageType.FETCH_SOCKETS,
        requestId: r.requestId,
        opts: volleyOptions(r.opts),
        idsOnly: false,
      });
    case SioType.SERVER_SIDE_EMIT:
      return validateMessage(
        r.requestId === undefined
          ? { ...base, type: ClusterMessageType.SERVER_SIDE_EMIT, data: r.data }
          : { ...base, type: ClusterMessageType.SERVER_SIDE_EMIT, requestId: r.requestId, data: r.data },
      );
    case SioType.BROADCAST:
      return validateMessage({
        ...base,
        type: ClusterMessageType.BROADCAST_WITH_ACK,
        requestId: r.requestId,
        packet: volleyPacket(r.packet),
        opts: volleyOptions(r.opts),
      });
  }
}

/** The official packet: its namespace inside, no ack id (each receiving node assigns its own). */
export function sioPacket(packet: { type: number; data?: unknown }, nsp: string): SioPacket {
  return { type: packet.type, data: packet.data, nsp };
}

export function sioOptions(opts: WireOptions): SioOptions {
  return { rooms: opts.rooms, except: opts.except, flags: opts.flags };
}

function volleyPacket(p: SioPacket): { type: number; data: unknown } {
  return { type: p.type, data: p.data };
}

function volleyOptions(o: SioOptions): WireOptions {
  return { rooms: o.rooms, except: o.except, flags: o.flags ?? {} };
}
