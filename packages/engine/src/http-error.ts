import type { ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import type { EngineRequestError } from "./errors.js";

/** `Retry-After` value (whole seconds, at least 1) of a refusal by a limit, else undefined. */
function retryAfterSeconds(err: EngineRequestError): number | undefined {
  return err.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(err.retryAfterMs / 1000));
}

/**
 * The body clients see for a refused request: `{"code","message"}`, as the protocol's reference server, plus
 * `retryAfter` (seconds) on refusals by a limit: a browser reads the body of a cross-origin answer, but not
 * its `Retry-After` header unless the CORS options expose it.
 */
function errorBody(err: EngineRequestError, retryAfter: number | undefined): string {
  return JSON.stringify(
    retryAfter === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, retryAfter },
  );
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
  const retryAfter = retryAfterSeconds(err);
  const body = errorBody(err, retryAfter);
  res.writeHead(err.status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    ...(closeConnection ? { Connection: "close" } : {}),
    ...(retryAfter === undefined ? {} : { "Retry-After": String(retryAfter) }),
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
  const retryAfter = retryAfterSeconds(err);
  const body = errorBody(err, retryAfter);
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? ""}\r\n` +
      "Connection: close\r\n" +
      (retryAfter === undefined ? "" : `Retry-After: ${retryAfter}\r\n`) +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function ignore(): void {}
