import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_LIMITS } from "../shared/events.js";
import { attachChat } from "./chat.js";
import { paths } from "./paths.js";
import { type AdapterConstructor, type ChatIo, Server, type ServerOptions } from "./realtime.js";
import { staticFiles } from "./static-files.js";

export interface ChatServerOptions {
  /** TCP port; `0` picks a free one (tests). Default `3000`. */
  port?: number;
  /** Interface to listen on. Default: all interfaces, as `http.Server#listen` does. */
  host?: string;
  /** Transports the server accepts. Default `["polling", "websocket"]`; `["polling"]` disables WebSocket. */
  transports?: ("polling" | "websocket")[];
  /** Longest message text, in characters. Default `2000`; longer messages are refused with `invalid_message`. */
  maxMessageLength?: number;
  /** Longest user name, in characters (longer ones are cut). Default `32`. */
  maxNameLength?: number;
  /** Messages kept per room for whoever joins. Default `50`. */
  historyLimit?: number;
  /** Message ids remembered to drop resends. Default `10000`. */
  dedupeWindow?: number;
  /** Where `a user connected` / `user disconnected` lines go. Default `console.log`. */
  log?: (line: string) => void;
  /** The realtime server's adapter (`--workers`: the node:cluster one). Default: in memory. */
  adapter?: AdapterConstructor;
  /** Makes the engine's `sessionRouter` for the http server (`--workers`: polling on any worker). Default: none. */
  sessionRouter?: (httpServer: HttpServer) => Promise<NonNullable<ServerOptions["sessionRouter"]>>;
}

export interface ChatServer {
  /** The port actually bound (useful with `port: 0`). */
  port: number;
  io: ChatIo;
  httpServer: HttpServer;
  /** Disconnects every client and stops listening. */
  close(): Promise<void>;
}

/** Starts the chat demo: static page + realtime server on one `http.Server`, in-memory adapter. */
export async function startChatServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  const httpServer = createServer(
    staticFiles(
      {
        "/": { path: `${paths.public}index.html`, contentType: "text/html; charset=utf-8" },
        "/index.html": { path: `${paths.public}index.html`, contentType: "text/html; charset=utf-8" },
        "/style.css": { path: `${paths.public}style.css`, contentType: "text/css; charset=utf-8" },
        "/favicon.svg": { path: `${paths.public}favicon.svg`, contentType: "image/svg+xml" },
        "/app.js": {
          path: paths.pageBundle,
          contentType: "text/javascript; charset=utf-8",
          missingHint: "run `npm run build` first",
        },
        "/app.js.map": { path: `${paths.pageBundle}.map`, contentType: "application/json" },
      },
      "/socket.io/",
    ),
  );
  const io: ChatIo = new Server(httpServer, {
    transports: options.transports ?? ["polling", "websocket"],
    ...(options.adapter && { adapter: options.adapter }),
    ...(options.sessionRouter && { sessionRouter: await options.sessionRouter(httpServer) }),
  });
  attachChat(io, {
    maxMessageLength: options.maxMessageLength ?? DEFAULT_LIMITS.maxMessageLength,
    maxNameLength: options.maxNameLength ?? DEFAULT_LIMITS.maxNameLength,
    historyLimit: options.historyLimit ?? DEFAULT_LIMITS.historyLimit,
    dedupeWindow: options.dedupeWindow ?? DEFAULT_LIMITS.dedupeWindow,
    log: options.log ?? ((line) => console.log(line)),
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port ?? 3000, options.host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });

  return {
    port: (httpServer.address() as AddressInfo).port,
    io,
    httpServer,
    close: () =>
      new Promise<void>((resolve) => {
        // io.close() disconnects every client and closes the http server it is attached to.
        io.close(() => resolve());
        // Keep-alive sockets of the static handler would otherwise hold the server open.
        httpServer.closeAllConnections();
      }),
  };
}
