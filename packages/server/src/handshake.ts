import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { type ParsedUrlQuery, parse as parseQuery } from "node:querystring";
import type { HandshakeInfo } from "./engine-contract.js";

/** What the server knows about a socket's connection, as Socket.IO's `socket.handshake`. */
export interface Handshake {
  /** Headers of the request that opened the connection. */
  headers: IncomingHttpHeaders;
  /** When the socket connected, as `Date.toString()`. */
  time: string;
  /** The client's IP address. */
  address: string;
  /** Whether the request was cross-origin (it carried an `Origin` header). */
  xdomain: boolean;
  /** Whether the connection is TLS. */
  secure: boolean;
  /** When the socket connected, ms since the epoch. */
  issued: number;
  /** URL of the handshake request. */
  url: string;
  /** Query parameters of the handshake request. */
  query: ParsedUrlQuery;
  /** The `auth` payload of the client's CONNECT packet. */
  auth: Record<string, unknown>;
}

/** The handshake request as an `IncomingMessage`, for sessions that offer no compact record. */
export function handshakeInfoOf(req: IncomingMessage): HandshakeInfo {
  return {
    headers: req.headers,
    url: req.url ?? "/",
    secure: (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true,
  };
}

export function buildHandshake(
  req: HandshakeInfo,
  address: string,
  issued: number,
  auth: Record<string, unknown>,
): Handshake {
  const url = req.url || "/";
  const q = url.indexOf("?");
  return {
    headers: req.headers,
    time: new Date(issued).toString(),
    address,
    xdomain: req.headers.origin !== undefined,
    secure: req.secure,
    issued,
    url,
    query: q < 0 ? {} : parseQuery(url.slice(q + 1)),
    auth,
  };
}
