// The messages nodes exchange through the cluster's transport, and the checks a decoded message
// must pass before anything acts on it (another node may run another version, or something else
// may publish). Rooms are strings or numbers, as the server accepts them.
import { ClusterAdapterError } from "./errors.js";

/** A room name as it travels: a string or a finite number (`io.to(42)`). */
export type WireRoom = string | number;

/** Message types; the wire carries the number. */
export const MessageType = {
  /** A packet for the sockets of the named rooms. */
  BROADCAST: 1,
  /** "I am alive" (every `heartbeatInterval`). */
  HEARTBEAT: 2,
  /** A node started: every other node answers with a HEARTBEAT so it learns the cluster at once. */
  INITIAL_HEARTBEAT: 3,
  /** A node closed its adapter: stop waiting for it. */
  ADAPTER_CLOSE: 4,
  FETCH_SOCKETS: 5,
  FETCH_SOCKETS_RESPONSE: 6,
  SOCKETS_JOIN: 7,
  SOCKETS_LEAVE: 8,
  DISCONNECT_SOCKETS: 9,
  SERVER_SIDE_EMIT: 10,
  SERVER_SIDE_EMIT_RESPONSE: 11,
  BROADCAST_WITH_ACK: 12,
  BROADCAST_CLIENT_COUNT: 13,
  BROADCAST_ACK: 14,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** A broadcast target as it travels: Sets become arrays. */
export interface WireOptions {
  rooms: WireRoom[];
  except: WireRoom[];
  flags: { volatile?: boolean; compress?: boolean; timeout?: number };
}

/** A Socket.IO packet without its namespace (the message names it). */
export interface WirePacket {
  type: number;
  data?: unknown;
  id?: number;
}

/** A socket as `fetchSockets` returns it from another node. */
export interface WireSocket {
  id: string;
  handshake: Record<string, unknown>;
  rooms: WireRoom[];
  data: unknown;
}

interface Base {
  /** Uid of the sending adapter (one per namespace per server). */
  uid: string;
  /** Namespace; checked by the receiver, so a channel-name collision can never cross namespaces. */
  nsp: string;
}

export type Message = Base &
  (
    | { type: typeof MessageType.BROADCAST; packet: WirePacket; opts: WireOptions }
    | {
        type:
          | typeof MessageType.HEARTBEAT
          | typeof MessageType.INITIAL_HEARTBEAT
          | typeof MessageType.ADAPTER_CLOSE;
      }
    | { type: typeof MessageType.FETCH_SOCKETS; requestId: string; opts: WireOptions; idsOnly: boolean }
    | { type: typeof MessageType.FETCH_SOCKETS_RESPONSE; requestId: string; sockets: WireSocket[] }
    | {
        type: typeof MessageType.SOCKETS_JOIN | typeof MessageType.SOCKETS_LEAVE;
        opts: WireOptions;
        rooms: WireRoom[];
      }
    | { type: typeof MessageType.DISCONNECT_SOCKETS; opts: WireOptions; close: boolean }
    | { type: typeof MessageType.SERVER_SIDE_EMIT; requestId?: string; data: unknown[] }
    | { type: typeof MessageType.SERVER_SIDE_EMIT_RESPONSE; requestId: string; data: unknown }
    | {
        type: typeof MessageType.BROADCAST_WITH_ACK;
        requestId: string;
        packet: WirePacket;
        opts: WireOptions;
      }
    | { type: typeof MessageType.BROADCAST_CLIENT_COUNT; requestId: string; count: number }
    | { type: typeof MessageType.BROADCAST_ACK; requestId: string; data: unknown[] }
  );

/**
 * Checks the shape of a decoded message; returns it typed.
 * @throws ClusterAdapterError `MALFORMED_MESSAGE` naming what is wrong.
 */
export function validateMessage(value: unknown): Message {
  if (!isObject(value)) throw bad("not an object");
  const m = value as Record<string, unknown>;
  if (typeof m.uid !== "string") throw bad("uid is not a string");
  if (typeof m.nsp !== "string") throw bad("nsp is not a string");
  switch (m.type) {
    case MessageType.BROADCAST:
    case MessageType.BROADCAST_WITH_ACK:
      checkPacket(m.packet);
      checkOpts(m.opts);
      if (m.type === MessageType.BROADCAST_WITH_ACK) checkRequestId(m);
      break;
    case MessageType.HEARTBEAT:
    case MessageType.INITIAL_HEARTBEAT:
    case MessageType.ADAPTER_CLOSE:
      break;
    case MessageType.FETCH_SOCKETS:
      checkRequestId(m);
      checkOpts(m.opts);
      if (typeof m.idsOnly !== "boolean") throw bad("idsOnly is not a boolean");
      break;
    case MessageType.FETCH_SOCKETS_RESPONSE:
      checkRequestId(m);
      if (!Array.isArray(m.sockets)) throw bad("sockets is not an array");
      for (const s of m.sockets) {
        if (!isObject(s) || typeof s.id !== "string" || !isObject(s.handshake) || !isRoomArray(s.rooms)) {
          throw bad("invalid socket in FETCH_SOCKETS_RESPONSE");
        }
      }
      break;
    case MessageType.SOCKETS_JOIN:
    case MessageType.SOCKETS_LEAVE:
      checkOpts(m.opts);
      if (!isRoomArray(m.rooms)) throw bad("rooms is not an array of room names");
      break;
    case MessageType.DISCONNECT_SOCKETS:
      checkOpts(m.opts);
      if (typeof m.close !== "boolean") throw bad("close is not a boolean");
      break;
    case MessageType.SERVER_SIDE_EMIT:
      if (m.requestId !== undefined) checkRequestId(m);
      if (!Array.isArray(m.data) || typeof m.data[0] !== "string") throw bad("data is not [event, ...args]");
      break;
    case MessageType.SERVER_SIDE_EMIT_RESPONSE:
      checkRequestId(m);
      break;
    case MessageType.BROADCAST_CLIENT_COUNT:
      checkRequestId(m);
      if (!Number.isSafeInteger(m.count) || (m.count as number) < 0) throw bad("count is not a count");
      break;
    case MessageType.BROADCAST_ACK:
      checkRequestId(m);
      if (!Array.isArray(m.data)) throw bad("data is not an array");
      break;
    default:
      throw bad(`unknown message type ${JSON.stringify(m.type)}`);
  }
  return value as unknown as Message;
}

function bad(what: string): ClusterAdapterError {
  return new ClusterAdapterError("MALFORMED_MESSAGE", `malformed message: ${what}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Strings or finite numbers: the room names `to()`, `join()` and `socketsJoin()` accept. */
export function isRoomArray(value: unknown): value is WireRoom[] {
  if (!Array.isArray(value)) return false;
  for (const v of value) {
    if (typeof v !== "string" && !(typeof v === "number" && Number.isFinite(v))) return false;
  }
  return true;
}

function checkRequestId(m: Record<string, unknown>): void {
  if (typeof m.requestId !== "string") throw bad("requestId is not a string");
}

function checkPacket(p: unknown): void {
  if (!isObject(p) || !Number.isInteger(p.type)) throw bad("packet has no type");
  if (p.id !== undefined && !Number.isSafeInteger(p.id)) throw bad("packet id is not an integer");
  if ((p.type === 2 || p.type === 5) && (!Array.isArray(p.data) || typeof p.data[0] !== "string")) {
    throw bad("event packet data is not [event, ...args]");
  }
}

function checkOpts(o: unknown): void {
  if (!isObject(o) || !isRoomArray(o.rooms) || !isRoomArray(o.except) || !isObject(o.flags)) {
    throw bad("invalid broadcast options");
  }
}
