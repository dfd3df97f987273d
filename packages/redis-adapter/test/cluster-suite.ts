// The cluster test suite, run against every backend (Redis, and the in-process bus that proves the
// adapter boundary): servers in this process with socket.io-client sockets connected to different
// servers — what one server does reaches the others' clients, numeric rooms included, and a node
// that dies is no longer waited for.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import type { ClusterAdapter, ClusterAdapterError, ClusterAdapterOptions, Socket } from "volley";
import { connected, next, type ServerNode, until, untilClustered } from "./helpers.js";

/** How a backend starts a node of a cluster and kills one abruptly. */
export interface ClusterBackend {
  name: string;
  /** A fresh cluster key (nodes with the same key form one cluster). */
  key(): string;
  start(key: string, opts: ClusterAdapterOptions): Promise<ServerNode>;
  /** Ends a node without a word: its transport connections drop as with SIGKILL. Then closes it. */
  kill(node: ServerNode): Promise<void>;
}

/** Collects the first arguments of `event` on each client. */
function collect(clients: ClientSocket[], event: string): unknown[][] {
  return clients.map((client) => {
    const got: unknown[] = [];
    client.on(event, (value: unknown) => got.push(value));
    return got;
  });
}

// With the default (untyped) event maps the server's ack typings reject every argument list;
// this keeps the tests about behaviour. (Reported to the server's owner.)
function withAck(target: object, method: string, ...args: unknown[]): Promise<unknown> {
  return (target as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args);
}

/** Resolves after `n` "end" events. */
function ends(client: ClientSocket, n: number): Promise<void> {
  return new Promise((resolve) => {
    let left = n;
    client.on("end", () => {
      if (--left === 0) resolve();
    });
  });
}

/** A connected client of `node` that is a member of `rooms` cluster-wide. */
async function member(node: ServerNode, ...rooms: Array<string | number>): Promise<ClientSocket> {
  const socket = await connected(node.client());
  for (const room of rooms) await socket.emitWithAck("join", room);
  return socket;
}

async function closeAll(nodes: ServerNode[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.close()));
}

