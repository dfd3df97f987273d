/**
 * Why a socket left its namespace, as Socket.IO names it (plus Volley's "slow consumer").
 * - `"io server disconnect"`: reserved for the client side (server sent DISCONNECT).
 * - `"io client disconnect"`: reserved for the client side.
 * - `"server namespace disconnect"`: `socket.disconnect()` on the server.
 * - `"client namespace disconnect"`: the client sent DISCONNECT (`socket.disconnect()` there).
 * - `"transport close"` / `"transport error"` / `"ping timeout"` / `"forced close"`: from the engine.
 * - `"parse error"`: the client sent a malformed packet; its connection was closed.
 * - `"server shutting down"`: `io.close()`.
 * - `"forced server close"`: the server closed the whole connection.
 * - `"slow consumer"`: the connection's outgoing buffer exceeded `maxBufferedBytes`.
 * - `"event rate exceeded"`: a socket of the connection sent events faster than `eventRateLimit`.
 */
export type DisconnectReason =
  | "io server disconnect"
  | "io client disconnect"
  | "server namespace disconnect"
  | "client namespace disconnect"
  | "transport close"
  | "transport error"
  | "ping timeout"
  | "parse error"
  | "forced close"
  | "server shutting down"
  | "forced server close"
  | "slow consumer"
  | "event rate exceeded";

/** Reasons after which a client may come back and have its state restored (connection-state recovery). */
export const RECOVERABLE_REASONS: ReadonlySet<string> = new Set([
  "transport close",
  "transport error",
  "ping timeout",
  "forced close",
  "server shutting down",
  "forced server close",
  "slow consumer",
]);

/** Event names a socket emits itself; `emit` refuses them and incoming packets cannot trigger them. */
export const RESERVED_EVENTS: ReadonlySet<string> = new Set([
  "connect",
  "connect_error",
  "disconnect",
  "disconnecting",
  "newListener",
  "removeListener",
]);

/**
 * Event names `serverSideEmit` refuses and a server-side event from another node cannot fire: the
 * socket's reserved names plus the events namespaces and the server emit themselves.
 */
export const SERVER_SIDE_RESERVED: ReadonlySet<string> = new Set([
  ...RESERVED_EVENTS,
  "connection",
  "new_namespace",
  "error",
]);
