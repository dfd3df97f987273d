import { prepareMessage, WebSocketServer } from "@volley/websocket";
import type { PrepareFrame, WebSocketServerConstructor } from "./websocket-like.js";

/** The WebSocket server used when the `wsEngine` option is not given: Volley's own. */
export const DefaultWebSocketServer: WebSocketServerConstructor = WebSocketServer;

/** Frames a prepared packet once for every session of the default WebSocket server. */
export const defaultPrepareFrame: PrepareFrame = prepareMessage;
