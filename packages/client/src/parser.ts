// The Socket.IO 5 packet codec of the client: the same wire format as @volley/protocol (the server's
// codec, tested equivalent in test/parser.test.ts), written for size: JSON.stringify's replacer and
// JSON.parse's reviver find the binary attachments, so the browser bundle carries no tree walker.
// Malformed input throws a PARSE_ERROR and the Manager drops the connection. The number of attachments
// is bounded by the engine's message size, not by a count of its own (servers may send many buffers).
// https://github.com/socketio/socket.io-protocol#packet-encoding
import type { Packet, PacketType } from "@volley/protocol";
import { ClientError } from "./errors.js";
import { ACK, BINARY_ACK, BINARY_EVENT, CONNECT_ERROR, DISCONNECT, EVENT } from "./packet-type.js";

type Binary = Uint8Array | ArrayBuffer;
type Slot = [holder: object, key: string, num: unknown];

const fail = (chunk: unknown) => new ClientError("PARSE_ERROR", undefined, chunk);

/** Encodes a packet as `[header + JSON, ...attachments]`; EVENT/ACK holding binary become BINARY_*. */
export class Encoder {
  encode(packet: Packet): Array<string | Uint8Array> {
    const { nsp, id, data } = packet;
    let type: number = packet.type;
    const buffers: Uint8Array[] = [];
    const args = carriesArgs(type);
    // The holder's own value, before toJSON: a Buffer becomes a placeholder, not `{ type: "Buffer", … }`.
    const json =
      JSON.stringify(data, function (this: Record<string, unknown>, key, value) {
        const own = this[key] as ArrayBufferView;
        return args && (own instanceof ArrayBuffer || ArrayBuffer.isView(own))
          ? {
              _placeholder: true,
              // A view of the same memory (an ArrayBuffer has no `buffer`: itself, whole).
              num: buffers.push(new Uint8Array(own.buffer ?? own, own.byteOffset, own.byteLength)) - 1,
            }
          : value;
      }) ?? "";
    let header = "";
    if (args) {
      type = type % 3 === EVENT ? EVENT : ACK; // BINARY_EVENT % 3 = EVENT, BINARY_ACK % 3 = CONNECT
      if (buffers.length > 0) {
        type += BINARY_EVENT - EVENT; // EVENT → BINARY_EVENT, ACK → BINARY_ACK
        header = `${buffers.length}-`;
      }
    }
    if (nsp && nsp !== "/") header += `${nsp},`;
    return [type + header + (id ?? "") + json, ...buffers];
  }
}

/** EVENT, ACK and their BINARY_ forms carry an argument array, which may hold binary. */
const carriesArgs = (type: number) => type > DISCONNECT && type !== CONNECT_ERROR;

/**
 * Streaming decoder: feed each Engine.IO message to `add`. A text chunk yields its packet, or starts a
 * binary packet that `add` returns once its last attachment has arrived (`undefined` meanwhile).
 */
export class Decoder {
  #pending: [packet: Packet, slots: Slot[], buffers: Binary[]] | undefined;

  add(chunk: string | Binary): Packet | undefined {
    const pending = this.#pending;
    if (typeof chunk !== "string") {
      if (!pending) throw fail(chunk);
      const [packet, slots, buffers] = pending;
      if (buffers.push(chunk) < slots.length) return;
      this.#pending = undefined;
      // defineProperty: a "__proto__" key from JSON must stay a plain own property. The placeholder is
      // already one (writable, enumerable, configurable, as JSON.parse makes them): only its value changes.
      for (const [holder, key, num] of slots)
        Object.defineProperty(holder, key, { value: buffers[num as number] });
      return packet;
    }
    // type, attachments (BINARY_* only), namespace, ack id, JSON
    const match = /^([0-6])(?:(\d+)-)?(?:(\/[^,]*),?)?(\d*)(.*)$/s.exec(chunk);
    const type = Number(match?.[1]);
    const binary = type === BINARY_EVENT || type === BINARY_ACK;
    if (pending || !match || binary !== (match[2] !== undefined)) throw fail(chunk);
    const slots: Slot[] = [];
    let data: unknown;
    try {
      if (match[5])
        data = JSON.parse(
          match[5],
          function (this: object, key: string, value: { _placeholder?: unknown; num?: unknown } | null) {
            if (binary && value?._placeholder === true) slots.push([this, key, value.num]);
            return value;
          },
        );
    } catch {
      throw fail(chunk);
    }
    const attachments = Number(match[2]);
    const packet: Packet = { type: type as PacketType, nsp: match[3] ?? "/" };
    if (data !== undefined) packet.data = data;
    if (match[4]) packet.id = Number(match[4]);
    if (
      // EVENT: [name, ...args]; ACK: [...args]
      (carriesArgs(type) && !(Array.isArray(data) && (data.length > 0 || type % 3 !== EVENT))) ||
      // every attachment index exactly once
      (binary &&
        (slots.length !== attachments ||
          slots.sort((a, b) => (a[2] as number) - (b[2] as number)).some((slot, i) => slot[2] !== i)))
    )
      throw fail(chunk);
    if (!binary) return packet;
    packet.attachments = attachments;
    if (attachments > 0) this.#pending = [packet, slots, []];
    else return packet;
  }

  /** Drops any half-received binary packet. */
  destroy(): void {
    this.#pending = undefined;
  }
}
