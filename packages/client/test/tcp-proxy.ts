// A TCP proxy on loopback between a client and a server, whose `cut()` drops every link at once (both
// sockets destroyed, whatever is in flight lost): a network failure, as the client and server see it.
import { once } from "node:events";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";

export interface TcpProxy {
  /** `http://127.0.0.1:<proxy port>` */
  url: string;
  /** Links opened so far. */
  readonly links: number;
  /** Destroys every open link, both sides. New connections are accepted afterwards. */
  cut(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let links = 0;
  const server = createServer((downstream) => {
    links++;
    const upstream = connect(targetPort, "127.0.0.1");
    for (const socket of [downstream, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
      socket.on("error", () => {
        downstream.destroy();
        upstream.destroy();
      });
    }
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get links() {
      return links;
    },
    cut() {
      for (const socket of open) socket.destroy();
      open.clear();
    },
    async close() {
      for (const socket of open) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}
