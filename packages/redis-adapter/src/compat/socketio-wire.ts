// The messages of the official Socket.IO Redis adapter (@socket.io/redis-adapter 8.x), as observed
// on Redis between two socket.io nodes, and the checks a decoded one must pass before anything acts
// on it. Three kinds:
//   broadcast  msgpack [uid, {type, data, nsp}, {rooms, except, flags}] on `<key>#<nsp>#` (or
//              `<key>#<nsp>#<room>#` when it targets exactly one room);
//   request    {uid, type, requestId?, ...} on `<key>-request#<nsp>#`; JSON, except BROADCAST_WITH_ACK
//              (msgpack: its packet may carry binary);
//   response   {requestId, ...} on `<key>-response#<nsp>#` (or `…#<uid>#`), without the sender's uid;
//              JSON, except BROADCAST_ACK (msgpack).
// A payload is JSON when its first byte is `{`, else msgpack: a receiver accepts either for every
// kind, so binary never has to be flattened by JSON.
import { ClusterAdapterError, type WireRoom } from "volley";
import { decodeMsgpack, encodeMsgpack } from "./msgpack.js";

/** Request (and response) types; the wire carries the number. */
export const SioType = {
  /** Ids of the sockets in some rooms (8.x still answers it; its own `allSockets()` stays local). */
  SOCKETS: 0,
  ALL_ROOMS: 1,
  REMOTE_JOIN: 2,
  REMOTE_LEAVE: 3,
  REMOTE_DISCONNECT: 4,
  REMOTE_FETCH: 5,
  SERVER_SIDE_EMIT: 6,
  BROADCAST: 7,
  BROADCAST_CLIENT_COUNT: 8,
  BROADCAST_ACK: 9,
} as const;

/** Broadcast options as the official adapter writes them (`flags` absent in requests). */
export interface SioOptions {
  rooms: WireRoom[];
  except: WireRoom[];
  flags?: { volatile?: boolean; compress?: boolean; timeout?: number };
}

export interface SioPacket {
  type: number;
  data: unknown;
  nsp: string;
  id?: number;
}

export interface SioBroadcast {
  uid: string;
  packet: SioPacket;
  opts: SioOptions;
}

export type SioRequest =
  | { type: typeof SioType.SOCKETS; uid: string; requestId: string; rooms: WireRoom[] }
  | { type: typeof SioType.ALL_ROOMS; uid: string; requestId: string }
  | {
      type: typeof SioType.REMOTE_JOIN | typeof SioType.REMOTE_LEAVE;
      uid: string;
      opts: SioOptions;
      rooms: WireRoom[];
    }
  | { type: typeof SioType.REMOTE_DISCONNECT; uid: string; opts: SioOptions; close: boolean }
  | { type: typeof SioType.REMOTE_FETCH; uid: string; requestId: string; opts: SioOptions }
  | { type: typeof SioType.SERVER_SIDE_EMIT; uid: string; requestId?: string; data: unknown[] }
  | {
      type: typeof SioType.BROADCAST;
      uid: string;
      requestId: string;
      packet: SioPacket;
      opts: SioOptions;
    };

/** A socket in a REMOTE_FETCH response. */
export interface SioSocket {
  id: string;
  handshake: Record<string, unknown>;
  rooms: WireRoom[];
  data: unknown;
}

export type SioResponse =
  | { kind: "socketIds"; requestId: string; ids: string[] }
  | { kind: "sockets"; requestId: string; sockets: SioSocket[] }
  | { kind: "rooms"; requestId: string; rooms: WireRoom[] }
  | { kind: "serverSideEmit"; requestId: string; data: unknown }
  | { kind: "clientCount"; requestId: string; clientCount: number }
  | { kind: "ack"; requestId: string; packet: unknown };

/** A request of a type this node does not handle: counted and skipped, never an error. */
export class UnknownSioType extends Error {
  override readonly name = "UnknownSioType";
}

const OPEN_BRACE = 0x7b;

/**
 * JSON or msgpack, by the first byte.
 * @throws ClusterAdapterError `MALFORMED_MESSAGE`.
 */
export function decodePayload(raw: Buffer): unknown {
  if (raw.length === 0) throw bad("empty message");
  if (raw[0] !== OPEN_BRACE) return decodeMsgpack(raw);
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (err) {
    throw bad(`invalid JSON: ${(err as Error).message}`);
  }
}

/**
 * JSON, as the official adapter writes most requests and responses, unless `value` holds binary
 * (which JSON would flatten into `{type:"Buffer",data:[…]}`): then msgpack, which keeps it.
 */
export function encodeJsonOrMsgpack(value: object): Buffer {
  return hasBinary(value, 0) ? encodeMsgpack(value) : Buffer.from(JSON.stringify(value));
}

function hasBinary(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null || depth > 64) return false;
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return true;
  if (Array.isArray(value)) return value.some((v) => hasBinary(v, depth + 1));
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return false;
  for (const key in value) {
    if (Object.hasOwn(value, key) && hasBinary((value as Record<string, unknown>)[key], depth + 1))
      return true;
  }
  return false;
}

/**
 * Checks a decoded broadcast.
 * @throws ClusterAdapterError `MALFORMED_MESSAGE` naming what is wrong.
 */
export function parseBroadcast(value: unknown): SioBroadcast {
  if (!Array.isArray(value) || value.length < 3) throw bad("broadcast is not [uid, packet, opts]");
  const [uid, packet, opts] = value as [unknown, unknown, unknown];
  if (typeof uid !== "string") throw bad("broadcast uid is not a string");
  return { uid, packet: checkPacket(packet), opts: checkOptions(opts) };
}

