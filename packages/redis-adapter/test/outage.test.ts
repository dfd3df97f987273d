// Redis goes away (SIGKILL) and comes back on the same port, with connection-state recovery on:
// every node keeps serving its own clients at once, broadcasts made meanwhile reach the other nodes
// once Redis is back (or are counted and reported lost when they overflow the outage buffer), and
// the cluster is whole again quickly. The test runs its own redis-server, never the shared one.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import type { ClusterAdapterError, Socket } from "volley";
import { createAdapter, type RedisAdapterOptions } from "../src/index.js";
import {
  connected,
  type OwnRedis,
  type ServerNode,
  startOwnRedis,
  startServer,
  uniqueKey,
  until,
  untilClustered,
} from "./helpers.js";

let redis: OwnRedis;
before(async () => {
  redis = await startOwnRedis();
});
after(async () => {
  await redis.stop();
});

/** A node whose clients retry every 100 ms at most (the README's advice for quick resumption). */
async function node(key: string, opts: RedisAdapterOptions = {}): Promise<ServerNode & { pub: Redis }> {
  const pub = new Redis(redis.port, "127.0.0.1", { retryStrategy: (n) => Math.min(n * 20, 100) });
  const sub = pub.duplicate();
  pub.on("error", () => {});
  sub.on("error", () => {});
  const server = await startServer(
    createAdapter(pub, sub, { key, ...opts }),
    { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } },
    async () => {
      pub.disconnect();
      sub.disconnect();
    },
  );
  server.io.on("connection", (socket: Socket) => {
    socket.on("join", async (room: string, ack: () => void) => {
      await socket.join(room);
      ack();
    });
  });
  return { ...server, pub };
}

describe("Redis outage", () => {
  test("local clients served during the outage; kept broadcasts delivered after; overflow reported; resumption measured", async () => {
    const key = uniqueKey();
    const nodes = [await node(key, { outageBufferMaxPackets: 3 }), await node(key)];
    try {
      await untilClustered(nodes);
      const local = await connected(nodes[0]!.client());
      const remote = await connected(nodes[1]!.client());
      await remote.emitWithAck("join", "room");
      const errors: ClusterAdapterError[] = [];
      nodes[0]!.io.of("/").adapter.on("error", (err: ClusterAdapterError) => errors.push(err));
      nodes[1]!.io.of("/").adapter.on("error", () => {});
      const localGot: unknown[] = [];
      const remoteGot: unknown[] = [];
      local.on("news", (n: unknown) => localGot.push(n));
      remote.on("news", (n: unknown) => remoteGot.push(n));

      await redis.kill();
      await until(() => nodes.every((n) => n.pub.status !== "ready"), "both nodes see Redis gone");
      // Logged broadcasts (recovery is on) no longer wait for their echo from Redis.
      for (const n of [1, 2, 3]) nodes[0]!.io.emit("news", n);
      nodes[0]!.io.to("room").emit("news", 4);
      await until(() => localGot.length === 3, "local client served during the outage");
      assert.deepEqual(localGot, [1, 2, 3]);
      const lostNow = errors.filter((e) => e.code === "BROADCASTS_LOST");
      assert.equal(lostNow.length, 1, "the overflow is reported at once");

      await redis.start();
      const back = Date.now();
      await until(() => remoteGot.length === 3, "kept broadcasts delivered after Redis returned", 1000);
      const delivered = Date.now() - back;
      assert.deepEqual(remoteGot, [1, 2, 3]);
      const total = errors.filter((e) => e.code === "BROADCASTS_LOST").at(-1)!;
      assert.equal(total.lost, 1, "the broadcast that did not fit is counted");

      // Whole again: a fresh broadcast each way, and both nodes count two servers.
      await untilClustered(nodes);
      const freshLocal = new Promise<void>((resolve) =>
        local.on("news", (n: unknown) => n === "b" && resolve()),
      );
      const freshRemote = new Promise<void>((resolve) =>
        remote.on("news", (n: unknown) => n === "a" && resolve()),
      );
      nodes[0]!.io.emit("news", "a");
      nodes[1]!.io.emit("news", "b");
      await Promise.all([freshLocal, freshRemote]);
      const resumed = Date.now() - back;
      process.stdout.write(
        `# Redis back: kept broadcasts delivered after ${delivered} ms, cluster whole after ${resumed} ms\n`,
      );
      assert.ok(resumed < 1000, `resumed after ${resumed} ms`);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });
});
