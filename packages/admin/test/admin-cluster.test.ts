// The admin view over a cluster: two servers on a real redis-server, the other one in its own process.
// The operator on one node lists a socket of the other, makes it leave a room and disconnects it
// through the adapter, and sees the other node's summary; when that node is SIGKILLed it leaves the
// list; while Redis is down the updates keep coming, marked incomplete, and are whole again after.
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import type { Snapshot } from "@volley/admin";
import { io as connect, type Socket as ClientSocket } from "@volley/client";
import { createAdapter } from "@volley/redis-adapter";
import { Redis } from "ioredis";
import type { ClusterNode } from "volley";
import { type OwnRedis, startOwnRedis } from "../../redis-adapter/test/helpers.ts";
import { type Harness, next, setup, until } from "./harness.ts";

const FIXTURE = new URL("./fixtures/admin-node.ts", import.meta.url).pathname;

interface Cluster {
  redis: OwnRedis;
  /** This process's node, with the operator's admin view. */
  h: Harness;
  selfUid: string;
  /** The other node: a process of its own, also running the admin view. */
  other: ChildProcess;
  otherUid: string;
  otherUrl: string;
  clients: ClientSocket[];
  close(): Promise<void>;
}

async function startCluster(): Promise<Cluster> {
  const redis = await startOwnRedis();
  const pub = new Redis(redis.port, "127.0.0.1");
  const sub = pub.duplicate();
  // Redis is stopped on purpose in one test: the clients retry by themselves.
  pub.on("error", () => {});
  sub.on("error", () => {});
  const h = await setup(
    { updateInterval: 50 },
    { adapter: createAdapter(pub, sub, { requestsTimeout: 1000, livenessInterval: 100 }) },
  );
  // The adapters report the outage's errors (expected here) to the server's listeners.
  h.io.on("error", () => {});
  const other = fork(FIXTURE, [], {
    execArgv: ["--conditions=volley-source", "--import", "tsx"],
    env: { ...process.env, REDIS_PORT: String(redis.port) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = once(other, "exit");
  const clients: ClientSocket[] = [];
  const close = async () => {
    for (const c of clients) c.disconnect();
    if (other.exitCode === null && other.signalCode === null) {
      other.kill("SIGKILL");
      await exited;
    }
    await h.cleanup();
    pub.disconnect();
    sub.disconnect();
    await redis.stop();
  };
  try {
    const [ready] = (await Promise.race([
      once(other, "message"),
      exited.then(() => {
        throw new Error("the other node exited before listening");
      }),
    ])) as [{ port: number; uid: string }];
    return {
      redis,
      h,
      selfUid: (h.io.sockets.adapter as ClusterNode).uid,
      other,
      otherUid: ready.uid,
      otherUrl: `http://127.0.0.1:${ready.port}`,
      clients,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

function clientOf(cluster: Cluster, url: string): ClientSocket {
  const socket = connect(url, { forceNew: true, reconnection: false, transports: ["websocket"] });
  cluster.clients.push(socket);
  return socket;
}

test("an operator on one node sees and acts on the sockets of another; a killed node leaves the list", async () => {
  const cluster = await startCluster();
  const { h, other } = cluster;
  try {
    const operator = h.operator();
    await next(operator, "connect");
    const remote = clientOf(cluster, cluster.otherUrl);
    await next(remote, "connect");
    const remoteId = remote.id!;

    const listed = await until<Snapshot>(operator, "snapshot", (s) => {
      const node = s.nodes.find((n) => n.uid === cluster.otherUid);
      return node?.summary?.sockets["/"] === 1 && s.namespaces[0]?.socketCount === 1;
    });
    assert.equal(listed.complete, true);
    assert.deepEqual(
      listed.nodes.map((n) => [n.uid, n.self]),
      [
        [cluster.selfUid, true],
        [cluster.otherUid, false],
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
    const alone = await until<Snapshot>(operator, "snapshot", (s) => s.nodes.length === 1);
    assert.equal(alone.nodes[0]?.uid, cluster.selfUid);
    const after = await next<Snapshot>(operator, "snapshot");
    assert.equal(after.nodes.length, 1);
    assert.equal(after.complete, true);
  } finally {
    await cluster.close();
  }
});

test("while Redis is down, updates keep coming marked incomplete; after it is back they are whole", async () => {
  const cluster = await startCluster();
  const { h, redis } = cluster;
  try {
    const operator = h.operator();
    await next(operator, "connect");
    const local = clientOf(cluster, h.url);
    const remote = clientOf(cluster, cluster.otherUrl);
    await Promise.all([next(local, "connect"), next(remote, "connect")]);
    const whole = (s: Snapshot) =>
      s.complete &&
      s.namespaces[0]?.socketCount === 2 &&
      s.nodes.length === 2 &&
      s.nodes.every((n) => n.summary?.sockets["/"] === 1);
    await until<Snapshot>(operator, "snapshot", whole);

    await redis.kill();
    const during = await until<Snapshot>(operator, "snapshot", (s) => !s.complete);
    // This node's socket is still listed; the other node is kept (nobody can tell it is gone) but
    // did not answer, so its socket and its summary are missing.
    assert.deepEqual(
      during.namespaces[0]?.sockets.map((s) => s.id),
      [local.id],
    );
    assert.deepEqual(
      during.nodes.map((n) => [n.uid, n.summary !== undefined]),
      [
        [cluster.selfUid, true],
        [cluster.otherUid, false],
      ],
    );
    assert.ok(local.connected && remote.connected && operator.connected);

    await redis.start();
    const back = await until<Snapshot>(operator, "snapshot", whole);
    assert.deepEqual(back.namespaces[0]?.sockets.map((s) => s.id).sort(), [local.id, remote.id].sort());
  } finally {
    await cluster.close();
  }
});
