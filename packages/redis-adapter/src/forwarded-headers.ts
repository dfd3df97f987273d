// The headers of a request relayed to the owner of its session, and of the answer relayed back:
// hop-by-hop headers stay on their hop (RFC 9110 §7.6.1), X-Forwarded-For gains the address this
// server saw, and a loop guard names the relaying server so the owner never relays it again.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from "node:http";

/** Set on every relayed request; a request carrying it is never relayed again. */
export const FORWARDED_BY_HEADER = "x-volley-forwarded-by";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Whether a request was relayed by another server (the loop guard). */
export function isForwarded(req: IncomingMessage): boolean {
  return req.headers[FORWARDED_BY_HEADER] !== undefined;
}

/** X-Forwarded-For with the address this server saw the request come from appended. */
export function forwardedFor(req: IncomingMessage): string {
  const seen = req.socket.remoteAddress ?? "unknown";
  const previous = req.headers["x-forwarded-for"];
  const chain = Array.isArray(previous) ? previous.join(", ") : previous;
  return chain === undefined || chain.length === 0 ? seen : `${chain}, ${seen}`;
}

/** The headers of a polling request as the owner gets them. */
export function relayedRequestHeaders(req: IncomingMessage, nodeId: string): OutgoingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  headers["x-forwarded-for"] = forwardedFor(req);
  headers[FORWARDED_BY_HEADER] = nodeId;
  return headers;
}

/** The headers of the owner's answer as the client gets them. */
export function relayedResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return withoutHopByHop(headers);
}

/**
 * The head of an upgrade request as the owner gets it, in the original order and spelling; the
 * Connection/Upgrade pair stays, since the upgrade is what is relayed.
 */
export function relayedUpgradeHead(req: IncomingMessage, nodeId: string): string {
  let head = `${req.method ?? "GET"} ${req.url ?? "/"} HTTP/1.1\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name === "x-forwarded-for" || name === FORWARDED_BY_HEADER) continue;
    head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  }
  return `${head}X-Forwarded-For: ${forwardedFor(req)}\r\n${FORWARDED_BY_HEADER}: ${nodeId}\r\n\r\n`;
}

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  // Headers the Connection header names are hop-by-hop too.
  const named = new Set<string>();
  const connection = headers.connection;
  if (typeof connection === "string") {
    for (const token of connection.split(",")) named.add(token.trim().toLowerCase());
  }
  const out: OutgoingHttpHeaders = {};
  for (const name of Object.keys(headers)) {
    if (HOP_BY_HOP.has(name) || named.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
