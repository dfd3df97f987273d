// The cluster suite on the in-process bus: the same tests as on Redis, through a backend that is
// nothing but a transport on volley's ClusterAdapter (in-process-adapter.ts). Plus what a bus can
// do on demand: go down and come back (outage buffering), without a Redis to kill.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import type { ClusterAdapterError } from "volley";
import { clusterSuite } from "./cluster-suite.js";
import { connected, next, type ServerNode, startServer, untilClustered } from "./helpers.js";
import { createInProcessAdapter, type InProcessAdapter, InProcessBus } from "./in-process-adapter.js";

const bus = new InProcessBus();

clusterSuite({
  name: "the in-process bus",
  key: () => `bus-${randomBytes(4).toString("hex")}`,
  start: (key, opts) => startServer(createInProcessAdapter(bus, key, opts)),
  async kill(node: ServerNode) {
    for (const nsp of ["/"]) (node.io.of(nsp).adapter as InProcessAdapter).sever();
    await node.close();
  },
});

describe("in-process bus: outage", () => {
  test("while the bus is down local clients are served; kept broadcasts reach the others after; overflow is reported", async () => {
    const own = new InProcessBus();
    const nodes = [
      await startServer(createInProcessAdapter(own, "outage", { outageBufferMaxPackets: 2 })),
      await startServer(createInProcessAdapter(own, "outage")),
    ];
    try {
      await untilClustered(nodes);
      const local = await connected(nodes[0]!.client());
      const remote = await connected(nodes[1]!.client());
      const errors: ClusterAdapterError[] = [];
      nodes[0]!.io.of("/").adapter.on("error", (err: ClusterAdapterError) => errors.push(err));
      const remoteGot: unknown[] = [];
      remote.on("news", (n: unknown) => remoteGot.push(n));
      own.down = true;
      const localGot = new Promise<unknown[]>((resolve) => {
        const got: unknown[] = [];
        local.on("news", (n: unknown) => got.push(n) === 3 && resolve(got));
      });
      for (const n of [1, 2, 3]) nodes[0]!.io.emit("news", n);
      assert.deepEqual(await localGot, [1, 2, 3]);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.code, "BROADCASTS_LOST");
      own.down = false;
      const after = next(remote, "end");
      (nodes[0]!.io.of("/").adapter as InProcessAdapter).busIsBack();
      nodes[0]!.io.emit("end");
      await after;
      assert.deepEqual(remoteGot, [1, 2]);
      assert.equal(errors.length, 2);
      assert.equal(errors[1]!.code, "BROADCASTS_LOST");
      assert.equal(errors[1]!.lost, 1);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  });
});

describe("in-process bus: partition", () => {
  test("a partitioned node: fetchSockets gives the others' sockets after requestsTimeout and names it; heartbeatTimeout drops it", async () => {
    const key = `bus-${randomBytes(4).toString("hex")}`;
    // Generous: a busy machine must not make a live node miss the deadline or look gone.
    const opts = { requestsTimeout: 2000, heartbeatInterval: 500, heartbeatTimeout: 3000 };
    const nodes = await Promise.all([0, 1, 2].map(() => startServer(createInProcessAdapter(bus, key, opts))));
    try {
      await untilClustered(nodes);
      const a = await connected(nodes[0]!.client());
      await connected(nodes[2]!.client());
      const cut = nodes[2]!.io.of("/").adapter as InProcessAdapter;
      cut.on("error", () => {});
      cut.partition();
      const errors: ClusterAdapterError[] = [];
      nodes[1]!.io.of("/").adapter.on("error", (err: ClusterAdapterError) => errors.push(err));
      const sockets = await nodes[1]!.io.fetchSockets();
      assert.deepEqual(
        sockets.map((s) => s.id),
        [a.id],
      );
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.code, "REQUEST_TIMEOUT");
      assert.deepEqual(errors[0]!.missingNodes, [cut.uid]);
      await untilClustered(nodes.slice(0, 2), 2);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
    }
  });
});
