/**
 * `@volley/client` — the Socket.IO v4 client API for browsers and Node, on Volley's engine client.
 * @packageDocumentation
 */
import { Manager } from "./manager.js";
import { Socket } from "./socket.js";
import { lookup } from "./lookup.js";

/**
 * Connects to a namespace (see `lookup`). As socket.io-client's `io`, it carries the classes and itself:
 * `io.Manager`, `io.Socket`, `io.io`, `io.connect`.
 */
export const io = lookup as typeof lookup & {
  Manager: typeof Manager;
  Socket: typeof Socket;
  io: typeof lookup;
  connect: typeof lookup;
};
io.Manager = Manager;
io.Socket = Socket;
io.io = io.connect = lookup;

/** Alias of `io`. */
export const connect = io;

export { Manager, type ManagerOptions, type ManagerReservedEvents } from "./manager.js";
export { Socket } from "./socket.js";
export type { SocketOptions, DisconnectReason, SocketReservedEvents } from "./socket-api.js";
export {
  ClientError,
  type ClientErrorCode,
  type CloseHint,
  type DisconnectDescription,
} from "./errors.js";
export type {
  DefaultEventsMap,
  EventsMap,
  EventNames,
  EventParams,
  DecorateAcknowledgements,
} from "./typed-events.js";
export { PROTOCOL_VERSION as protocol } from "./protocol-version.js";
// The transports, by socket.io-client's names (for `transports: [WebSocket, Fetch]`): one polling transport
// (fetch in browsers, node:http in Node) and one WebSocket transport. Volley has no WebTransport.
export {
  PollingTransport as Fetch,
  PollingTransport as XHR,
  PollingTransport as NodeXHR,
  WebSocketTransport as WebSocket,
  WebSocketTransport as NodeWebSocket,
} from "@volley/engine/client";
export default io;
