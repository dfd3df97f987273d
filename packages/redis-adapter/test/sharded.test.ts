// The cluster suite on a real Redis Cluster of three masters, started by this test on loopback
// ports, with sharded pub/sub (SSUBSCRIBE/SPUBLISH) through ioredis `Cluster` clients — plus
// connection-state recovery across servers, whose stream and script live in the namespace's slot.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Cluster } from "ioredis";
import { io as ioc } from "socket.io-client";
import type { Socket } from "volley";
import { createAdapter, type RedisAdapterOptions } from "../src/index.js";
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
