// Node only: loads @volley/websocket on first use. The specifier is a variable so bundlers do not follow
// it, and the browser bundle swaps this whole module for a stub: no Node code reaches browsers.
import type { WebSocketConstructor, WebSocketLike } from "./websocket-constructor.js";

const NODE_WEBSOCKET = "@volley/websocket";
/** Most bytes of a refused handshake's body read (for its `retryAfter`). */
const MAX_REFUSAL_BODY = 4096;
let nodeWebSocket: Promise<WebSocketConstructor> | undefined;

/** The Node side of our WebSocket the refusal reader uses (`ws`'s API). */
interface NodeWebSocket extends WebSocketLike {
  on(
    event: "unexpected-response",
    listener: (req: { destroy(): void }, res: import("node:http").IncomingMessage) => void,
  ): unknown;
}

/** Our WebSocket, loaded once, reading the details of a refused handshake. Rejects where it cannot be loaded. */
export function loadNodeWebSocket(): Promise<WebSocketConstructor> {
  nodeWebSocket ??= import(/* webpackIgnore: true */ /* @vite-ignore */ NODE_WEBSOCKET).then(
    (mod: { WebSocket: new (...args: unknown[]) => NodeWebSocket }) =>
      class extends mod.WebSocket {
        constructor(...args: unknown[]) {
          super(...args);
          this.on("unexpected-response", (req, res) => readRefusal(this, req, res));
        }
      } as unknown as WebSocketConstructor,
  );
  return nodeWebSocket;
}

/**
 * A non-101 answer (e.g. 429 with `Retry-After` from a server limit): keep its status and the wait it asks
 * for on `ws.refusal`, then end the attempt, which fires the error the transport reports with them.
 */
function readRefusal(
  ws: NodeWebSocket,
  req: { destroy(): void },
  res: import("node:http").IncomingMessage,
): void {
  let body = "";
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    const status = res.statusCode ?? 0;
    ws.refusal = { status };
    // The JSON body's `retryAfter` (Volley), else the standard header; both in seconds.
    let seconds = Number(res.headers["retry-after"] || Number.NaN);
    ws.refusal.body = body;
    try {
      ws.refusal.body = JSON.parse(body);
      seconds = (ws.refusal.body as { retryAfter?: number }).retryAfter ?? seconds;
    } catch {}
    if (seconds >= 0) ws.refusal.retryAfter = seconds * 1000;
    req.destroy();
    ws.close();
  };
  res.setEncoding("utf8");
  res.on("data", (chunk: string) => {
    body += chunk;
    if (body.length > MAX_REFUSAL_BODY) finish();
  });
  res.on("end", finish);
  res.on("error", finish);
  res.on("close", finish);
}
