import { findPlaceholders } from "./binary.js";
import { checkJsonDepth, MAX_DEPTH } from "./nesting.js";
import { type Packet, PacketType } from "./packet-type.js";
import { ProtocolError } from "./protocol-error.js";

/** Decoder limits. */
export interface DecoderOptions {
  /** Most binary attachments one packet may announce. Default 10. */
  maxAttachments?: number;
  /** Largest acknowledgement id accepted. Default `Number.MAX_SAFE_INTEGER`. */
  maxAckId?: number;
  /**
   * Most levels of nested arrays/objects in a payload (the outermost array is one). Default
   * {@link MAX_DEPTH} (1000), the encoder's own limit, so anything received can be sent back.
   * Deeper packets throw `TOO_DEEP` before `JSON.parse` runs.
   */
  maxDepth?: number;
}

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const SLASH = 47;
const COMMA = 44;
const DASH = 45;
// Digits past this cannot be a sane count or id; checked before converting.
const MAX_DIGITS = 16;

type Chunk = string | Uint8Array | ArrayBuffer;
type Binary = Uint8Array | ArrayBuffer;

interface Pending {
  packet: Packet;
  slots: ReturnType<typeof findPlaceholders>;
  buffers: Binary[];
}

/**
 * Strict streaming decoder: feed each Engine.IO message with `add`. A text chunk yields a packet
 * (or starts a binary packet, then `undefined` until all its attachments have arrived). Malformed
 * input throws a {@link ProtocolError}; the caller should drop the connection and this decoder.
 */
export class Decoder {
  readonly maxAttachments: number;
  readonly maxAckId: number;
  readonly maxDepth: number;
  private pending: Pending | undefined;
  private destroyed = false;

  constructor(opts: DecoderOptions = {}) {
    this.maxAttachments = opts.maxAttachments ?? 10;
    this.maxAckId = opts.maxAckId ?? Number.MAX_SAFE_INTEGER;
    this.maxDepth = opts.maxDepth ?? MAX_DEPTH;
  }

  add(chunk: Chunk): Packet | undefined {
    if (this.destroyed) throw new ProtocolError("DECODER_DESTROYED", "decoder was destroyed");
    if (typeof chunk === "string") {
      if (this.pending) {
        throw new ProtocolError(
          "UNEXPECTED_TEXT",
          `got a text packet while waiting for ${this.pending.slots.length - this.pending.buffers.length} binary attachments`,
        );
      }
      return this.decodeString(chunk);
    }
    if (chunk instanceof Uint8Array || chunk instanceof ArrayBuffer) {
      const pending = this.pending;
      if (!pending)
        throw new ProtocolError("UNEXPECTED_BINARY", "got a binary attachment with no packet expecting one");
      pending.buffers.push(chunk);
      if (pending.buffers.length < pending.slots.length) return undefined;
      this.pending = undefined;
      for (const slot of pending.slots) {
        // defineProperty: a "__proto__" key from JSON must stay a plain own property.
        Object.defineProperty(slot.parent, slot.key, {
          value: pending.buffers[slot.num],
          writable: true,
          enumerable: true,
          configurable: true,
        });
      }
      return pending.packet;
    }
    throw new ProtocolError("INVALID_CHUNK", `cannot decode a chunk of type ${typeof chunk}`);
  }

  /** Drops any half-received binary packet; further `add` calls throw. */
  destroy(): void {
    this.pending = undefined;
    this.destroyed = true;
  }

