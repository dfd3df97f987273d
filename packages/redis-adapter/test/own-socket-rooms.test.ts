// A socket's own room without a Redis subscription per socket: ids name their node, and each node
// subscribes once to the pattern of its sockets' room channels. Checked on real Redis: no channel
// per socket, `io.to(socket.id)` from another server arrives once, a room named after a socket id
// keeps its meaning for sockets elsewhere, and a socket restored on another server (same id) is
// still reached.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Redis } from "ioredis";
import { io as ioc } from "socket.io-client";
import type { ClusterAdapter, Socket } from "volley";
import { startBalancer } from "./processes.js";
import {
  closeClients,
  connected,
  next,
  type Node,
  startNode,
  uniqueKey,
  until,
  untilClustered,
  useRedis,
} from "./helpers.js";

const redis = useRedis();
let admin: Redis | undefined;
after(() => admin?.disconnect());

/** Channels of this key that Redis has subscribers for. */
async function channels(key: string): Promise<string[]> {
  admin ??= new Redis(redis.port, "127.0.0.1");
  return (await admin.call("PUBSUB", "CHANNELS", `${key}*`)) as string[];
}

describe("a socket's own room: one pattern per server, no channel per socket", () => {
  test("no SUBSCRIBE per connection; to(socket.id) from another server arrives once", async () => {
    const key = uniqueKey();
    const nodes = [await startNode(redis.port, { key }), await startNode(redis.port, { key })];
    try {
      await untilClustered(nodes);
      const before = await channels(key);
      const clients = await Promise.all(Array.from({ length: 20 }, () => connected(nodes[0]!.client())));
      const uid = (nodes[0]!.io.of("/").adapter as ClusterAdapter).uid;
      for (const c of clients) assert.ok(c.id!.startsWith(`${uid}.`), `${c.id} names its server`);
      assert.deepEqual((await channels(key)).sort(), before.sort(), "no channel per socket");
      assert.ok(Number(await admin!.call("PUBSUB", "NUMPAT")) >= 2, "a pattern per server");

      const got: unknown[][] = clients.map(() => []);
      for (const [i, c] of clients.entries()) c.on("direct", (n: number) => got[i]!.push(n));
      for (const [i, c] of clients.entries()) nodes[1]!.io.to(c.id!).emit("direct", i);
      nodes[1]!.io.emit("end");
      await Promise.all(clients.map((c) => next(c, "end")));
      await until(() => got.every((g) => g.length >= 1), "every direct message");
      assert.deepEqual(
        got,
        clients.map((_, i) => [i]),
      );
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });

  test("a room named after a socket id reaches the sockets that joined it on other servers", async () => {
    const key = uniqueKey();
    const nodes = [await startNode(redis.port, { key }), await startNode(redis.port, { key })];
    try {
      for (const node of nodes)
        node.io.on("connection", (socket: Socket) => {
          socket.on("join", async (room: string, ack: () => void) => {
            await socket.join(room);
            ack();
          });
        });
      await untilClustered(nodes);
      const owner = await connected(nodes[0]!.client());
      const sameNode = await connected(nodes[0]!.client());
      const elsewhere = await connected(nodes[1]!.client());
      await sameNode.emitWithAck("join", owner.id);
      await elsewhere.emitWithAck("join", owner.id);
      const got = [owner, sameNode, elsewhere].map(() => [] as string[]);
      for (const [i, c] of [owner, sameNode, elsewhere].entries())
        c.on("news", (t: string) => got[i]!.push(t));
      // From another server: through the room's channel, which the owner's pattern covers.
      nodes[1]!.io.to(owner.id!).emit("news", "from the other");
      const ends = [owner, sameNode, elsewhere].map((c) => next(c, "end"));
      nodes[1]!.io.emit("end");
      await Promise.all(ends);
      await until(() => got.every((g) => g.length >= 1), "the message everywhere");
      assert.deepEqual(got, [["from the other"], ["from the other"], ["from the other"]]);
      // From the socket's own server: its members there (a broadcast to a local socket's id is not
      // published, see the README's limits).
      nodes[0]!.io.to(owner.id!).emit("news", "from its server");
      await until(() => got[0]!.length >= 2 && got[1]!.length >= 2, "local members");
      assert.deepEqual(got.slice(0, 2), [
        ["from the other", "from its server"],
        ["from the other", "from its server"],
      ]);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });

  test("a socket restored on another server keeps its id and is reached there", async () => {
    const key = uniqueKey();
    const recovery = { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } };
    const nodes: Node[] = [
      await startNode(redis.port, { key }, recovery),
      await startNode(redis.port, { key }, recovery),
    ];
    const balancer = await startBalancer(nodes[0]!.port);
    const socket = ioc(balancer.url, {
      forceNew: true,
      transports: ["websocket"],
      reconnectionDelay: 20,
      randomizationFactor: 0,
    });
    try {
      await untilClustered(nodes);
      await connected(socket);
      const id = socket.id!;
      const got: string[] = [];
      socket.on("direct", (t: string) => got.push(t));
      balancer.target = nodes[1]!.port;
      const back = next(socket, "connect");
      socket.io.engine.close();
      await back;
      assert.equal(socket.recovered, true);
      assert.equal(socket.id, id);
      assert.equal(nodes[1]!.io.of("/").sockets.has(id), true, "restored on the other server");
      nodes[0]!.io.to(id).emit("direct", "via its first server's peer");
      nodes[1]!.io.to(id).emit("direct", "from where it is");
      await until(() => got.length >= 2, "both direct messages");
      // Each server's broadcasts arrive in order: after both ends, nothing else is on its way.
      let ends = 0;
      socket.on("end", () => ends++);
      nodes[0]!.io.emit("end");
      nodes[1]!.io.emit("end");
      await until(() => ends === 2, "both ends");
      assert.deepEqual(got.sort(), ["from where it is", "via its first server's peer"]);
    } finally {
      closeClients([socket]);
      await balancer.close();
      await Promise.all(nodes.map((n) => n.close()));
    }
  });
});
