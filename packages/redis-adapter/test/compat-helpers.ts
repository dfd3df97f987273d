// Shared by the socket.io compat tests: a redis-server of their own on a port of 7400–7499, Volley
// nodes in compat mode and real socket.io nodes with the official @socket.io/redis-adapter, each
// with its own two Redis connections, in this process.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Socket as NetSocket } from "node:net";
import { createAdapter as createSocketIoAdapter } from "@socket.io/redis-adapter";
import { Redis } from "ioredis";
import { Server as SocketIoServer } from "socket.io";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import type { Server as VolleyServer } from "volley";
import { closeClients, startNode } from "./helpers.js";

export interface TestRedis {
  port: number;
  /** SIGKILL, and wait for the process to end. */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers PING. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new NetSocket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, "127.0.0.1", () => {
      socket.write("PING\r\n");
      socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
    });
  });
}

/** A redis-server on `port`, or undefined when it could not start there (the port is taken). */
async function spawnRedis(port: number): Promise<ChildProcess | undefined> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const exited = once(child, "exit");
  // Bounded: redis-server answers within a few ms, or exits at once when the port is taken.
  for (let i = 0; i < 200 && child.exitCode === null; i++) {
    if (await ping(port)) return child;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (child.exitCode === null) child.kill("SIGKILL");
  await exited;
  return undefined;
}

/** Starts redis-server on the first port of `from..to` it can bind. */
export async function startRedisInRange(from: number, to: number): Promise<TestRedis> {
  for (let port = from; port <= to; port++) {
    if (await ping(port)) continue; // someone else's
    let child = await spawnRedis(port);
    if (!child) continue;
    const handle: TestRedis = {
      port,
      async kill() {
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, "exit");
        child.kill("SIGKILL");
        await exited;
      },
      async start() {
        child = await spawnRedis(port);
        if (!child) throw new Error(`redis-server did not start again on port ${port}`);
      },
      stop: () => handle.kill(),
    };
    return handle;
  }
  throw new Error(`no free port for redis-server in ${from}..${to}`);
}

/** What the tests use of a server, whichever kind it is (the APIs are the same). */
export interface AnyNode {
  kind: "volley" | "socket.io";
  io: VolleyServer;
  url: string;
  pub: Redis;
  sub: Redis;
  /** A connected client of this node (websocket, no reconnection). */
  member(query?: Record<string, string>): Promise<ClientSocket>;
  close(): Promise<void>;
}

/** A Volley server with `compat: "socket.io"` on key `key`; resolves once it has joined. */
export async function startVolley(redisPort: number, key: string, requestsTimeout = 3000): Promise<AnyNode> {
  const node = await startNode(redisPort, { compat: "socket.io", key, requestsTimeout });
  await node.io.of("/").adapter.whenJoined();
  return {
    kind: "volley",
    io: node.io,
    url: node.url,
    pub: node.pub,
    sub: node.sub,
    member: (query) => connect(node.client("/", query ? { query } : {})),
    close: () => node.close(),
  };
}

/** A socket.io server with the official Redis adapter on key `key`; resolves once it is subscribed. */
export async function startSocketIo(
  redisPort: number,
  key: string,
  requestsTimeout = 3000,
  extra: { publishOnSpecificResponseChannel?: boolean } = {},
): Promise<AnyNode> {
  const pub = new Redis(redisPort, "127.0.0.1");
  const sub = pub.duplicate();
  const http = createServer();
  const io = new SocketIoServer(http, {
    adapter: createSocketIoAdapter(pub, sub, { key, requestsTimeout, ...extra }),
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  // The adapter queued its SUBSCRIBEs when the main namespace was created: a PING queued after them
  // is answered once Redis has confirmed them.
  await sub.ping();
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clients: ClientSocket[] = [];
  return {
    kind: "socket.io",
    io: io as unknown as VolleyServer,
    url,
    pub,
    sub,
    member(query) {
      const socket = ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"], query });
      clients.push(socket);
      return connect(socket);
    },
    async close() {
      closeClients(clients);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}

async function connect(socket: ClientSocket): Promise<ClientSocket> {
  if (!socket.connected) await once(socket as unknown as NodeJS.EventEmitter, "connect");
  return socket;
}

/** Resolves with the arguments of the next `event` on `socket`. */
export function nextEvent<T extends unknown[] = unknown[]>(socket: ClientSocket, event: string): Promise<T> {
  return new Promise((resolve) => socket.once(event, (...args: unknown[]) => resolve(args as T)));
}

/** Rejects after `ms` with `what`: a hang guard, never a timing assertion. */
export function guard<T>(promise: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`hang guard: ${what}`)), ms);
    }),
  ]);
}
