/**
 * `@volley/protocol` — the Socket.IO protocol 5 packet codec. Isomorphic: no Node APIs.
 * @packageDocumentation
 */
import { Decoder, type DecoderOptions } from "./decoder.js";
import { Encoder } from "./encoder.js";
import type { Packet } from "./packet-type.js";

export { hasBinary, isBinary } from "./binary.js";
export { Decoder, type DecoderOptions } from "./decoder.js";
export { Encoder } from "./encoder.js";
export { MAX_DEPTH } from "./nesting.js";
export { type Packet, PacketType, protocol } from "./packet-type.js";
export { ProtocolError, type ProtocolErrorCode } from "./protocol-error.js";

/** What a swappable encoder must do (the `parser` option of server and client). */
export interface EncoderLike {
  encode(packet: Packet): Array<string | Uint8Array>;
}

/** What a swappable decoder must do: one packet per completed message, throw on malformed input. */
export interface DecoderLike {
  add(chunk: string | Uint8Array | ArrayBuffer): Packet | undefined;
  destroy(): void;
}

/** A codec pair; pass another one (e.g. MessagePack) as the `parser` option of server and client. */
export interface Parser {
  Encoder: new () => EncoderLike;
  Decoder: new (opts?: DecoderOptions) => DecoderLike;
}

/** The default parser: the JSON + binary attachments encoding of socket.io-parser. */
export const parser: Parser = { Encoder, Decoder };
