// Graceful shutdown (issue 11, item 7): `io.close({ graceful })` stops accepting, advises each client a
// jittered reconnection delay in an Engine.IO noop (`6{"reconnectAfter":ms}`), waits for acks in flight,
// closes in batches. Official clients ignore the noop; the Volley client waits the advised delay, so a
// restart spreads the reconnections over the window instead of a spike.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { io as volleyClient, type Socket as VolleySocket } from "@volley/client";
import { Server } from "volley";
import { clientTransports, MODES, next } from "./helpers.js";
import { assertHintsIgnored } from "./hints-ignored.js";
import { serverPerTest } from "./server-per-test.js";
import { ManualClock } from "../../engine/test/manual-clock.js";
import { RawClient } from "./raw-client.js";

/** Client-side timers (`timers` option of the Volley client) that move only on `advance`. */
class ManualTimers {
  private readonly clock = new ManualClock();
  setTimeout(callback: () => void, ms: number): unknown {
    return this.clock.setTimeout(callback, ms, undefined);
  }
  clearTimeout(handle: unknown): void {
    this.clock.clearTimeout(handle);
  }
  now(): number {
    return this.clock.now();
  }
  advance(ms: number): void {
    this.clock.advance(ms);
  }
}

/** Runs `close` while moving the server clock, so batches and ack waits (on the clock) proceed. */
async function driveClose(clock: ManualClock, closing: Promise<void>, step = 10): Promise<void> {
  let done = false;
  void closing.then(() => {
    done = true;
  });
  while (!done) {
    clock.advance(step);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("graceful close", () => {
  const testServer = serverPerTest();

  for (const mode of MODES) {
    test(`socket.io-client ignores the noop hint (${mode})`, async () => {
      const hint = { reason: "server shutting down", reconnectAfter: 1234 };
      await assertHintsIgnored(await testServer.setup({}, mode), [hint, hint]);
    });
  }

  test("socket.io-client over a graceful close: disconnect 'transport close', no error", async () => {
    const clock = new ManualClock();
    const h = await testServer.setup({ clock });
    const client = h.client("/", { ...clientTransports("websocket") });
    await next(client, "connect");
    const errors: unknown[] = [];
    client.io.on("error", (e) => errors.push(e));
    const reason = next<[string]>(client, "disconnect");
    await driveClose(clock, h.io.close({ graceful: { reconnectWindow: 1000 } }));
    assert.equal((await reason)[0], "transport close");
    assert.deepEqual(errors, []);
  });

  test("refuses new connections, waits for acks in flight (up to ackTimeout), then closes in batches", async () => {
    const clock = new ManualClock();
    const h = await testServer.setup({ clock });
    const clients = Array.from({ length: 6 }, () => h!.client());
    await Promise.all(clients.map((c) => next(c, "connect")));
    const sockets = [...h.io.sockets.sockets.values()];
    // One client answers an ack only when we say so.
    let answer!: () => void;
    clients[0]!.on("question", (ack: (v: string) => void) => {
      answer = () => ack("42");
    });
    const asked = next(clients[0]!, "question");
    const reply = sockets
      .find((s) => s.id === clients[0]!.id)!
      .timeout(60_000)
      .emitWithAck("question");
    await asked;
    const disconnectedAt: number[] = [];
    for (const s of sockets)
      s.on("disconnect", (r) => disconnectedAt.push(clock.now()) && assert.equal(r, "server shutting down"));
    const closing = h.io.close({ graceful: { batchSize: 2, batchInterval: 100, ackTimeout: 1000 } });
    // While waiting for the ack: nobody disconnected, a new connection is refused.
    clock.advance(300);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(disconnectedAt, []);
    // Meanwhile a new connection is not accepted: its session is closed at once.
    const late = new RawClient(h.port);
    await late.closed();
    assert.equal(h.io.sockets.sockets.size, 6);
    answer();
    assert.equal(await reply, "42");
    await driveClose(clock, closing);
    assert.equal(disconnectedAt.length, 6);
    // Three batches of two, 100 ms apart.
    const batches = new Map<number, number>();
    for (const t of disconnectedAt) batches.set(t, (batches.get(t) ?? 0) + 1);
    assert.deepEqual([...batches.values()], [2, 2, 2]);
    const times = [...batches.keys()];
    assert.equal(times[1]! - times[0]!, 100);
    assert.equal(times[2]! - times[1]!, 100);
  });

  test("500 Volley clients, server restarted: reconnections spread over the advised window", async () => {
    const N = 500;
    const WINDOW = 10_000;
    const clock = new ManualClock();
    const http = createServer();
    const io = new Server(http, { clock, serveClient: false });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const port = (http.address() as AddressInfo).port;
    const timers = new ManualTimers();
    const clients: VolleySocket[] = [];
    for (let i = 0; i < N; i++)
      clients.push(
        volleyClient(`http://127.0.0.1:${port}`, { forceNew: true, transports: ["websocket"], timers }),
      );
    await Promise.all(clients.map((c) => (c.connected ? undefined : once(c, "connect"))));
    const firstAttempt = new Map<VolleySocket, number>();
    const closedAt = timers.now();
    for (const c of clients)
      c.io.on("reconnect_attempt", () => {
        if (!firstAttempt.has(c)) firstAttempt.set(c, timers.now() - closedAt);
      });
    const allGone = Promise.all(clients.map((c) => once(c, "disconnect")));
    await driveClose(clock, io.close({ graceful: { reconnectWindow: WINDOW } }));
    await allGone;

    // The restarted server, on the same port.
    const http2 = createServer();
    const io2 = new Server(http2, { serveClient: false });
    http2.listen(port, "127.0.0.1");
    await once(http2, "listening");
    try {
      const back = Promise.all(clients.map((c) => once(c, "connect")));
      for (let t = 0; t < WINDOW + 2_000; t += 50) {
        timers.advance(50);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await back;
      assert.equal(firstAttempt.size, N);
      // Distribution: 10 slices of the window; none holds more than 20 % (a spike would hold ~100 %).
      const slices = new Array<number>(10).fill(0);
      for (const t of firstAttempt.values()) slices[Math.min(9, Math.floor((t / WINDOW) * 10))]!++;
      const worst = Math.max(...slices) / N;
      console.log(`reconnect attempts per 10 % of the window: ${slices.join(", ")}`);
      assert.ok(worst <= 0.2, `a slice holds ${(worst * 100).toFixed(1)} % of the reconnections`);
      assert.ok(Math.max(...firstAttempt.values()) < WINDOW + 1);
    } finally {
      for (const c of clients) c.disconnect();
      await io2.close();
    }
  });
});
