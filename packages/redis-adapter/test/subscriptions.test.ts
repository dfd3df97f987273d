// A node never silently stays out of the cluster: every SUBSCRIBE is confirmed (a failed one is
// tried again, its handler is not left registered as if subscribed), subscriptions come back after
// the connection is lost, a node is ready and counted only once subscribed — checked over many
// start-ups of 3-node clusters while another process keeps a core busy.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import type { ClusterAdapter, Socket } from "volley";
import { routerFor } from "../src/channel-router.js";
import {
  connected,
  type Node,
  next,
  startNode,
  uniqueKey,
  until,
  untilClustered,
  useRedis,
} from "./helpers.js";

const redis = useRedis();

/** The id Redis gives the connection of `client` (found in CLIENT LIST by its local port). */
async function clientId(admin: Redis, client: Redis): Promise<string> {
  const port = (client as unknown as { stream: { localPort: number } }).stream.localPort;
  const list = String(await admin.call("CLIENT", "LIST"));
  const line = list.split("\n").find((l) => l.includes(` addr=127.0.0.1:${port} `));
  assert.ok(line, `no connection from port ${port}`);
  return /id=(\d+)/.exec(line)![1]!;
}

describe("subscriptions", () => {
  test("a SUBSCRIBE that fails is tried again until confirmed; the handler then gets messages", async () => {
    // No offline queue and not connected yet: the first SUBSCRIBE fails for real.
    const sub = new Redis(redis.port, "127.0.0.1", { lazyConnect: true, enableOfflineQueue: false });
    const pub = new Redis(redis.port, "127.0.0.1");
    sub.on("error", () => {});
    try {
      const router = routerFor(sub);
      const channel = `${uniqueKey()}#retry`;
      const errors: unknown[] = [];
      const got: string[] = [];
      const confirmed = router.subscribe(
        channel,
        (m) => got.push(m.toString()),
        (err) => errors.push(err),
      );
      await until(() => errors.length > 0, "the first attempt failed");
      assert.notEqual(router.pending(channel), undefined, "not reported as subscribed after a failure");
      // The failed command started the connection (lazyConnect); the retry goes out once it is ready.
      if (sub.status !== "ready") await once(sub, "ready");
      await confirmed;
      assert.equal(router.pending(channel), undefined);
      assert.equal(Number(((await pub.call("PUBSUB", "NUMSUB", channel)) as unknown[])[1]), 1);
      await pub.publish(channel, "hello");
      await until(() => got.length === 1, "the message");
      assert.deepEqual(got, ["hello"]);
    } finally {
      sub.disconnect();
      pub.disconnect();
    }
  });

  test("a subscriber connection killed by Redis: every channel is subscribed again and the node is whole", async () => {
    const key = uniqueKey();
    const nodes: Node[] = [await startNode(redis.port, { key }), await startNode(redis.port, { key })];
    const admin = new Redis(redis.port, "127.0.0.1");
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
      const client = await connected(nodes[1]!.client());
      await client.emitWithAck("join", "kept");
      await admin.call("CLIENT", "KILL", "ID", await clientId(admin, nodes[1]!.sub));
      // ioredis reconnects; the router subscribes every channel again and the node is whole.
      await until(async () => {
        const reply = (await admin.call(
          "PUBSUB",
          "NUMSUB",
          `${key}#/#kept#`,
          `${key}-request#/#`,
          `${key}#/#`,
        )) as unknown[];
        return Number(reply[1]) === 1 && Number(reply[3]) === 2 && Number(reply[5]) === 2;
      }, "room, request and broadcast channels subscribed again");
      const got = next(client, "news");
      nodes[0]!.io.to("kept").emit("news", "after the kill");
      assert.deepEqual(await got, ["after the kill"]);
      await untilClustered(nodes);
    } finally {
      admin.disconnect();
      await Promise.all(nodes.map((node) => node.close()));
    }
  });
});

describe("start-ups under load", () => {
  let busy: ChildProcess | undefined;
  before(() => {
    // One core kept busy for the whole loop (the machine has two), bounded by its own timeout.
    busy = spawn(process.execPath, ["-e", "const end = Date.now() + 120000; while (Date.now() < end) {}"], {
      stdio: "ignore",
    });
  });
  after(async () => {
    if (busy && busy.exitCode === null) {
      busy.kill("SIGKILL");
      await once(busy, "exit");
    }
  });

  test("30 start-ups of 3-node clusters: every node is ready only once joined, and sees every other", async () => {
    let slowest = 0;
    for (let round = 0; round < 30; round++) {
      const key = uniqueKey();
      const started = Date.now();
      const nodes = await Promise.all([0, 1, 2].map(() => startNode(redis.port, { key })));
      try {
        await Promise.all(nodes.map((node) => (node.io.of("/").adapter as ClusterAdapter).whenJoined()));
        await untilClustered(nodes);
        slowest = Math.max(slowest, Date.now() - started);
        // Each node hears the others and is heard: two answers to each one's request.
        nodes.forEach((node, i) => {
          node.io.sockets.on("who", (ack: (v: number) => void) => ack(i));
        });
        for (const [i, node] of nodes.entries()) {
          const answers = (await (
            node.io as unknown as { serverSideEmitWithAck(ev: string): Promise<number[]> }
          ).serverSideEmitWithAck("who")) as number[];
          assert.deepEqual(
            answers.sort(),
            [0, 1, 2].filter((j) => j !== i),
            `round ${round}: node ${i} hears the others`,
          );
        }
      } finally {
        await Promise.all(nodes.map((node) => node.close()));
      }
    }
    process.stdout.write(`# slowest 3-node start-up under load: ${slowest} ms\n`);
  });
});
