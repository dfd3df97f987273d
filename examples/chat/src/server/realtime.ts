// The one place the demo names its realtime server package.
import { type AdapterConstructor, Server, type ServerOptions, type Socket } from "volley";
import type {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from "../shared/events.js";

export { type AdapterConstructor, Server, type ServerOptions };

/** The demo's server, typed by its event maps. */
export type ChatIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
/** One connected tab, as the server sees it. */
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
