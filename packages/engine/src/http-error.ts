import type { ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { EngineRequestError } from "./errors.js";

/** The body clients see for a refused request: `{"code","message"}`, as the protocol's reference server. */
function errorBody(err: EngineRequestError): string {
  return JSON.stringify({ code: err.code, message: err.message });
}

/** Answers an HTTP request with the refusal; the one place an EngineRequestError becomes a response. */
export function writeErrorResponse(
  res: ServerResponse,
  err: EngineRequestError,
  closeConnection = false,
): void {
  if (res.headersSent || res.writableEnded) {
    if (!res.writableEnded) res.end();
    return;
  }
  const body = errorBody(err);
  res.writeHead(err.status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    ...(closeConnection ? { Connection: "close" } : {}),
  });
  res.end(body);
}

/** Refuses a WebSocket upgrade with a plain HTTP response on the raw socket, then closes it. */
export function writeUpgradeError(socket: Duplex, err: EngineRequestError): void {
  // The peer may already be gone; an error here must not reach the process.
  socket.on("error", ignore);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = errorBody(err);
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ""}\r\n` +
      "Connection: close\r\n" +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function ignore(): void {}
