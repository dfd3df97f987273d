// What changes for a client on Engine.IO protocol 3 (`allowEIO3`): Socket.IO v2-era clients speak Socket.IO
// protocol 4, which differs from protocol 5 only in the CONNECT exchange. Chosen once per connection (the
// client's encoder), so protocol 5 connections pay nothing for it.
import { type ParsedUrlQuery, parse as parseQuery } from "node:querystring";
import { type EncoderLike, type Packet, PacketType } from "@volley/protocol";

/** The Engine.IO revision of Socket.IO v2-era clients. */
export const LEGACY_ENGINE_PROTOCOL = 3;

/**
 * The encoder of a protocol 4 client: the CONNECT reply carries no payload (no `sid`: the client uses the
 * engine's), and a CONNECT_ERROR carries a plain value, `err.data` when the error has one, else its message.
 * Every other packet is encoded by the server's encoder unchanged.
 */
export class LegacyConnectEncoder implements EncoderLike {
  private readonly inner: EncoderLike;

  constructor(inner: EncoderLike) {
    this.inner = inner;
  }

  encode(packet: Packet): Array<string | Uint8Array> {
    if (packet.type === PacketType.CONNECT) return this.inner.encode({ type: packet.type, nsp: packet.nsp });
    if (packet.type === PacketType.CONNECT_ERROR) {
      const error = packet.data as { message?: unknown; data?: unknown } | undefined;
      const data = error?.data !== undefined ? error.data : error?.message;
      return this.inner.encode({ type: packet.type, nsp: packet.nsp, data });
    }
    return this.inner.encode(packet);
  }
}

/**
 * A protocol 4 CONNECT names the namespace with the client's query appended (`/admin?token=1`): the name,
 * and the query as the socket's `auth` (protocol 4 has no auth payload). Protocol 4 has no connection-state
 * recovery: `pid` and `offset` in the query are dropped, so a query can never ask to restore a session.
 */
export function parseLegacyNamespace(nsp: string): { name: string; auth: ParsedUrlQuery } {
  const q = nsp.indexOf("?");
  if (q < 0) return { name: nsp, auth: {} };
  const auth = parseQuery(nsp.slice(q + 1));
  delete auth.pid;
  delete auth.offset;
  return { name: nsp.slice(0, q), auth };
}
