// The one place the page names its client library's types. At run time the library is the global `io`
// defined by <script src="/socket.io/socket.io.js">, exactly as on a Socket.IO page.
import type { io as ioFunction, Socket } from "@volley/client";
import type { ClientToServerEvents, ServerToClientEvents } from "../shared/events.js";

export type ChatClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

declare global {
  var io: typeof ioFunction;
}
