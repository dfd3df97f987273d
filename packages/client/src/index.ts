/**
 * `@volley/client` — the Socket.IO v4 client API for browsers and Node, on Volley's engine client.
 * @packageDocumentation
 */
import { Manager, type ManagerOptions } from "./manager.js";
import { Socket, type SocketOptions } from "./socket.js";
import type { DefaultEventsMap, EventsMap } from "./typed-events.js";
import { parseUrl } from "./url.js";

const cache: Record<string, Manager> = {};

/**
 * Connects to a namespace: `io()` (this page's origin), `io("/admin")`, `io("http://host:3000/chat", opts)`.
 * Namespaces of one server share a Manager (one connection) unless `forceNew` or `multiplex: false`, or
 * the namespace is already open on the cached Manager.
 */
export function io<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
>(
  uri?: string | (ManagerOptions & SocketOptions),
  opts?: ManagerOptions & SocketOptions,
): Socket<ListenEvents, EmitEvents> {
  if (typeof uri === "object") {
    opts = uri;
    uri = undefined;
  }
  const options: ManagerOptions & SocketOptions = { ...opts };
  // The URL's query travels with it: the engine merges it with `query`.
  const { source, id, nsp } = parseUrl(uri, options.path ?? "/socket.io");
  let manager = cache[id];
  if (options.forceNew || options.multiplex === false || (manager && nsp in manager.nsps))
    manager = new Manager(source, options);
  else cache[id] = manager ??= new Manager(source, options);
  return manager.socket(nsp, options) as unknown as Socket<ListenEvents, EmitEvents>;
}

/** Alias of `io`. */
export const connect = io;

// As socket.io-client's `io`: the lookup function carries the classes and itself (`io.Manager`, `io.io`).
io.Manager = Manager;
io.Socket = Socket;
io.io = io;
io.connect = io;

export { Manager, type ManagerOptions, type ManagerReservedEvents } from "./manager.js";
export {
  Socket,
  type SocketOptions,
  type DisconnectReason,
  type SocketReservedEvents,
} from "./socket.js";
export { ClientError, type ClientErrorCode } from "./errors.js";
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
