/**
 * `@volley/engine`: the Engine.IO 4 server (Node). The isomorphic client is `@volley/engine/client`,
 * the packet codec `@volley/engine/parser`.
 */
export {
  EngineServer,
  type EngineServerEvents,
  type EngineConnectionError,
  type AttachOptions,
} from "./server.js";
export {
  EngineSocket,
  type EngineSocketEvents,
  type MessageData,
  type SessionHandler,
  type SendOptions,
  type ReadyState,
  type EngineProtocol,
} from "./session.js";
export { PreparedPacket } from "./prepared-packet.js";
export { type CloseHint, encodeCloseHint, type HintTarget, sendHint } from "./close-hint.js";
export type { OwedCloseHintsOptions } from "./owed-close-hints.js";
export { generateSessionId } from "./session-id.js";
/** Emitters held once per connection create their listener table with their first listener. */
export { captureRejectionsByDefault, LazyEventEmitter } from "@volley/websocket";
export { HandshakeRequest } from "./handshake-request.js";
export type { Clock } from "./clock.js";
export { hardenHttpServer, HTTP_HARDENING_DEFAULTS, type HttpHardeningOptions } from "./harden-http.js";
export type { RateLimit } from "./token-bucket.js";
export type {
  EngineServerOptions,
  TransportName,
  AllowRequestCallback,
  HttpCompressionOptions,
  HandshakeRateOptions,
} from "./options.js";
export type { CorsOptions, CorsOrigin } from "./cors.js";
export type { SessionRouter } from "./session-router.js";
export type { CookieOptions } from "./cookie.js";
export { EngineErrorCode, EngineErrorMessage, EngineRequestError, type CloseReason } from "./errors.js";
export type { Transport } from "./transports/transport.js";
export type {
  WebSocketLike,
  WebSocketServerLike,
  WebSocketServerConstructor,
  WebSocketServerConstructorOptions,
} from "./transports/websocket-like.js";
export {
  createDebug,
  DebugLogger,
  type DebugOutput,
  enableDebug,
  isDebugEnabled,
  setDebugOutput,
} from "@volley/websocket";
export type { EngineMetricsSnapshot } from "./metrics.js";
export { applyCors, type CorsOptionsDelegate } from "./cors.js";
