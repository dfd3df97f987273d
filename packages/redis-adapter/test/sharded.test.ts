// The cluster suite on a real Redis Cluster of three masters, started by this test on loopback
// ports, with sharded pub/sub (SSUBSCRIBE/SPUBLISH) through ioredis `Cluster` clients — plus
// connection-state recovery across servers, whose stream and script live in the namespace's slot.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Cluster, Redis } from "ioredis";
import { io as ioc } from "socket.io-client";
import type { Socket } from "volley";
import { createAdapter, type RedisAdapterOptions } from "../src/index.js";
import type { RedisRecovery } from "../src/redis-recovery.js";
import { clusterSuite } from "./cluster-suite.js";
import { startBalancer } from "./processes.js";
import {
  closeClients,
  connected,
  next,
  type OwnRedisCluster,
  type ServerNode,
  startRedisCluster,
  startServer,
  uniqueKey,
  until,
  untilClustered,
} from "./helpers.js";

let redis: OwnRedisCluster;
before(async () => {
  redis = await startRedisCluster();
});
after(async () => {
  await redis?.stop();
});

interface ShardedNode extends ServerNode {
  pub: Cluster;
  sub: Cluster;
}

async function start(key: string, opts: RedisAdapterOptions, serverOpts = {}): Promise<ShardedNode> {
  const nodes = redis.ports.map((port) => ({ host: "127.0.0.1", port }));
  const pub = new Cluster(nodes, { shardedSubscribers: true });
  const sub = new Cluster(nodes, { shardedSubscribers: true });
  const node = await startServer(
    createAdapter(pub, sub, { key, sharded: true, ...opts }),
    serverOpts,
    async () => {
      pub.disconnect();
      sub.disconnect();
    },
  );
  return { ...node, pub, sub };
}

clusterSuite({
  name: "a Redis Cluster (sharded pub/sub)",
  key: uniqueKey,
  start: (key, opts) => start(key, opts),
  async kill(node: ServerNode) {
    const { pub, sub } = node as ShardedNode;
    node.io.of("/").adapter.on("error", () => {});
    pub.disconnect();
    sub.disconnect();
    await node.close();
  },
});

describe("Redis Cluster: connection-state recovery", () => {
  test("a client reconnecting to another server gets what it missed", async () => {
    const key = uniqueKey();
    const recovery = { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } };
    const nodes = [await start(key, {}, recovery), await start(key, {}, recovery)];
    const clients: ReturnType<typeof ioc>[] = [];
    const closers: Array<() => Promise<void>> = [];
    try {
      for (const node of nodes) {
        node.io.on("connection", (socket: Socket) => {
          socket.on("join", async (room: string, ack: () => void) => {
            await socket.join(room);
            ack();
          });
        });
      }
      await untilClustered(nodes);
      // Through a TCP balancer: the client reconnects (recoverably) to the other server.
      const balancer = await startBalancer(nodes[0]!.port);
      closers.push(() => balancer.close());
      const socket = ioc(balancer.url, {
        forceNew: true,
        transports: ["websocket"],
        reconnectionDelay: 20,
        randomizationFactor: 0,
      });
      clients.push(socket);
      const got: string[] = [];
      socket.on("news", (text: string) => got.push(text));
      await connected(socket);
      await socket.emitWithAck("join", "news");
      const sid = socket.id;
      const first = next(socket, "news");
      nodes[1]!.io.to("news").emit("news", "one");
      await first;
      balancer.target = nodes[1]!.port;
      const back = next(socket, "connect");
      const dropped = next(socket, "disconnect");
      socket.io.engine.close();
      await dropped;
      nodes[0]!.io.to("news").emit("news", "two");
      nodes[1]!.io.to("elsewhere").emit("news", "not for it");
      await back;
      assert.equal(socket.recovered, true);
      assert.equal(socket.id, sid);
      await until(() => got.length >= 2, "replay");
      nodes[0]!.io.to("news").emit("news", "three");
      await until(() => got.includes("three"), "live again");
      assert.deepEqual(got, ["one", "two", "three"]);
    } finally {
      closeClients(clients);
      for (const close of closers) await close();
      await Promise.all(nodes.map((n) => n.close()));
    }
  });
});

