// Per-socket incoming event rate (issue 11, item 5): a token bucket on the injected clock. Over it, the
// connection is closed ("event rate exceeded") or the events are dropped, per `eventRateLimit.onExceeded`.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import { next } from "./helpers.js";
import { serverPerTest } from "./server-per-test.js";
import { ManualClock } from "../../engine/test/manual-clock.js";

describe("eventRateLimit", () => {
  const testServer = serverPerTest();

  test("defaults: 100 events/s, burst 200, disconnect", async () => {
    const h = await testServer.setup();
    const { rate, burst, onExceeded } = h.io._eventRate!;
    assert.deepEqual({ rate, burst, onExceeded }, { rate: 100, burst: 200, onExceeded: "disconnect" });
  });

  test("a flooding client is cut off after its burst; the other client keeps its own budget", async () => {
    const clock = new ManualClock();
    const h = await testServer.setup({ clock, eventRateLimit: { rate: 10, burst: 20 } });
    let handled = 0;
    h.io.on("connection", (socket) => {
      socket.on("spam", () => handled++);
      socket.on("hello", (ack: (v: string) => void) => ack("hi"));
    });
    const good = h.client();
    await next(good, "connect");
    const [attacker, socket] = await testServer.rawSocket();
    const errors: Error[] = [];
    socket.on("error", (err) => errors.push(err));
    const reason = next<[string]>(socket, "disconnect");
    const closed = once(attacker.ws, "close");
    for (let i = 0; i < 1000; i++) attacker.ws.send('42["spam"]');
    assert.equal((await reason)[0], "event rate exceeded");
    await closed;
    assert.equal(handled, 20, "exactly the burst reached the handler");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.message, "incoming events exceed eventRateLimit (10/s, burst 20)");
    // The other client: its own bucket, untouched.
    for (let i = 0; i < 5; i++) assert.equal(await good.timeout(5_000).emitWithAck("hello"), "hi");
    assert.equal(h.io.engine.clientsCount, 1);
  });

  test('"drop": events over the rate vanish (no ack); the bucket refills with the clock', async () => {
    const clock = new ManualClock();
    await testServer.setup({ clock, eventRateLimit: { rate: 2, burst: 3, onExceeded: "drop" } });
    const [raw, socket] = await testServer.rawSocket();
    socket.on("e", (n: number, ack: (n: number) => void) => ack(n));
    for (let i = 0; i < 6; i++) raw.ws.send(`42${i}["e",${i}]`);
    // A marker after the flood: once its answer is here, the six have been processed.
    raw.ws.send('4299["e",99]');
    for (const n of [0, 1, 2]) assert.equal(await raw.wait((m) => m.startsWith(`43${n}[`)), `43${n}[${n}]`);
    clock.advance(1000); // two tokens back (2/s)
    raw.ws.send('4210["e",10]');
    raw.ws.send('4211["e",11]');
    raw.ws.send('4212["e",12]');
    raw.ws.send('4213["e",13]');
    assert.equal(await raw.wait((m) => m.startsWith("4311[")), "4311[11]");
    assert.equal(await raw.wait((m) => m.startsWith("4310[")), "4310[10]");
    // The ack of a later event proves earlier ones were handled; 3, 4, 5, 99, 12 and 13 were dropped.
    clock.advance(500);
    raw.ws.send('4220["e",20]');
    await raw.wait((m) => m.startsWith("4320["));
    assert.deepEqual(
      raw.received.filter((m) => m.startsWith("43")),
      [],
      "no answer to a dropped event",
    );
    assert.equal(socket.connected, true);
  });

  test("eventRateLimit: false turns it off; bad values are refused naming the option", async () => {
    const h = await testServer.setup({ eventRateLimit: false });
    assert.equal(h.io._eventRate, undefined);
    const { Server } = await import("volley");
    assert.throws(() => new Server({ eventRateLimit: { rate: 0 } }), /eventRateLimit\.rate/);
    assert.throws(
      () => new Server({ eventRateLimit: { onExceeded: "ban" as "drop" } }),
      /eventRateLimit\.onExceeded/,
    );
  });

  test("eventRateLimit given to attach() takes effect, with or without a new engine; a bad one changes nothing", async () => {
    const { createServer } = await import("node:http");
    const { Server } = await import("volley");
    const rateOf = (io: InstanceType<typeof Server>) => [io._eventRate?.rate, io._eventRate?.burst];
    const servers = [new Server(), new Server(), new Server()] as const;
    try {
      const [sameEngine, newEngine, refused] = servers;
      sameEngine.attach(createServer(), { eventRateLimit: { rate: 7, burst: 9 } });
      assert.deepEqual(rateOf(sameEngine), [7, 9]);
      newEngine.attach(createServer(), { pingInterval: 5000, eventRateLimit: { rate: 3, burst: 4 } });
      assert.deepEqual(rateOf(newEngine), [3, 4]);
      assert.throws(
        () => refused.attach(createServer(), { eventRateLimit: { rate: -1 } }),
        /eventRateLimit\.rate/,
      );
      assert.deepEqual(rateOf(refused), [100, 200]);
    } finally {
      await Promise.all(servers.map((io) => io.close()));
    }
  });
});
