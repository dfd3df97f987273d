// A socket's handshake, kept small until read: the connection's compact record, the moment the socket
// was created (ms after this module's load: a small integer, where a timestamp needs a 16-byte box)
// and the CONNECT packet's `auth` (nothing when empty). The object is built on first access.
import type { EngineSession } from "./engine-contract.js";
import { buildHandshake, type Handshake, handshakeInfoOf } from "./handshake.js";

/** Sockets count their creation time from here (this module's load). */
const EPOCH = Date.now();

/** Now, in ms after {@link EPOCH}: what a socket stores as its creation time. */
export function msSinceEpoch(): number {
  return Date.now() - EPOCH;
}

/** `auth` to keep: undefined when it is a plain empty object (most clients send none), so no object per socket. */
export function compactAuth(auth: Record<string, unknown>): Record<string, unknown> | undefined {
  for (const _ in auth) return auth;
  return Object.getPrototypeOf(auth) === Object.prototype ? undefined : auth;
}

/** The handshake of a socket of `conn` created `createdAfterEpoch` ms after {@link EPOCH}. */
export function socketHandshake(
  conn: EngineSession,
  createdAfterEpoch: number,
  auth: Record<string, unknown> | undefined,
): Handshake {
  // The engine's compact record: no IncomingMessage is rebuilt for a handshake read.
  const info = conn.handshake ?? handshakeInfoOf(conn.request);
  return buildHandshake(info, conn.remoteAddress, EPOCH + createdAfterEpoch, auth ?? {});
}
