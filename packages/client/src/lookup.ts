// `io()`: the Manager cache and the namespace lookup (index.ts adds socket.io-client's `io.Manager` & co).
import { Manager, type ManagerOptions } from "./manager.js";
import type { Socket } from "./socket.js";
import type { SocketOptions } from "./socket-api.js";
import type { DefaultEventsMap, EventsMap } from "./typed-events.js";
import { parseUrl } from "./url.js";

const cache: Record<string, Manager> = {};

/**
 * Connects to a namespace: `io()` (this page's origin), `io("/admin")`, `io("http://host:3000/chat", opts)`.
 * Namespaces of one server share a Manager (one connection) unless `forceNew` or `multiplex: false`, or
 * the namespace is already open on the cached Manager.
 */
export function lookup<
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
