// Node only: loads @volley/websocket on first use. The specifier is a variable so bundlers do not follow
// it, and the browser bundle swaps this whole module for a stub: no Node code reaches browsers.
import type { WebSocketConstructor } from "./websocket-constructor.js";

const NODE_WEBSOCKET = "@volley/websocket";
let nodeWebSocket: Promise<WebSocketConstructor> | undefined;

/** Our WebSocket, loaded once. Rejects where it cannot be loaded. */
export function loadNodeWebSocket(): Promise<WebSocketConstructor> {
  nodeWebSocket ??= import(/* webpackIgnore: true */ /* @vite-ignore */ NODE_WEBSOCKET).then(
    (mod: { WebSocket: WebSocketConstructor }) => mod.WebSocket,
  );
  return nodeWebSocket;
}
