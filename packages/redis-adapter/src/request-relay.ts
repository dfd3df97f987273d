// Relays one polling request to the server that owns its session and the answer back, streaming
// both bodies (nothing is buffered here: the owner enforces its maxHttpBufferSize and its 413 comes
// back as it is).
import {
  type Agent,
  type ClientRequest,
  type IncomingMessage,
  request,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";
import { relayedRequestHeaders, relayedResponseHeaders } from "./forwarded-headers.js";
import type { PeerAddress } from "./peer-address.js";

/** What a relay needs from the forwarding layer. */
export interface RelayContext {
  /** This server's node id (the loop guard header). */
  readonly nodeId: string;
  /** Keep-alive connections to the other servers. */
  readonly agent: Agent;
  /** Most milliseconds connecting to the owner may take. */
  readonly connectTimeout: number;
  /** The owner did not answer before any byte was relayed to the client. */
  onUnreachable(owner: string): void;
}

/**
 * Sends `req` to `target` and its answer to `res`. When the owner cannot be reached before anything
 * was answered, `refuse()` lets the engine answer (400 `Session ID unknown`: the client reconnects).
 */
export function relayRequest(
  owner: string,
  target: PeerAddress,
  req: IncomingMessage,
  res: ServerResponse,
  refuse: () => void,
  ctx: RelayContext,
  mayRetry = true,
): void {
  if (res.destroyed) return;
  const upstream: ClientRequest = request({
    host: target.host,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: relayedRequestHeaders(req, ctx.nodeId),
    agent: ctx.agent,
  });
  let answered = false;
  let connectTimer: ReturnType<typeof setTimeout> | undefined;
  const clearConnectTimer = () => {
    if (connectTimer !== undefined) clearTimeout(connectTimer);
    connectTimer = undefined;
  };
  upstream.on("socket", (socket: Socket) => {
    if (!socket.connecting) return;
    connectTimer = setTimeout(
      () => upstream.destroy(new Error(`connecting to ${owner} took over ${ctx.connectTimeout} ms`)),
      ctx.connectTimeout,
    );
    socket.once("connect", clearConnectTimer);
  });
  upstream.on("response", (answer: IncomingMessage) => {
    answered = true;
    clearConnectTimer();
    const headers = relayedResponseHeaders(answer.headers);
    // The owner closing its connection (a refused oversized body) closes the client's too, so the
    // rest of that body is not read here either.
    if (/\bclose\b/i.test(answer.headers.connection ?? "")) headers.connection = "close";
    res.writeHead(answer.statusCode ?? 502, headers);
    answer.pipe(res);
    answer.on("error", () => res.destroy());
  });
  upstream.on("error", () => {
    clearConnectTimer();
    // Once answered, the answer's own stream ends or fails the response (the owner may well stop
    // reading a body it refused while its answer is still on the way).
    if (answered) return;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A kept-alive connection the owner closed while idle: nothing was processed, a GET (no body
    // consumed) can go again on a fresh connection.
    if (mayRetry && upstream.reusedSocket && req.method === "GET" && !res.destroyed) {
      relayRequest(owner, target, req, res, refuse, ctx, false);
      return;
    }
    ctx.onUnreachable(owner);
    if (!res.destroyed) refuse();
  });
  // The client went away: so does the relayed request (the owner then sees its poll end, as it would
  // have without the relay).
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}
