// socket.io compat mode when things fail, with real processes: a socket.io node SIGKILLed (it is no
// longer counted as soon as Redis sees its connections close; a request already waiting for it ends
// at requestsTimeout, as with the official adapter), and Redis SIGKILLed and restarted (the Volley
// node serves its own clients meanwhile and delivers the broadcasts it kept to the socket.io node
// once both are back).
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { io as ioc } from "socket.io-client";
import type { ClusterAdapterError } from "volley";
import { createAdapter } from "../src/index.js";
import {
  type AnyNode,
  guard,
  nextEvent,
  startRedisInRange,
  startSocketIo,
  startVolley,
  type TestRedis,
} from "./compat-helpers.js";
import { connected, startServer, uniqueKey, until } from "./helpers.js";

let redis: TestRedis;
before(async () => {
  redis = await startRedisInRange(7450, 7469);
});
after(async () => {
  await redis?.stop();
});

const fixture = new URL("./fixtures/socketio-node.ts", import.meta.url).pathname;

/** A socket.io node in its own process; resolves once it is subscribed. */
async function forkSocketIo(key: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fixture, [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, REDIS_PORT: String(redis.port), KEY: key },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const [msg] = (await guard(once(child, "message"), "socket.io node ready", 30_000)) as [{ port: number }];
  return { child, url: `http://127.0.0.1:${msg.port}` };
}

describe("socket.io compat: failures", () => {
  test("a SIGKILLed socket.io node: no longer counted, nothing waits for it past requestsTimeout", async () => {
    const key = uniqueKey();
    const volley = await startVolley(redis.port, key, 1500);
    const { child, url } = await forkSocketIo(key);
    const client = await connected(
      ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"] }),
    );
    try {
      const adapter = volley.io.of("/").adapter;
      assert.equal(await adapter.serverCount(), 2);
      assert.deepEqual(
        (await volley.io.in("room").fetchSockets()).map((s) => s.id),
        [client.id],
      );
      // Waits for the one other server, which never answers and then dies.
      const pending = volley.io.serverSideEmitWithAck("hang");
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
      await assert.rejects(pending, (err: ClusterAdapterError) => err.code === "REQUEST_TIMEOUT");
      await until(async () => (await adapter.serverCount()) === 1, "the killed node no longer counted");
      // Nothing to wait for now: answered at once, without an error.
      const errors: unknown[] = [];
      adapter.on("error", (err: unknown) => errors.push(err));
      assert.deepEqual(await volley.io.fetchSockets(), []);
      assert.deepEqual(await volley.io.serverSideEmitWithAck("hang"), []);
      assert.deepEqual(errors, []);
    } finally {
      client.disconnect();
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await volley.close();
    }
  });

  test("Redis SIGKILLed and restarted: broadcasts kept by the Volley node reach socket.io clients after", async () => {
    const key = uniqueKey();
    // Reconnects only when told: the socket.io node must be subscribed again before the Volley node
    // flushes what it kept (the official adapter keeps nothing, and hears only while subscribed).
    const pub = new Redis(redis.port, "127.0.0.1", { retryStrategy: () => null });
    const sub = pub.duplicate();
    pub.on("error", () => {});
    sub.on("error", () => {});
    const server = await startServer(createAdapter(pub, sub, { compat: "socket.io", key }), {}, async () => {
      pub.disconnect();
      sub.disconnect();
    });
    const adapter = server.io.of("/").adapter;
    await adapter.whenJoined();
    adapter.on("error", () => {});
    const sio: AnyNode = await startSocketIo(redis.port, key);
    sio.pub.options.retryStrategy = (n) => Math.min(n * 20, 100);
    sio.sub.options.retryStrategy = (n) => Math.min(n * 20, 100);
    sio.pub.on("error", () => {});
    sio.sub.on("error", () => {});
    try {
      const local = await connected(server.client());
      const remote = await sio.member();
      assert.equal(await adapter.serverCount(), 2);

      const closed = [once(pub, "end"), once(sub, "end"), once(sio.sub, "close")];
      await redis.kill();
      await guard(Promise.all(closed), "every connection sees Redis gone");
      const localGot = nextEvent(local, "news");
      const remoteGot = nextEvent(remote, "news");
      server.io.emit("news", "during the outage");
      assert.deepEqual(await guard(localGot, "local delivery during the outage"), ["during the outage"]);

      // The socket.io node reconnects by itself and subscribes again (ioredis autoResubscribe): a
      // PING queued after its SUBSCRIBEs answers once they are confirmed. Listen before the restart:
      // on a busy machine its retry can reconnect before start() has seen the server answer. Not with
      // `events.once`: it rejects on the "error" each failed retry emits while redis-server starts.
      const sioReady = new Promise<void>((resolve) => sio.sub.once("ready", () => resolve()));
      await redis.start();
      await guard(sioReady, "socket.io node reconnected");
      await sio.sub.ping();
      pub.connect().catch(() => {});
      sub.connect().catch(() => {});
      assert.deepEqual(await guard(remoteGot, "kept broadcast delivered after"), ["during the outage"]);

      // Whole again, both ways: the Volley node flushed only once its subscriptions were confirmed.
      assert.equal(await adapter.serverCount(), 2);
      const back = nextEvent(local, "back");
      sio.io.emit("back", 1);
      assert.deepEqual(await guard(back, "socket.io → volley after the outage"), [1]);
      assert.deepEqual(
        (await server.io.fetchSockets()).map((s) => s.id).sort(),
        [local.id, remote.id].sort(),
      );
    } finally {
      await Promise.allSettled([server.close(), sio.close()]);
    }
  });
});
