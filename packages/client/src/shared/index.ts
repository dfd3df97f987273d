/**
 * `@volley/client/shared` — one connection per browser, not per tab: `sharedIo()` is `io()` whose tabs
 * share a single connection through a SharedWorker, else a leader tab, else (no support) a connection each.
 * @packageDocumentation
 */
import { parseUrl } from "../url.js";
import type { DefaultEventsMap, EventsMap } from "../typed-events.js";
import { type SharedOptions, TabManager } from "./tab-manager.js";
import type { SharedSocket } from "./tab-socket.js";

const managers: Record<string, TabManager> = {};

/**
 * Connects to a namespace over the connection this browser's tabs share: `sharedIo()`, `sharedIo("/chat")`,
 * `sharedIo("https://host", opts)`. The server sees one socket per browser per namespace; the first tab's
 * options and `auth` are the ones it sees. Every tab receives every event; an emit's acknowledgement comes
 * back to the tab that emitted.
 */
export function sharedIo<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
>(uri?: string | SharedOptions, opts?: SharedOptions): SharedSocket<ListenEvents, EmitEvents> {
  if (typeof uri === "object") {
    opts = uri;
    uri = undefined;
  }
  const options: SharedOptions = { ...opts };
  const { source, id, nsp } = parseUrl(uri, options.path ?? "/socket.io");
  managers[id] ??= new TabManager(source, id, options);
  return managers[id].socket<ListenEvents, EmitEvents>(nsp, options);
}

export { SharedSocket, type TabPort } from "./tab-socket.js";
export type { SharedOptions, SharingMode } from "./tab-manager.js";
