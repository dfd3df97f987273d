// @volley/websocket: RFC 6455 WebSockets with RFC 7692 permessage-deflate, server and Node client.
// This file is the package's public face: only what is exported here is API.

export type { AddEventListenerOptions } from "./browser-events.js";
export type { ClientOptions } from "./client.js";
export { CloseCode, isValidCloseCode } from "./close-codes.js";
export type { PerMessageDeflateOptions } from "./deflate-negotiation.js";
export { WebSocketError, type WebSocketErrorCode } from "./errors.js";
export { CloseEvent, ErrorEvent, MessageEvent, WebSocketEvent } from "./events.js";
export { captureRejectionsByDefault, LazyEventEmitter } from "./lazy-emitter.js";
export { Opcode } from "./opcode.js";
export { createWebSocketStream } from "./stream.js";
export { type PreparedMessage, prepareMessage } from "./prepared-message.js";
export {
  type BinaryType,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_MAX_PAYLOAD,
  type SendCallback,
  type SendData,
  type SendOptions,
  WebSocket,
  type WebSocketHandler,
} from "./websocket.js";
export {
  type VerifyClient,
  type VerifyClientInfo,
  WebSocketServer,
  type WebSocketServerOptions,
} from "./websocket-server.js";
export {
  createDebug,
  DebugLogger,
  type DebugOutput,
  enableDebug,
  isDebugEnabled,
  setDebugOutput,
} from "./debug.js";
