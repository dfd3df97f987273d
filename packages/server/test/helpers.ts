// Shared by the server tests: a server on 127.0.0.1:0 and socket.io-client sockets to it,
// everything closed by `cleanup()`.
import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  io as ioc,
  type ManagerOptions,
  type Socket as ClientSocket,
  type SocketOptions,
} from "socket.io-client";
import { Server, type ServerOptions } from "volley";

export type TransportMode = "polling" | "websocket" | "upgrade";

export const MODES: TransportMode[] = ["polling", "websocket", "upgrade"];

export function clientTransports(mode: TransportMode): Partial<ManagerOptions> {
  if (mode === "polling") return { transports: ["polling"] };
  if (mode === "websocket") return { transports: ["websocket"] };
  return { transports: ["polling", "websocket"], upgrade: true };
}

export interface Harness {
  io: Server;
  http: HttpServer;
  port: number;
  url: string;
  client(nsp?: string, opts?: Partial<ManagerOptions & SocketOptions>): ClientSocket;
  cleanup(): Promise<void>;
}

export async function setup(opts: ServerOptions = {}, mode: TransportMode = "websocket"): Promise<Harness> {
  // The application's own handler: whatever the server leaves alone gets a 404.
  const http = createServer((_req, res) => res.writeHead(404).end("application 404"));
  const io = new Server(http, opts);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const clients: ClientSocket[] = [];
  return {
    io,
    http,
    port,
    url,
    client(nsp = "/", copts = {}) {
      const socket = ioc(`${url}${nsp}`, {
        forceNew: true,
        reconnection: false,
        ...clientTransports(mode),
        ...copts,
      });
      clients.push(socket);
      return socket;
    },
    async cleanup() {
      for (const c of clients) {
        c.io.opts.reconnection = false;
        c.disconnect();
        c.io.engine?.close();
      }
      await io.close();
    },
  };
}

/** Resolves with the arguments of the next `event`. */
export function next<T = unknown[]>(
  emitter: { once(ev: string, fn: (...args: never[]) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => {
    emitter.once(event, ((...args: unknown[]) => resolve(args as T)) as (...args: never[]) => void);
  });
}

/** Waits for `n` calls of a counter-style callback. */
export function countdown(n: number): { done: Promise<void>; tick: () => void } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  let left = n;
  if (left <= 0) resolve();
  return {
    done,
    tick: () => {
      if (--left === 0) resolve();
    },
  };
}
