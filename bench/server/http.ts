// The plain node:http server every library attaches to, so listening and closing cost the same for all.
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";

/** An http.Server that remembers its sockets, so `close` can end upgraded connections too. */
export interface TrackedHttpServer {
  server: Server;
  listen(): Promise<number>;
  close(): Promise<void>;
}

export function createTrackedHttpServer(): TrackedHttpServer {
  const server = createServer();
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return {
    server,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
          const address = server.address();
          resolve(typeof address === "object" && address ? address.port : 0);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
