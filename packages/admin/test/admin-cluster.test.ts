// The admin view over a cluster (two servers on a real Redis, one in another process): the operator
// on one node lists a socket of the other, makes it leave a room and disconnects it through the
// adapter, sees the other node's summary, and sees that node go when it is SIGKILLed.
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import type { Snapshot } from "@volley/admin";
import { io as connect, type Socket as ClientSocket } from "@volley/client";
import { createAdapter } from "@volley/redis-adapter";
import { Redis } from "ioredis";
import type { ClusterNode } from "volley";
import { startOwnRedis } from "../../redis-adapter/test/helpers.ts";
import { next, setup, until } from "./harness.ts";

const FIXTURE = new URL("./fixtures/admin-node.ts", import.meta.url).pathname;

test("an operator on one node sees and acts on the sockets of another; a killed node leaves the list", async () => {
  const redis = await startOwnRedis();
  const pub = new Redis(redis.port, "127.0.0.1");
  const sub = pub.duplicate();
  const h = await setup(
    { updateInterval: 50 },
    { adapter: createAdapter(pub, sub, { requestsTimeout: 2000, livenessInterval: 100 }) },
  );
  const other = fork(FIXTURE, [], {
    execArgv: ["--conditions=volley-source", "--import", "tsx"],
    env: { ...process.env, REDIS_PORT: String(redis.port) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = once(other, "exit");
  let remote: ClientSocket | undefined;
  try {
    const [ready] = (await once(other, "message")) as [{ port: number; uid: string }];
    const otherUrl = `http://127.0.0.1:${ready.port}`;
    const selfUid = (h.io.sockets.adapter as ClusterNode).uid;

    const operator = h.operator();
    await next(operator, "connect");
    remote = connect(otherUrl, { forceNew: true, reconnection: false, transports: ["websocket"] });
    await next(remote, "connect");
    const remoteId = remote.id!;

    const listed = await until<Snapshot>(operator, "snapshot", (s) => {
      const node = s.nodes.find((n) => n.uid === ready.uid);
      return node?.summary?.sockets["/"] === 1 && s.namespaces[0]?.socketCount === 1;
    });
    assert.deepEqual(
      listed.nodes.map((n) => [n.uid, n.self]),
      [
        [selfUid, true],
        [ready.uid, false],
      ],
    );
    assert.equal(listed.nodes[1]?.summary?.pid, other.pid);
    const view = listed.namespaces[0]!.sockets[0]!;
    assert.equal(view.id, remoteId);
    assert.equal(view.local, false);
    assert.equal(view.transport, null);
    assert.deepEqual(view.rooms, ["lobby"]);

    // Actions travel through the adapter to the node that holds the socket.
    assert.deepEqual(
      await operator.emitWithAck("leave-room", { namespace: "/", socketId: remoteId, room: "lobby" }),
      { ok: true },
    );
    await until<Snapshot>(operator, "snapshot", (s) => s.namespaces[0]?.sockets[0]?.rooms.length === 0);
    const disconnected = next<string>(remote, "disconnect");
    assert.deepEqual(
      await operator.emitWithAck("disconnect-socket", { namespace: "/", socketId: remoteId, reason: "test" }),
      { ok: true },
    );
    assert.equal(await disconnected, "io server disconnect");
    await until<Snapshot>(operator, "snapshot", (s) => s.namespaces[0]?.socketCount === 0);

    // The other node dies without a word: it leaves the list, and updates keep coming.
    other.kill("SIGKILL");
    await exited;
    const alone = await until<Snapshot>(operator, "snapshot", (s) => s.nodes.length === 1);
    assert.equal(alone.nodes[0]?.uid, selfUid);
    const after = await next<Snapshot>(operator, "snapshot");
    assert.equal(after.nodes.length, 1);
  } finally {
    if (other.exitCode === null && other.signalCode === null) {
      other.kill("SIGKILL");
      await exited;
    }
    remote?.disconnect();
    await h.cleanup();
    await Promise.allSettled([pub.quit(), sub.quit()]);
    await redis.stop();
  }
});