/**
 * Checks a decoded request.
 * @throws ClusterAdapterError `MALFORMED_MESSAGE`; UnknownSioType for a type not handled here.
 */
export function parseRequest(value: unknown): SioRequest {
  if (!isObject(value)) throw bad("request is not an object");
  const m = value;
  if (typeof m.uid !== "string") throw bad("request uid is not a string");
  switch (m.type) {
    case SioType.SOCKETS:
      requestId(m);
      // Absent: every socket.
      m.rooms ??= [];
      if (!isRoomArray(m.rooms)) throw bad("rooms is not an array of room names");
      break;
    case SioType.ALL_ROOMS:
      requestId(m);
      break;
    case SioType.REMOTE_JOIN:
    case SioType.REMOTE_LEAVE:
      m.opts = checkOptions(m.opts);
      if (!isRoomArray(m.rooms)) throw bad("rooms is not an array of room names");
      break;
    case SioType.REMOTE_DISCONNECT:
      m.opts = checkOptions(m.opts);
      if (typeof m.close !== "boolean") throw bad("close is not a boolean");
      break;
    case SioType.REMOTE_FETCH:
      requestId(m);
      m.opts = checkOptions(m.opts);
      break;
    case SioType.SERVER_SIDE_EMIT:
      if (m.requestId !== undefined) requestId(m);
      if (!Array.isArray(m.data) || typeof m.data[0] !== "string") throw bad("data is not [event, ...args]");
      break;
    case SioType.BROADCAST:
      requestId(m);
      m.packet = checkPacket(m.packet);
      m.opts = checkOptions(m.opts);
      break;
    default:
      throw new UnknownSioType(`request type ${JSON.stringify(m.type)}`);
  }
  return m as unknown as SioRequest;
}

/**
 * Checks a decoded response; what it answers is told by its fields (`type` when present).
 * @throws ClusterAdapterError `MALFORMED_MESSAGE`; UnknownSioType for a type not handled here.
 */
export function parseResponse(value: unknown): SioResponse {
  if (!isObject(value)) throw bad("response is not an object");
  const m = value;
  const id = requestId(m);
  switch (m.type) {
    case undefined:
      if (Array.isArray(m.sockets) && m.sockets.every((s) => typeof s === "string")) {
        return { kind: "socketIds", requestId: id, ids: m.sockets as string[] };
      }
      if (Array.isArray(m.sockets)) {
        for (const s of m.sockets) {
          if (!isObject(s) || typeof s.id !== "string" || !isObject(s.handshake) || !isRoomArray(s.rooms)) {
            throw bad("invalid socket in a fetch response");
          }
        }
        return { kind: "sockets", requestId: id, sockets: m.sockets as SioSocket[] };
      }
      if (isRoomArray(m.rooms)) return { kind: "rooms", requestId: id, rooms: m.rooms };
      throw bad("response without type holds neither sockets nor rooms");
    case SioType.SERVER_SIDE_EMIT:
      return { kind: "serverSideEmit", requestId: id, data: m.data };
    case SioType.BROADCAST_CLIENT_COUNT:
      if (!Number.isSafeInteger(m.clientCount) || (m.clientCount as number) < 0) {
        throw bad("clientCount is not a count");
      }
      return { kind: "clientCount", requestId: id, clientCount: m.clientCount as number };
    case SioType.BROADCAST_ACK:
      return { kind: "ack", requestId: id, packet: m.packet };
    default:
      throw new UnknownSioType(`response type ${JSON.stringify(m.type)}`);
  }
}

function bad(what: string): ClusterAdapterError {
  return new ClusterAdapterError("MALFORMED_MESSAGE", `malformed socket.io adapter message: ${what}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/** Strings or finite numbers: the room names both kinds of server accept. */
function isRoomArray(value: unknown): value is WireRoom[] {
  if (!Array.isArray(value)) return false;
  for (const v of value) {
    if (typeof v !== "string" && !(typeof v === "number" && Number.isFinite(v))) return false;
  }
  return true;
}

function requestId(m: Record<string, unknown>): string {
  if (typeof m.requestId !== "string") throw bad("requestId is not a string");
  return m.requestId;
}

function checkPacket(p: unknown): SioPacket {
  if (!isObject(p) || !Number.isInteger(p.type)) throw bad("packet has no type");
  if (p.nsp !== undefined && typeof p.nsp !== "string") throw bad("packet nsp is not a string");
  if (p.id !== undefined && p.id !== null && !Number.isSafeInteger(p.id))
    throw bad("packet id is not an integer");
  return {
    type: p.type as number,
    data: p.data,
    // socket.io's parser leaves the main namespace out.
    nsp: (p.nsp as string | undefined) ?? "/",
    ...(typeof p.id === "number" ? { id: p.id } : {}),
  };
}

function checkOptions(o: unknown): SioOptions {
  if (!isObject(o)) throw bad("options are not an object");
  const rooms = o.rooms ?? [];
  const except = o.except ?? [];
  if (!isRoomArray(rooms) || !isRoomArray(except)) throw bad("rooms or except is not an array of room names");
  const out: SioOptions = { rooms, except };
  if (o.flags !== undefined && o.flags !== null) {
    if (!isObject(o.flags)) throw bad("flags is not an object");
    const f = o.flags;
    out.flags = {};
    if (f.volatile === true) out.flags.volatile = true;
    if (typeof f.compress === "boolean") out.flags.compress = f.compress;
    if (typeof f.timeout === "number" && Number.isFinite(f.timeout)) out.flags.timeout = f.timeout;
  }
  return out;
}