describe("Redis Cluster: a read of the stream", () => {
  test("publishes its marker in the stream's slot, and it reaches the reading server", async () => {
    const key = uniqueKey();
    const recovery = { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } };
    const node = await start(key, {}, recovery);
    try {
      const adapter = node.io.of("/").adapter;
      await adapter.whenJoined();
      const backend = (adapter as unknown as { recovery: RedisRecovery }).recovery;
      // Nothing logged yet: an empty read, which publishes its marker too.
      const read = await backend.readAfter("0-0");
      assert.deepEqual(read?.entries, []);
      let passed = false;
      void read?.passed?.then(() => {
        passed = true;
      });
      await until(() => passed, "the read's marker");
    } finally {
      await node.close();
    }
  });
});

describe("Redis Cluster: rooms spread over the masters", () => {
  test("each room's channel is in the room's own slot, so rooms live on every master", async () => {
    const key = uniqueKey();
    const nodes = [await start(key, {}), await start(key, {})];
    const clients: ReturnType<typeof ioc>[] = [];
    try {
      const rooms = Array.from({ length: 30 }, (_, i) => `room-${i}`);
      nodes[0]!.io.on("connection", async (socket: Socket) => {
        await socket.join(rooms);
        socket.emit("joined");
      });
      await untilClustered(nodes);
      const socket = ioc(nodes[0]!.url, { forceNew: true, transports: ["websocket"] });
      clients.push(socket);
      const got: string[] = [];
      socket.on("news", (room: string) => got.push(room));
      await next(socket, "joined");
      // Which master holds each subscribed room channel.
      const holders = new Set<number>();
      for (const [i, port] of redis.ports.entries()) {
        const master = new Redis(port, "127.0.0.1");
        try {
          const channels = (await master.call("PUBSUB", "SHARDCHANNELS", `{${key}#/#room-*`)) as string[];
          if (channels.length > 0) holders.add(i);
        } finally {
          master.disconnect();
        }
      }
      assert.ok(holders.size >= 2, `room channels on ${holders.size} master(s)`);
      // And each room still gets its broadcasts from the other server.
      for (const room of rooms) nodes[1]!.io.to(room).emit("news", room);
      await until(() => got.length >= rooms.length, "every room's broadcast");
      assert.deepEqual([...got].sort(), [...rooms].sort());
    } finally {
      closeClients(clients);
      await Promise.all(nodes.map((n) => n.close()));
    }
  });
});

describe("Redis Cluster: a master killed and restarted", () => {
  test("servers serve their own clients while the cluster is down and resume across servers when it is back", async () => {
    const key = uniqueKey();
    const nodes = [await start(key, {}), await start(key, {})];
    const clients: ReturnType<typeof ioc>[] = [];
    const errors: string[] = [];
    try {
      for (const node of nodes)
        node.io.of("/").adapter.on("error", (err) => errors.push(String((err as { code?: string }).code)));
      await untilClustered(nodes);
      const sockets = nodes.map((n) => ioc(n.url, { forceNew: true, transports: ["websocket"] }));
      clients.push(...sockets);
      const got = sockets.map(() => [] as string[]);
      for (const [i, s] of sockets.entries()) s.on("news", (text: string) => got[i]!.push(text));
      await Promise.all(sockets.map(connected));
      nodes[0]!.io.emit("news", "before");
      await until(() => got.every((g) => g.includes("before")), "before the outage");

      // No replicas: the killed master's slots are lost, and with cluster-require-full-coverage
      // (the default) the whole cluster refuses commands after cluster-node-timeout (2 s here).
      await redis.kill(0);
      nodes[0]!.io.emit("news", "during");
      await until(() => got[0]!.includes("during"), "its own client served during the outage", 2000);

      await redis.restart(0);
      // Back: broadcasts cross servers again (ioredis reconnects and the adapter resubscribes).
      let n = 0;
      await until(
        async () => {
          nodes[1]!.io.emit("news", `after-${n++}`);
          await sleep(50);
          return got[0]!.some((t) => t.startsWith("after-"));
        },
        "broadcasts across servers again",
        600,
      );
      // What was sent during the outage reaches the other server once Redis is back, or is reported.
      await until(
        () => got[1]!.includes("during") || errors.length > 0,
        "the outage broadcast delivered or reported",
      );
      const during = got[1]!.includes("during");
      assert.ok(
        during || errors.length > 0,
        "a broadcast of the outage is delivered or reported, never silently lost",
      );
      console.log(
        `# master killed and restarted: outage broadcast ${during ? "delivered after" : "reported"}; errors: ${[...new Set(errors)].join(", ") || "none"}`,
      );
    } finally {
      closeClients(clients);
      await Promise.all(nodes.map((n) => n.close()));
    }
  });
});
