// Shared test plumbing: real servers on 127.0.0.1:0, our client, and cleanup of everything opened.
import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { WebSocketConstructor } from "@volley/engine/client";
import { io, type ManagerOptions, type Socket, type SocketOptions } from "@volley/client";
import { Server, type ServerOptions } from "socket.io";

// Our @volley/websocket is the Node default; until its client exists, `ws` (same API) stands in.
async function pickWebSocket(): Promise<WebSocketConstructor | undefined> {
  try {
    const mod = (await import("@volley/websocket" as string)) as { WebSocket?: WebSocketConstructor };
    if (mod.WebSocket) return undefined;
  } catch {
    // not written yet
  }
  return (await import("ws")).WebSocket as unknown as WebSocketConstructor;
}
export const WebSocketImpl = await pickWebSocket();

export interface SioHarness {
  url: string;
  port: number;
  io: Server;
  http: HttpServer;
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void> | void> = [];

/** Closes every server and client opened through these helpers (call from `after`). */
export async function cleanup(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()!();
}

export async function startSocketIo(opts: Partial<ServerOptions> = {}, port = 0): Promise<SioHarness> {
  const http = createServer();
  const server = new Server(http, opts);
  http.listen(port, "127.0.0.1");
  await once(http, "listening");
  const actual = (http.address() as AddressInfo).port;
  let closed = false;
  const harness: SioHarness = {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    io: server,
    http,
    async close() {
      if (closed) return;
      closed = true;
      http.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  cleanups.push(() => harness.close());
  return harness;
}

export type ClientOptions = ManagerOptions & SocketOptions;

/** Our client, on a fresh connection, with fast reconnection; disconnected at cleanup. */
export function connect(url: string, opts: ClientOptions = {}): Socket {
  const socket = io(url, {
    forceNew: true,
    WebSocket: WebSocketImpl,
    reconnectionDelay: 20,
    reconnectionDelayMax: 100,
    randomizationFactor: 0,
    ...opts,
  });
  cleanups.push(() => {
    socket.io.disconnect();
  });
  return socket;
}

/** Resolves with the arguments of the next `event`. */
export function next<T extends unknown[] = unknown[]>(
  emitter: { once(event: string, fn: (...args: never[]) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => emitter.once(event, ((...args: T) => resolve(args)) as never));
}

export async function connected(socket: Socket): Promise<void> {
  if (socket.connected) return;
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
}

export const modes: Array<[string, ClientOptions]> = [
  ["polling only", { transports: ["polling"] }],
  ["websocket only", { transports: ["websocket"] }],
  ["polling with upgrade", { transports: ["polling", "websocket"] }],
];
