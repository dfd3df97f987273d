/**
 * Engine.IO 4 client, isomorphic (browsers and Node 20): long-polling over `fetch`, WebSocket through the
 * browser's or, in Node, `@volley/websocket` (loaded lazily, never bundled for browsers).
 */
export {
  EngineClient,
  EngineClient as Socket,
  type EngineClientEvents,
  type EngineCloseReason,
  type EngineReadyState,
  type HandshakeData,
  type MessageData,
  type SendOptions,
} from "./engine-client.js";
export {
  type EngineClientOptions,
  type TlsOptions,
  type TransportClass,
  type TransportName,
  type TransportOptions,
  unrefTimers,
} from "./options.js";
export { EngineClientError, type EngineClientErrorCode } from "./errors.js";
export { Emitter, type EventsMap, type Listener, type ListenerParams, subscribe } from "./emitter.js";
export { Transport, type CloseDetails, type TransportState } from "./transport.js";
export type { CloseHint } from "../close-hint.js";
export { PollingTransport } from "./polling.js";
export { WebSocketTransport } from "./websocket.js";
export {
  isNode,
  type WebSocketConstructor,
  type WebSocketLike,
  type WebSocketConstructorOptions,
} from "./websocket-constructor.js";
export { defaultTimers, type Timers } from "./timers.js";