export function clusterSuite(backend: ClusterBackend): void {
  /** Nodes sharing one key; clients join rooms through an acknowledged "join" event. */
  async function cluster(n = 3, opts: ClusterAdapterOptions = {}): Promise<ServerNode[]> {
    const key = backend.key();
    const nodes: ServerNode[] = [];
    for (let i = 0; i < n; i++) nodes.push(await backend.start(key, opts));
    for (const node of nodes) {
      node.io.on("connection", (socket: Socket) => {
        socket.on("join", async (room: string | number, ack: () => void) => {
          await socket.join(room);
          ack();
        });
      });
    }
    await untilClustered(nodes);
    return nodes;
  }

  describe(`cluster suite on ${backend.name}`, () => {
    test("io.emit reaches the clients of every server, binary included", async () => {
      const nodes = await cluster();
      try {
        const clients = await Promise.all(nodes.map((node) => member(node)));
        const received = clients.map((client) => next<[string, Buffer]>(client, "news"));
        nodes[1]!.io.emit("news", "hello", Buffer.from([1, 2, 3]));
        for (const [text, bytes] of await Promise.all(received)) {
          assert.equal(text, "hello");
          assert.deepEqual([...new Uint8Array(bytes)], [1, 2, 3]);
        }
        assert.equal(await nodes[0]!.io.of("/").adapter.serverCount(), 3);
      } finally {
        await closeAll(nodes);
      }
    });

    test("to(room).except(room) across servers; socket.broadcast skips the sender", async () => {
      const nodes = await cluster();
      try {
        const a = await member(nodes[0]!, "r1");
        const b = await member(nodes[1]!, "r1", "quiet");
        const c = await member(nodes[2]!, "r1");
        const d = await member(nodes[2]!);
        const got = collect([a, b, c, d], "msg");
        // Each sender ends with a marker to everyone: what one server publishes arrives in order, so
        // once both markers arrived everywhere, nothing else is in flight.
        const marker = [a, b, c, d].map((client) => ends(client, 2));
        nodes[0]!.io.to("r1").except("quiet").emit("msg", "to r1 but quiet");
        nodes[2]!.io.to(["r1", "nobody"]).emit("msg", "two rooms");
        nodes[0]!.io.emit("end");
        nodes[2]!.io.emit("end");
        await Promise.all(marker);
        // On a Redis Cluster a room's channel has a shard of its own: one server's broadcasts keep
        // their order per channel only, so the room broadcasts may come after the markers.
        const expected = [2, 1, 2, 0];
        await until(() => got.every((list, i) => list.length >= expected[i]!), "the room broadcasts");
        // Broadcasts from different servers have no order between them.
        assert.deepEqual(
          got.map((list) => list.slice().sort()),
          [["to r1 but quiet", "two rooms"], ["two rooms"], ["to r1 but quiet", "two rooms"], []],
        );

        const relayed = collect([a, b, c, d], "relay");
        nodes[1]!.io.on("connection", () => {});
        const serverSide = [...nodes[1]!.io.of("/").sockets.values()][0]!;
        const finished = [a, b, c, d].map((client) => next(client, "end"));
        serverSide.broadcast.emit("relay", "from b");
        nodes[1]!.io.emit("end");
        await Promise.all(finished);
        assert.deepEqual(relayed, [["from b"], [], ["from b"], ["from b"]]);
      } finally {
        await closeAll(nodes);
      }
    });

    test("fetchSockets returns remote sockets with handshake, rooms and data; they act through the cluster", async () => {
      const nodes = await cluster();
      try {
        nodes[2]!.io.use((socket, nextFn) => {
          socket.data = { user: socket.handshake.auth.user };
          nextFn();
        });
        const a = await member(nodes[0]!, "lobby");
        const c = await connected(nodes[2]!.client("/", { auth: { user: "carol" } }));
        await c.emitWithAck("join", "lobby");
        const sockets = await nodes[1]!.io.in("lobby").fetchSockets();
        assert.deepEqual(sockets.map((s) => s.id).sort(), [a.id, c.id].sort());
        const carol = sockets.find((s) => s.id === c.id)!;
        assert.deepEqual(carol.data, { user: "carol" });
        assert.deepEqual([...carol.rooms].sort(), [c.id, "lobby"].sort());
        assert.deepEqual(carol.handshake.auth, { user: "carol" });
        assert.equal(typeof carol.handshake.headers, "object");

        const hello = next(c, "hello");
        carol.emit("hello", "from node 1");
        assert.deepEqual(await hello, ["from node 1"]);

        carol.join("vip");
        await until(async () => (await nodes[1]!.io.in("vip").fetchSockets()).length === 1, "carol in vip");
        carol.leave("vip");
        await until(
          async () => (await nodes[1]!.io.in("vip").fetchSockets()).length === 0,
          "carol out of vip",
        );

        assert.deepEqual([...(await nodes[0]!.io.allSockets())].sort(), [a.id, c.id].sort());

        const gone = next(c, "disconnect");
        carol.disconnect();
        assert.equal((await gone)[0], "io server disconnect");
      } finally {
        await closeAll(nodes);
      }
    });

    test("socketsJoin, socketsLeave and disconnectSockets reach every server", async () => {
      const nodes = await cluster();
      try {
        const a = await member(nodes[0]!, "old");
        const b = await member(nodes[1]!, "old");
        const c = await member(nodes[2]!);
        nodes[0]!.io.in("old").socketsJoin("new");
        await until(
          async () => (await nodes[2]!.io.in("new").fetchSockets()).length === 2,
          "two sockets in new",
        );
        assert.deepEqual(
          (await nodes[2]!.io.in("new").fetchSockets()).map((s) => s.id).sort(),
          [a.id, b.id].sort(),
        );
        nodes[2]!.io.socketsLeave("old");
        await until(async () => (await nodes[0]!.io.in("old").fetchSockets()).length === 0, "old emptied");

        const closes = [next(a, "disconnect"), next(b, "disconnect")];
        nodes[2]!.io.in("new").disconnectSockets();
        assert.deepEqual(
          (await Promise.all(closes)).map((args) => args[0]),
          ["io server disconnect", "io server disconnect"],
        );
        assert.equal(c.connected, true);
      } finally {
        await closeAll(nodes);
      }
    });

    test("serverSideEmit reaches the other servers; acknowledgements come back", async () => {
      const nodes = await cluster();
      try {
        const seen: string[] = [];
        nodes.forEach((node, i) => {
          node.io.sockets.on("ping", (text: string, ack?: (v: string) => void) => {
            seen.push(`${i}:${text}`);
            ack?.(`pong ${i}`);
          });
        });
        const responses = await withAck(nodes[0]!.io, "serverSideEmitWithAck", "ping", "hi");
        assert.deepEqual((responses as string[]).sort(), ["pong 1", "pong 2"]);
        assert.deepEqual(seen.sort(), ["1:hi", "2:hi"]);
      } finally {
        await closeAll(nodes);
      }
    });

    test("timeout().emitWithAck collects acknowledgements from clients of every server", async () => {
      const nodes = await cluster();
      try {
        const clients = await Promise.all(nodes.map((node) => member(node, "ackers")));
        clients.forEach((client, i) => {
          client.on("question", (q: string, ack: (a: string) => void) => ack(`${q}-${i}`));
        });
        const answers = (await withAck(
          nodes[1]!.io.to("ackers").timeout(5000),
          "emitWithAck",
          "question",
          "q",
        )) as string[];
        assert.deepEqual(answers.sort(), ["q-0", "q-1", "q-2"]);

        // A client that never answers: the deadline ends the wait with the answers so far.
        const silent = await member(nodes[2]!, "ackers");
        silent.on("question", () => {});
        await assert.rejects(
          withAck(nodes[0]!.io.to("ackers").timeout(300), "emitWithAck", "question", "q"),
          /timed out/,
        );
      } finally {
        await closeAll(nodes);
      }
    });

    test("other namespaces, .local, and acknowledgements from one remote socket", async () => {
      const nodes = await cluster(2);
      try {
        const admin = nodes.map((node) => node.io.of("/admin"));
        await untilClustered(nodes, 2, "/admin");
        const remote = await connected(nodes[1]!.client("/admin"));
        const main = await member(nodes[1]!);
        const onMain: unknown[] = [];
        main.on("news", (v: unknown) => onMain.push(v));
        const got = next(remote, "news");
        admin[0]!.emit("news", "admin only");
        assert.deepEqual(await got, ["admin only"]);

        // .local stays on its server: the marker from the same server arrives, the local one never.
        const local: unknown[] = [];
        remote.on("local", (v: unknown) => local.push(v));
        const marker = next(remote, "marker");
        admin[0]!.local.emit("local", 1);
        admin[0]!.emit("marker");
        await marker;
        assert.deepEqual(local, []);
        assert.deepEqual(onMain, []);

        remote.on("ask", (q: string, ack: (a: string) => void) => ack(`answer to ${q}`));
        const [found] = await admin[0]!.fetchSockets();
        assert.equal(found!.id, remote.id);
        const answer = await withAck(found!.timeout(5000), "emitWithAck", "ask", "q");
        assert.deepEqual(answer, "answer to q");
      } finally {
        await closeAll(nodes);
      }
    });

    test("a node that closes is no longer counted or waited for", async () => {
      const nodes = await cluster();
      try {
        await nodes[2]!.close();
        await untilClustered(nodes.slice(0, 2), 2);
        const sockets = await nodes[0]!.io.fetchSockets();
        assert.deepEqual(sockets, []);
      } finally {
        await closeAll(nodes.slice(0, 2));
      }
    });

    test("numeric rooms: to(42), except(7), in(37).fetchSockets(), socketsJoin(5) across servers", async () => {
      const nodes = await cluster();
      try {
        const a = await member(nodes[0]!, 42);
        const b = await member(nodes[1]!, 42, 7);
        const c = await member(nodes[2]!, 37, "42");
        const got = collect([a, b, c], "num");
        const marker = [a, b, c].map((client) => ends(client, 1));
        nodes[2]!.io.to(42).except(7).emit("num", "to 42 but 7");
        nodes[2]!.io.to("42").emit("num", "to the string room");
        nodes[2]!.io.emit("end");
        await Promise.all(marker);
        // A room's channel may be on another shard than the marker's (Redis Cluster): wait for them.
        await until(() => got[0]!.length >= 1 && got[2]!.length >= 1, "the room broadcasts");
        assert.deepEqual(got, [["to 42 but 7"], [], ["to the string room"]]);

        const in37 = await nodes[0]!.io.in(37).fetchSockets();
        assert.deepEqual(
          in37.map((s) => s.id),
          [c.id],
        );
        assert.ok(in37[0]!.rooms.has(37) && in37[0]!.rooms.has("42"), "rooms keep their types");
        nodes[1]!.io.in(42).socketsJoin(5);
        await until(async () => (await nodes[2]!.io.in(5).fetchSockets()).length === 2, "two sockets in 5");
        assert.deepEqual([...(await nodes[2]!.io.in(5).allSockets())].sort(), [a.id, b.id].sort());
      } finally {
        await closeAll(nodes);
      }
    });

    test("a node that dies without a word: nobody waits for it, serverCount drops, known from the backend", async () => {
      // A long requestsTimeout, so a request that waited for the dead would hang; heartbeats too slow
      // to matter, so what notices the death is the backend's liveness probe (every livenessInterval,
      // 500 ms by default), not a clock racing the test.
      const nodes = await cluster(3, {
        requestsTimeout: 60_000,
        heartbeatInterval: 60_000,
        heartbeatTimeout: 120_000,
      });
      try {
        const a = await member(nodes[0]!, "room");
        await member(nodes[2]!, "room");
        nodes.forEach((node, i) => {
          node.io.sockets.on("ping", (ack: (v: string) => void) => ack(`pong ${i}`));
        });
        const started = Date.now();
        await backend.kill(nodes[2]!);
        // Right after the death, before anyone noticed: requests end without the dead node.
        const sockets = await nodes[1]!.io.in("room").fetchSockets();
        assert.deepEqual(
          sockets.map((s) => s.id),
          [a.id],
        );
        assert.deepEqual(await withAck(nodes[0]!.io, "serverSideEmitWithAck", "ping"), ["pong 1"]);
        await untilClustered(nodes.slice(0, 2), 2);
        // The time it took is reported, not asserted (speed is for benchmarks).
        console.log(`# ${backend.name}: a killed node known gone after ${Date.now() - started} ms`);
        const uid = (nodes[2]!.io.of("/").adapter as ClusterAdapter).uid;
        assert.ok(!(nodes[0]!.io.of("/").adapter as ClusterAdapter).liveNodes().includes(uid));
      } finally {
        await closeAll(nodes.slice(0, 2));
      }
    });

    test("a request that times out gives the answers it has and names the nodes that did not answer", async () => {
      // Long enough that the node that answers always makes it, however busy the machine.
      const nodes = await cluster(3, { requestsTimeout: 3000 });
      try {
        nodes[1]!.io.sockets.on("ask", (ack: (v: string) => void) => ack("from 1"));
        nodes[2]!.io.sockets.on("ask", () => {});
        const silent = (nodes[2]!.io.of("/").adapter as ClusterAdapter).uid;
        const err = (await withAck(nodes[0]!.io, "serverSideEmitWithAck", "ask").then(
          () => assert.fail("should time out"),
          (e: unknown) => e,
        )) as ClusterAdapterError & { responses: unknown[] };
        assert.equal(err.code, "REQUEST_TIMEOUT");
        assert.deepEqual(err.missingNodes, [silent]);
        assert.match(err.message, new RegExp(silent));
        assert.deepEqual(err.responses, ["from 1"]);
      } finally {
        await closeAll(nodes);
      }
    });
  });
}
