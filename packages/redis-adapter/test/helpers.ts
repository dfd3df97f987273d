// Shared by the Redis adapter tests: a Redis of the test file's own (started on a free loopback port
// and stopped after; never a shared one), unique key prefixes, in-process nodes, bounded waits.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { createServer } from "node:http";
import { type AddressInfo, createServer as createNetServer, Socket as NetSocket } from "node:net";
import { after, before } from "node:test";
import { Redis } from "ioredis";
import {
  io as ioc,
  type ManagerOptions,
  type Socket as ClientSocket,
  type SocketOptions,
} from "socket.io-client";
import { type AdapterConstructor, Server, type ServerOptions } from "volley";
import { createAdapter, type RedisAdapterOptions } from "../src/index.js";

export interface RedisHandle {
  port: number;
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

async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A throwaway redis-server of this test file on a free loopback port (never a shared one). */
export async function ensureRedis(): Promise<RedisHandle> {
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  for (let i = 0; i < 100 && !(await ping(port)); i++) await sleepTick(50);
  return {
    port,
    async stop() {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

/** A redis-server of the test's own, on a free loopback port: killed (SIGKILL) and started again on it. */
export interface OwnRedis {
  port: number;
  /** SIGKILL, and wait for the process to end. */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves once it answers PING. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let child: ReturnType<typeof spawn> | undefined;
  const handle: OwnRedis = {
    port,
    async start() {
      child = spawn(
        "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        { stdio: "ignore" },
      );
      for (let i = 0; i < 200 && !(await ping(port)); i++) await sleepTick(20);
      if (!(await ping(port))) throw new Error(`redis-server did not start on port ${port}`);
    },
    async kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
    stop: () => handle.kill(),
  };
  await handle.start();
  return handle;
}

/**
 * The Redis of a test file: found or started before its tests, its keys removed (or it stopped)
 * after them. Call at the top level of the file; `port` is valid inside tests.
 */
export function useRedis(): { readonly port: number } {
  let redis: RedisHandle | undefined;
  before(async () => {
    redis = await ensureRedis();
  });
  after(async () => {
    await redis?.stop();
  });
  return {
    get port() {
      if (!redis) throw new Error("useRedis: the Redis is only known once the file's tests run");
      return redis.port;
    },
  };
}

/** Disconnects clients for good (no reconnection attempt after). */
export function closeClients(clients: Iterable<ClientSocket>): void {
  for (const c of clients) {
    c.io.opts.reconnection = false;
    c.disconnect();
  }
}

/** A key prefix no other test run uses. */
export function uniqueKey(): string {
  return `volley-test-${process.pid}-${randomBytes(4).toString("hex")}`;
}

function sleepTick(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `condition` until true; fails after `tries` attempts (a bound, not a timing assertion).
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  tries = 400,
): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await condition()) return;
    await sleepTick(10);
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A server of a test cluster, in this process, whatever its backend. */
export interface ServerNode {
  io: Server;
  url: string;
  port: number;
  client(nsp?: string, opts?: Partial<ManagerOptions & SocketOptions>): ClientSocket;
  close(): Promise<void>;
}

/** A server with the Redis adapter, and its two connections. */
export interface Node extends ServerNode {
  pub: Redis;
  sub: Redis;
}

/** A server on 127.0.0.1:0 with `adapter`; `release` runs after `io.close()` (closing connections). */
export async function startServer(
  adapter: AdapterConstructor,
  serverOpts: ServerOptions = {},
  release: () => Promise<unknown> = async () => {},
): Promise<ServerNode> {
  const http = createServer();
  const io = new Server(http, { ...serverOpts, adapter });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const port = (http.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const clients: ClientSocket[] = [];
  return {
    io,
    url,
    port,
    client(nsp = "/", copts = {}) {
      const socket = ioc(`${url}${nsp}`, {
        forceNew: true,
        reconnection: false,
        transports: ["websocket"],
        ...copts,
      });
      clients.push(socket);
      return socket;
    },
    async close() {
      closeClients(clients);
      await io.close();
      await release();
    },
  };
}

/** A server on 127.0.0.1:0 with the Redis adapter, in this process. */
export async function startNode(
  redisPort: number,
  adapterOpts: RedisAdapterOptions,
  serverOpts: ServerOptions = {},
): Promise<Node> {
  const pub = new Redis(redisPort, "127.0.0.1", { lazyConnect: false });
  const sub = pub.duplicate();
  const node = await startServer(createAdapter(pub, sub, adapterOpts), serverOpts, () =>
    Promise.allSettled([pub.quit(), sub.quit()]),
  );
  return { ...node, pub, sub };
}

/** Resolves with the arguments of the next `event`. */
export function next<T extends unknown[] = unknown[]>(
  emitter: { once(ev: string, fn: (...args: never[]) => void): unknown },
  event: string,
): Promise<T> {
  return new Promise((resolve) => {
    emitter.once(event, ((...args: unknown[]) => resolve(args as T)) as (...args: never[]) => void);
  });
}

/** Waits until every node sees `count` servers. */
export async function untilClustered(nodes: ServerNode[], count = nodes.length, nsp = "/"): Promise<void> {
  await until(
    async () => {
      for (const node of nodes) if ((await node.io.of(nsp).adapter.serverCount()) !== count) return false;
      return true;
    },
    `${count} servers in the cluster`,
    2000,
  );
}

/** Connects a client and resolves once connected. */
export async function connected(socket: ClientSocket): Promise<ClientSocket> {
  if (!socket.connected) await next(socket, "connect");
  return socket;
}

/** A Redis Cluster of three masters (no replicas) of the test's own, on free loopback ports. */
export interface OwnRedisCluster {
  ports: number[];
  /** SIGKILLs master `i` and waits for its process to end. */
  kill(i: number): Promise<void>;
  /** Starts master `i` again (same port and node file: it rejoins) and waits until the cluster is ok. */
  restart(i: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisCluster(): Promise<OwnRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), "volley-cluster-"));
  const ports = [await freePort(), await freePort(), await freePort()];
  const spawnMaster = (port: number) =>
    spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(dir, `nodes-${port}.conf`),
        "--cluster-node-timeout",
        "2000",
      ],
      { stdio: "ignore", cwd: dir },
    );
  const children = ports.map(spawnMaster);
  const untilOk = async () => {
    // Every master must agree the cluster is up before clients use it.
    for (const port of ports) {
      const client = new Redis(port, "127.0.0.1", { lazyConnect: true });
      try {
        for (let i = 0; i < 1000; i++) {
          const info = await client.call("CLUSTER", "INFO").catch(() => "");
          if (String(info).includes("cluster_state:ok")) break;
          await sleepTick(20);
        }
      } finally {
        client.disconnect();
      }
    }
  };
  const kill = async (i: number) => {
    const child = children[i]!;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  };
  const stop = async () => {
    await Promise.all(children.map((_, i) => kill(i)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      for (let i = 0; i < 200 && !(await ping(port)); i++) await sleepTick(20);
    }
    const create = spawn(
      "redis-cli",
      [
        "--cluster",
        "create",
        ...ports.map((p) => `127.0.0.1:${p}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ],
      { stdio: "ignore" },
    );
    const [code] = await once(create, "exit");
    if (code !== 0) throw new Error(`redis-cli --cluster create exited with ${code}`);
    await untilOk();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ports,
    kill,
    async restart(i: number) {
      await kill(i);
      children[i] = spawnMaster(ports[i]!);
      for (let n = 0; n < 200 && !(await ping(ports[i]!)); n++) await sleepTick(20);
      await untilOk();
    },
    stop,
  };
}
