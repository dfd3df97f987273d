// The cluster suite on Redis (servers in this process, each with its own Redis connections), and
// what only Redis has: malformed messages on its channels, and a Redis that cannot be reached.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { Redis } from "ioredis";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import { Server } from "volley";
import { createAdapter, RedisAdapterError } from "../src/index.js";
import { clusterSuite } from "./cluster-suite.js";
import {
  connected,
  next,
  type Node,
  type ServerNode,
  startNode,
  uniqueKey,
  until,
  untilClustered,
  useRedis,
} from "./helpers.js";

const redis = useRedis();

clusterSuite({
  name: "Redis",
  key: uniqueKey,
  start: (key, opts) => startNode(redis.port, { key, ...opts }),
  async kill(node: ServerNode) {
    const { pub, sub } = node as Node;
    node.io.of("/").adapter.on("error", () => {});
    // Dropped without QUIT: to Redis this is exactly a process killed with SIGKILL.
    pub.disconnect();
    sub.disconnect();
    await node.close();
  },
});

async function cluster(n: number): Promise<Node[]> {
  const key = uniqueKey();
  const nodes: Node[] = [];
  for (let i = 0; i < n; i++) nodes.push(await startNode(redis.port, { key }));
  await untilClustered(nodes);
  return nodes;
}

async function closeAll(nodes: Node[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.close()));
}

/** A connected client of `node`. */
async function member(node: Node): Promise<ClientSocket> {
  return connected(node.client());
}

describe("redis adapter, what only Redis has", () => {
  test("malformed messages on the adapter's channels are reported, never thrown", async () => {
    const nodes = await cluster(2);
    try {
      const adapter = nodes[0]!.io.of("/").adapter;
      const errors: Array<{ code: string; message: string }> = [];
      adapter.on("error", (err: { code: string; message: string }) => errors.push(err));
      const key = (adapter as unknown as { channels: { all: string; request: string } }).channels;
      await nodes[1]!.pub.publish(key.all, "not a frame");
      await nodes[1]!.pub.publish(key.request, Buffer.from([1, 0, 0, 0, 2, 0x7b, 0x7d, 0, 0, 0, 0]));
      await nodes[1]!.pub.publish(key.all, Buffer.from([2, 0x78, 0]));
      await until(() => errors.length === 3, "three errors");
      assert.ok(errors.every((e) => e.code === "MALFORMED_MESSAGE"));
      // Still working afterwards.
      const client = await member(nodes[0]!);
      const got = next(client, "after");
      nodes[1]!.io.emit("after", 1);
      assert.deepEqual(await got, [1]);
    } finally {
      await closeAll(nodes);
    }
  });

  test("Redis unreachable: local sockets still get broadcasts, failures are reported as values, close does not hang", async () => {
    // Port 1 on loopback refuses connections; no retries, no offline queue: every command fails at once.
    const options = { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null } as const;
    const pub = new Redis(1, "127.0.0.1", options);
    const sub = new Redis(1, "127.0.0.1", options);
    pub.on("error", () => {});
    sub.on("error", () => {});
    const errors: unknown[] = [];
    const http = createServer();
    const io = new Server(http, {
      adapter: createAdapter(pub, sub, { key: uniqueKey(), requestsTimeout: 200 }),
    });
    io.on("error", (err) => errors.push(err));
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const client = ioc(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
    });
    try {
      await connected(client);
      const got = next(client, "local");
      io.emit("local", "still here");
      assert.deepEqual(await got, ["still here"]);
      assert.deepEqual(
        (await io.fetchSockets()).map((s) => s.id),
        [client.id],
      );
      await until(() => errors.length > 0, "an error reported");
      assert.ok(
        errors.every((e) => e instanceof RedisAdapterError && e.code === "REDIS_ERROR"),
        String(errors[0]),
      );
    } finally {
      client.disconnect();
      await io.close();
      pub.disconnect();
      sub.disconnect();
    }
  });
});
