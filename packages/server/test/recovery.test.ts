// Connection-state recovery: socket.io-client comes back after a lost connection with its id,
// rooms, data and every packet it missed, in order — or, when anything is missing, fresh.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import { RecoveryLog, Server, type Socket } from "volley";
import { clientTransports, type Harness, next, setup } from "./helpers.js";

function received(client: ClientSocket, event: string): unknown[] {
  const out: unknown[] = [];
  client.on(event, (value: unknown) => out.push(value));
  return out;
}

describe("connection-state recovery with socket.io-client", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  for (const mode of ["websocket", "polling", "upgrade"] as const) {
    test(`restores id, rooms, data and missed packets (${mode})`, async () => {
      h = await setup({ connectionStateRecovery: { maxDisconnectionDuration: 60_000 } });
      const io = h.io;
      const first = next<[Socket]>(io, "connection");
      const client = h.client("/", {
        ...clientTransports(mode),
        reconnection: true,
        reconnectionDelay: 10,
        randomizationFactor: 0,
      });
      await next(client, "connect");
      assert.equal(client.recovered, false);
      const [socket] = await first;
      assert.equal(socket.recovered, false);
      socket.join("room1");
      socket.data = { user: "ann" };
      const news = received(client, "news");
      const got = next(client, "news");
      io.to("room1").emit("news", 0);
      await got;

      // While the client is away: what it must get back, and what it must not.
      socket.on("disconnect", () => {
        io.to("room1").emit("news", 1);
        io.emit("news", 2);
        io.to("other-room").emit("news", "not for you");
        io.except("room1").emit("news", "excluded");
        io.volatile.emit("news", "volatile");
      });
      const second = next<[Socket]>(io, "connection");
      client.io.engine.close();
      const [restored] = await second;
      await next(client, "connect");
      assert.equal(client.recovered, true);
      assert.equal(restored.recovered, true);
      assert.equal(restored.id, socket.id);
      assert.equal(client.id, socket.id);
      assert.deepEqual(restored.data, { user: "ann" });
      assert.ok(restored.rooms.has("room1"));
      assert.ok(restored.rooms.has(restored.id));
      // A marker sent after recovery: by then the missed packets are in.
      const marker = next(client, "marker");
      restored.emit("marker");
      await marker;
      assert.deepEqual(news, [0, 1, 2]);
    });
  }

  test("packets broadcast while a restored socket's middlewares run are replayed too", async () => {
    h = await setup({
      connectionStateRecovery: { maxDisconnectionDuration: 60_000, skipMiddlewares: false },
    });
    const io = h.io;
    let pending: (() => void) | undefined;
    const held = new Promise<void>((resolve) => {
      io.use((socket, nextFn) => {
        if (!socket.recovered) return nextFn();
        pending = () => nextFn();
        resolve();
      });
    });
    const first = next<[Socket]>(io, "connection");
    const client = h.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
    await next(client, "connect");
    const [socket] = await first;
    socket.join("room1");
    const news = received(client, "news");
    const got = next(client, "news");
    io.emit("news", 0);
    await got;
    socket.on("disconnect", () => io.to("room1").emit("news", 1));
    const second = next<[Socket]>(io, "connection");
    client.io.engine.close();
    await held;
    // The restored socket is in no room yet: these reach it only through the log.
    io.to("room1").emit("news", 2);
    io.emit("news", 3);
    io.to("other-room").emit("news", "not for you");
    pending!();
    const [restored] = await second;
    await next(client, "connect");
    assert.equal(restored.recovered, true);
    const marker = next(client, "marker");
    restored.emit("marker");
    await marker;
    assert.deepEqual(news, [0, 1, 2, 3]);
  });

  test("an emit from a namespace middleware (before CONNECT) still reaches the client", async () => {
    h = await setup({ connectionStateRecovery: true });
    h.io.use((socket, nextFn) => {
      socket.emit("welcome", "early");
      nextFn();
    });
    const client = h.client();
    const welcome = received(client, "welcome");
    await next(client, "connect"); // socket.io-client emits what it buffered before "connect"
    assert.deepEqual(welcome, ["early"]);
  });

  test("an unknown session or a lost offset starts fresh (all or nothing)", async () => {
    h = await setup({ connectionStateRecovery: { maxDisconnectionDuration: 60_000, maxPackets: 2 } });
    const io = h.io;
    const first = next<[Socket]>(io, "connection");
    const client = h.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
    await next(client, "connect");
    const [socket] = await first;
    const got = next(client, "news");
    io.emit("news", 0);
    await got;
    socket.on("disconnect", () => {
      // more than maxPackets: the packet after the client's offset is evicted
      for (let i = 1; i <= 5; i++) io.emit("news", i);
    });
    const second = next<[Socket]>(io, "connection");
    client.io.engine.close();
    const [fresh] = await second;
    await next(client, "connect");
    assert.equal(fresh.recovered, false);
    assert.equal(client.recovered, false);
    assert.notEqual(fresh.id, socket.id);
  });
});

describe("recovery log and adapter sessions", () => {
  test("offsets are found in O(1) and eviction is by count, bytes and age", () => {
    let now = 1000;
    const log = new RecoveryLog({ maxPackets: 3, maxBytes: 100, maxAge: 50, now: () => now });
    const offsets: string[] = [];
    for (let i = 0; i < 3; i++) {
      offsets.push(log.nextOffset());
      log.append(["e", i], [], [], 10);
    }
    assert.equal(log.seqOf(offsets[1]!), 1);
    assert.deepEqual(
      log.after(log.seqOf(offsets[0]!))!.map((e) => e.data[1]),
      [1, 2],
    );
    log.append(["e", 3], [], [], 10); // count: entry 0 evicted
    assert.equal(log.size, 3);
    assert.equal(
      log.after(log.seqOf(offsets[0]!))?.length,
      3,
      "offset 0 itself may go, what follows it is all there",
    );
    assert.equal(log.after(-1), undefined, "entry 0 is gone: replay from the start is impossible");
    log.append(["big"], [], [], 90); // bytes: 10+10+10+90 > 100, 10+90 fits
    assert.equal(log.size, 2);
    now += 51; // age
    assert.equal(log.after(log.nextSeq - 1)?.length, 0);
    assert.equal(log.size, 0);
    assert.equal(log.seqOf("other-epoch.1"), -1);
    assert.equal(log.seqOf(`${log.epoch}.zzzzzzzzzzzzzzzzzzzz`), -1);
    assert.equal(log.after(log.nextSeq + 5), undefined, "an offset from the future is refused");
  });

  test("persisted sessions expire after maxDisconnectionDuration and are restored once", async () => {
    let now = 0;
    const io = new Server({ connectionStateRecovery: { maxDisconnectionDuration: 100, now: () => now } });
    const adapter = io.sockets.adapter;
    adapter.persistSession({ sid: "s1", pid: "p1", rooms: ["r"], data: { a: 1 }, logSeq: -1 });
    adapter.persistSession({ sid: "s2", pid: "p2", rooms: [], data: undefined, logSeq: -1 });
    const restored = await adapter.restoreSession("p1", undefined);
    assert.deepEqual(restored, {
      sid: "s1",
      pid: "p1",
      rooms: ["r"],
      data: { a: 1 },
      logSeq: -1,
      missedPackets: [],
    });
    assert.equal(await adapter.restoreSession("p1", undefined), null, "only once");
    now = 101;
    assert.equal(await adapter.restoreSession("p2", undefined), null, "expired");
    assert.equal(await adapter.restoreSession("p3", "garbage"), null);
    await io.close();
  });
});
