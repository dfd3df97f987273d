import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { debug } from "./debug-loggers.js";
import { headerHasToken, isValidKey, parseExtensions, parseProtocols } from "./handshake.js";

/** A refused opening handshake: the HTTP status, a short plain-text reason, extra response headers. */
export interface HandshakeRejection {
  status: number;
  message: string;
  headers?: Record<string, string>;
}

/** The server's say on a request's path: its `path` option, or a subclass's own `shouldHandle`. */
export interface UpgradePathFilter {
  shouldHandle(req: IncomingMessage): boolean;
}

/**
 * RFC 6455 §4.2.1: everything a client's opening handshake must satisfy, checked in this order (the first
 * failure is the one answered). The extensions header is only parsed when `deflateEnabled`: a server
 * without extensions ignores it.
 */
export function checkUpgradeRequest(
  req: IncomingMessage,
  paths: UpgradePathFilter,
  deflateEnabled: boolean,
): HandshakeRejection | null {
  if (req.method !== "GET") return { status: 405, message: "Invalid HTTP method", headers: { Allow: "GET" } };
  if (req.httpVersionMajor < 1 || (req.httpVersionMajor === 1 && req.httpVersionMinor < 1)) {
    return { status: 400, message: "HTTP/1.1 or later required" };
  }
  if (!paths.shouldHandle(req)) return { status: 400, message: "Invalid path" };
  const headers = req.headers;
  if (!headers.host) return { status: 400, message: "Missing Host header" };
  if (!headerHasToken(headers.upgrade, "websocket"))
    return { status: 400, message: "Invalid Upgrade header" };
  if (!headerHasToken(headers.connection, "upgrade"))
    return { status: 400, message: "Invalid Connection header" };
  if (!isValidKey(headers["sec-websocket-key"]))
    return { status: 400, message: "Invalid Sec-WebSocket-Key header" };
  if (headers["sec-websocket-version"] !== "13") {
    return {
      status: 426,
      message: "Unsupported WebSocket version",
      headers: { "Sec-WebSocket-Version": "13" },
    };
  }
  if (parseProtocols(headers["sec-websocket-protocol"]) === null) {
    return { status: 400, message: "Invalid Sec-WebSocket-Protocol header" };
  }
  const extensions = headers["sec-websocket-extensions"];
  if (deflateEnabled && extensions !== undefined && parseExtensions(extensions) === null) {
    return { status: 400, message: "Invalid Sec-WebSocket-Extensions header" };
  }
  return null;
}

/**
 * RFC 6455 §4.2.2: the subprotocol the server answers with, one of the client's offer (of a request that
 * passed {@link checkUpgradeRequest}): `handleProtocols`' pick, by default the first offered; "" for none.
 */
export function chooseSubprotocol(
  req: IncomingMessage,
  handleProtocols: ((protocols: Set<string>, req: IncomingMessage) => string | false) | undefined,
): string {
  const protocols = parseProtocols(req.headers["sec-websocket-protocol"])!;
  if (protocols.size === 0) return "";
  const chosen = handleProtocols ? handleProtocols(protocols, req) : protocols.values().next().value!;
  // Only one of the offered subprotocols may be selected.
  return typeof chosen === "string" && protocols.has(chosen) ? chosen : "";
}

/** A socket's `error` listener until a connection owns it: a network error only destroys it. */
export function destroySocket(this: Duplex): void {
  this.destroy();
}

/** Answers a rejected handshake with a short plain-text reason and destroys the socket. */
export function abortHandshake(socket: Duplex, rejection: HandshakeRejection): void {
  if (debug.enabled) debug.log("handshake refused: %d %s", rejection.status, rejection.message);
  if (!socket.writable || socket.destroyed) {
    socket.destroy();
    return;
  }
  const body = rejection.message;
  const lines = [
    `HTTP/1.1 ${rejection.status} ${STATUS_CODES[rejection.status] ?? "Error"}`,
    "Connection: close",
    "Content-Type: text/plain",
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  for (const [name, value] of Object.entries(rejection.headers ?? {})) lines.push(`${name}: ${value}`);
  socket.once("finish", () => socket.destroy());
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
}