  private decodeString(str: string): Packet | undefined {
    const type = str.charCodeAt(0) - DIGIT_0;
    if (!(type >= PacketType.CONNECT && type <= PacketType.BINARY_ACK)) {
      throw new ProtocolError("INVALID_PACKET_TYPE", `unknown packet type ${JSON.stringify(str.charAt(0))}`);
    }
    const packetType = type as PacketType;
    const isBinary = packetType === PacketType.BINARY_EVENT || packetType === PacketType.BINARY_ACK;
    let i = 1;

    let attachments = 0;
    if (isBinary) {
      const start = i;
      while (i < str.length && isDigit(str.charCodeAt(i))) i++;
      if (i === start || i - start > MAX_DIGITS || str.charCodeAt(i) !== DASH) {
        throw new ProtocolError("INVALID_ATTACHMENTS", "binary packet without a valid attachment count");
      }
      attachments = Number(str.slice(start, i));
      if (attachments > this.maxAttachments) {
        throw new ProtocolError(
          "TOO_MANY_ATTACHMENTS",
          `packet announces ${attachments} attachments, over maxAttachments (${this.maxAttachments})`,
        );
      }
      i++;
    }

    let nsp = "/";
    if (str.charCodeAt(i) === SLASH) {
      const end = str.indexOf(",", i);
      const stop = end === -1 ? str.length : end;
      nsp = str.slice(i, stop);
      if (!isValidNamespace(nsp))
        throw new ProtocolError("INVALID_NAMESPACE", `invalid namespace ${JSON.stringify(nsp.slice(0, 64))}`);
      i = stop + 1;
    } else if (str.charCodeAt(i) === COMMA) {
      throw new ProtocolError("INVALID_NAMESPACE", "empty namespace");
    }

    let id: number | undefined;
    const idStart = i;
    while (i < str.length && isDigit(str.charCodeAt(i))) i++;
    if (i > idStart) {
      if (i - idStart > MAX_DIGITS) throw new ProtocolError("INVALID_ACK_ID", "ack id is too long");
      id = Number(str.slice(idStart, i));
      if (id > this.maxAckId)
        throw new ProtocolError("INVALID_ACK_ID", `ack id ${id} over maxAckId (${this.maxAckId})`);
      if (
        packetType === PacketType.CONNECT ||
        packetType === PacketType.DISCONNECT ||
        packetType === PacketType.CONNECT_ERROR
      ) {
        throw new ProtocolError("INVALID_ACK_ID", "only EVENT and ACK packets carry an ack id");
      }
    } else if (packetType === PacketType.ACK || packetType === PacketType.BINARY_ACK) {
      throw new ProtocolError("INVALID_ACK_ID", "ACK packet without an ack id");
    }

    let data: unknown;
    if (i < str.length) {
      checkJsonDepth(str, i, this.maxDepth);
      try {
        data = JSON.parse(str.slice(i));
      } catch {
        throw new ProtocolError("INVALID_JSON", "packet payload is not valid JSON");
      }
    }
    checkPayload(packetType, data);

    const packet: Packet = { type: packetType, nsp, data };
    if (id !== undefined) packet.id = id;
    if (!isBinary) {
      if (data === undefined) delete packet.data;
      return packet;
    }
    packet.attachments = attachments;
    const slots = findPlaceholders(data, attachments);
    if (attachments === 0) return packet;
    this.pending = { packet, slots, buffers: [] };
    return undefined;
  }
}

function isDigit(code: number): boolean {
  return code >= DIGIT_0 && code <= DIGIT_9;
}

// A namespace is a path: a leading slash, no control characters.
function isValidNamespace(nsp: string): boolean {
  if (nsp.length > 1024) return false;
  for (let i = 0; i < nsp.length; i++) if (nsp.charCodeAt(i) < 0x20) return false;
  return true;
}

function isObject(data: unknown): boolean {
  return typeof data === "object" && data !== null && !Array.isArray(data);
}

// Payload shapes of https://github.com/socketio/socket.io-protocol#exchange-protocol
function checkPayload(type: PacketType, data: unknown): void {
  switch (type) {
    case PacketType.CONNECT:
      if (data === undefined || isObject(data)) return;
      throw new ProtocolError("INVALID_PAYLOAD", "CONNECT payload must be an object");
    case PacketType.DISCONNECT:
      if (data === undefined) return;
      throw new ProtocolError("INVALID_PAYLOAD", "DISCONNECT takes no payload");
    case PacketType.CONNECT_ERROR:
      if (typeof data === "string" || isObject(data)) return;
      throw new ProtocolError("INVALID_PAYLOAD", "CONNECT_ERROR payload must be an object or a string");
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT:
      if (
        Array.isArray(data) &&
        data.length > 0 &&
        (typeof data[0] === "string" || typeof data[0] === "number")
      )
        return;
      throw new ProtocolError(
        "INVALID_PAYLOAD",
        "EVENT payload must be a non-empty array starting with the event name",
      );
    case PacketType.ACK:
    case PacketType.BINARY_ACK:
      if (Array.isArray(data)) return;
      throw new ProtocolError("INVALID_PAYLOAD", "ACK payload must be an array");
  }
}
