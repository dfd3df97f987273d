// Close hints (issue 17, item 3): before the server closes a connection for a reason the client can act on,
// it sends an Engine.IO noop carrying `{"reason","message","reconnectAfter"}` (engine close-hint.ts). What is
// on the wire for each reason, and proof that the official clients — socket.io-client, engine.io-client and
// python-socketio — ignore the hint: no error, nothing delivered, the same disconnect as before, reconnection.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Socket as EngineIoClient } from "engine.io-client";
import type { Socket } from "volley";
import { MODES, next, setup } from "./helpers.js";
import { assertHintsIgnored } from "./hints-ignored.js";
import { serverPerTest } from "./server-per-test.js";
import { ManualClock } from "../../engine/test/manual-clock.js";
import { floodUntilDisconnected, type RawClient } from "./raw-client.js";

const RATE_HINT =
  '6{"reason":"event rate exceeded","message":"incoming events exceed eventRateLimit (1/s, burst 2)","reconnectAfter":1500}';
const SLOW_HINT =
  '6{"reason":"slow consumer","message":"outgoing buffer exceeds maxBufferedBytes (10000 bytes)"}';

/** Every hint form the server sends, each twice, while the connection stays open. */
const ALL_HINTS = [
  {
    reason: "event rate exceeded",
    message: "incoming events exceed eventRateLimit (1/s, burst 2)",
    reconnectAfter: 1,
  },
  { reason: "slow consumer", message: "outgoing buffer exceeds maxBufferedBytes (10000 bytes)" },
  { reason: "server shutting down", reconnectAfter: 1234 },
  { reason: "parse error", message: 'invalid payload: "quoted" ✓ \u2028' },
];

/** Raw close code and reason of a `ws` connection. */
function closeOf(raw: RawClient): Promise<[number, string]> {
  return new Promise((resolve) => raw.ws.once("close", (code, reason) => resolve([code, reason.toString()])));
}

describe("close hints on the wire", () => {
  const testServer = serverPerTest();

  test("event rate exceeded: the hint with eventRateLimit.reconnectAfter, then a normal close frame", async () => {
    await testServer.setup({
      clock: new ManualClock(),
      eventRateLimit: { rate: 1, burst: 2, reconnectAfter: 1500 },
    });
    const [raw, socket] = await testServer.rawSocket();
    socket.on("error", () => {});
    const reason = next<[string]>(socket, "disconnect");
    const closed = closeOf(raw);
    for (let i = 0; i < 3; i++) raw.ws.send('42["spam"]');
    assert.equal(await raw.wait((m) => m.startsWith("6")), RATE_HINT);
    assert.deepEqual(await closed, [1005, ""], "a close frame without a code");
    assert.equal((await reason)[0], "event rate exceeded");
  });

  test("eventRateLimit.reconnectAfter: default 5000, 0 sends no advice, bad values refused", async () => {
    let h = await testServer.setup({ clock: new ManualClock(), eventRateLimit: { rate: 1, burst: 1 } });
    assert.equal(h.io._eventRate!.reconnectAfter, 5000);
    const [raw, socket] = await testServer.rawSocket();
    socket.on("error", () => {});
    for (let i = 0; i < 2; i++) raw.ws.send('42["spam"]');
    assert.match(await raw.wait((m) => m.startsWith("6")), /,"reconnectAfter":5000}$/);
    await h.cleanup();

    h = await testServer.setup({
      clock: new ManualClock(),
      eventRateLimit: { rate: 1, burst: 1, reconnectAfter: 0 },
    });
    const [raw2, socket2] = await testServer.rawSocket();
    socket2.on("error", () => {});
    for (let i = 0; i < 2; i++) raw2.ws.send('42["spam"]');
    assert.equal(
      await raw2.wait((m) => m.startsWith("6")),
      '6{"reason":"event rate exceeded","message":"incoming events exceed eventRateLimit (1/s, burst 1)"}',
    );
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, "5" as unknown as number])
      await assert.rejects(
        async () => setup({ eventRateLimit: { reconnectAfter: bad } }),
        /option eventRateLimit.reconnectAfter must be a finite number ≥ 0/,
      );
  });

  test("a malformed packet: the hint names the parse error, then a normal close frame", async () => {
    await testServer.setup();
    const [raw, socket] = await testServer.rawSocket();
    socket.on("error", () => {});
    const closed = closeOf(raw);
    raw.ws.send('42["unterminated"');
    const hint = JSON.parse((await raw.wait((m) => m.startsWith("6"))).slice(1));
    assert.equal(hint.reason, "parse error");
    assert.equal(typeof hint.message, "string");
    assert.ok(hint.message.length > 0);
    assert.equal((await closed)[0], 1005);
  });

  test("a protocol violation (a second CONNECT to the same namespace): no hint, as socket.io answers", async () => {
    await testServer.setup();
    const [raw, socket] = await testServer.rawSocket();
    const reason = next<[string]>(socket, "disconnect");
    const closed = closeOf(raw);
    raw.ws.send("40");
    assert.equal((await reason)[0], "forced close");
    await closed;
    assert.deepEqual(
      raw.received.filter((m) => m.startsWith("6")),
      [],
      "the wire stays socket.io's (socket-lifecycle-parity.test.ts): only a broken client gets here",
    );
  });

  test("a plain io.close(): reason server shutting down, before the close frame", async () => {
    const h = await testServer.setup();
    const [raw] = await testServer.rawSocket();
    const closed = closeOf(raw);
    await h.io.close();
    assert.equal(await raw.wait((m) => m.startsWith("6")), '6{"reason":"server shutting down"}');
    assert.equal((await closed)[0], 1005);
  });

  test("websocket slow consumer that kept up: the hint, then close 1008 'slow consumer'", async () => {
    await testServer.setup({ maxBufferedBytes: 10_000 });
    const [raw, socket] = await testServer.rawSocket();
    const reason = next<[string, unknown]>(socket, "disconnect");
    const closed = closeOf(raw);
    // One turn queues more than maxBufferedBytes: the client was reading, only this burst is too much.
    socket.emit("big", "x".repeat(20_000));
    assert.equal(await raw.wait((m) => m.startsWith("6")), SLOW_HINT);
    assert.deepEqual(await closed, [1008, "slow consumer"]);
    assert.deepEqual(await reason, ["slow consumer", { maxBufferedBytes: 10_000 }]);
    assert.deepEqual(
      raw.received.filter((m) => m.startsWith("42")),
      [],
      "what was queued past the limit is dropped",
    );
  });

  test("websocket slow consumer that stopped reading: dropped at once (no close frame)", async () => {
    await testServer.setup({ maxBufferedBytes: 256 * 1024, writableHighWaterMark: 64 * 1024 });
    const [raw, socket] = await testServer.rawSocket();
    const reason = next<[string]>(socket, "disconnect");
    const closed = closeOf(raw);
    raw.stopReading();
    await floodUntilDisconnected(socket, 64 * 1024);
    assert.equal((await reason)[0], "slow consumer");
    raw.resumeReading();
    assert.equal((await closed)[0], 1006);
  });

  test("polling slow consumer with a poll waiting: the poll gets the hint and the close packet", async () => {
    const h = await testServer.setup({ maxBufferedBytes: 10_000 }, "polling");
    const base = `${h.url}/socket.io/?EIO=4&transport=polling`;
    const { sid } = JSON.parse((await (await fetch(base)).text()).slice(1));
    const url = `${base}&sid=${sid}`;
    const joined = next<[Socket]>(h.io, "connection");
    await fetch(url, { method: "POST", body: "40" });
    assert.match(await (await fetch(url)).text(), /^40\{/);
    const [socket] = await joined;
    const waiting = fetch(url).then((res) => res.text());
    while (!socket.conn.transport.writable) await new Promise((r) => setImmediate(r));
    socket.emit("big", "x".repeat(20_000));
    assert.equal(await waiting, `${SLOW_HINT}\x1e1`);
  });
});

describe("official clients ignore close hints", () => {
  const testServer = serverPerTest();

  for (const mode of MODES) {
    test(`socket.io-client (${mode}): every hint form, twice, changes nothing`, async () => {
      await assertHintsIgnored(await testServer.setup({}, mode), [...ALL_HINTS, ...ALL_HINTS]);
    });

    test(`socket.io-client (${mode}) cut off at the event rate: 'transport close', no error, reconnects`, async () => {
      const h = await testServer.setup(
        { eventRateLimit: { rate: 1, burst: 2, reconnectAfter: 60_000 } },
        mode,
      );
      h.io.on("connection", (s) => s.on("error", () => {}));
      const client = h.client("/", { reconnection: true, reconnectionDelay: 10, randomizationFactor: 0 });
      await next(client, "connect");
      const errors: unknown[] = [];
      client.on("connect_error", (e) => errors.push(e));
      client.io.on("error", (e) => errors.push(e));
      const gone = next<[string]>(client, "disconnect");
      for (let i = 0; i < 3; i++) client.emit("spam");
      assert.equal((await gone)[0], "transport close");
      // The advice is not theirs to follow: they come back after their own backoff.
      await next(client, "connect");
      assert.deepEqual(errors, []);
    });
  }

  test("socket.io-client, slow consumer that kept up: 'transport close' (websocket 1008), no error", async () => {
    const h = await testServer.setup({ maxBufferedBytes: 10_000 });
    const joined = next<[Socket]>(h.io, "connection");
    const client = h.client();
    await next(client, "connect");
    const [socket] = await joined;
    const errors: unknown[] = [];
    client.io.on("error", (e) => errors.push(e));
    const gone = next<[string, { context?: { code?: number } }]>(client, "disconnect");
    socket.emit("big", "x".repeat(20_000));
    const [reason, details] = await gone;
    assert.equal(reason, "transport close");
    assert.equal(details.context?.code, 1008);
    assert.deepEqual(errors, []);
  });

  for (const transport of ["polling", "websocket"] as const) {
    test(`engine.io-client (${transport}): the hint is neither a message nor an error`, async () => {
      const h = await testServer.setup({ eventRateLimit: { rate: 1, burst: 2 } });
      h.io.on("connection", (s) => s.on("error", () => {}));
      const engine = new EngineIoClient(h.url, { path: "/socket.io/", transports: [transport] });
      const seen: unknown[] = [];
      engine.on("error", (e) => seen.push(["error", e]));
      engine.on("message", (m) => seen.push(["message", m]));
      const noops: unknown[] = [];
      engine.on("packet", (p) => p.type === "noop" && noops.push(p.data));
      await once(engine, "open");
      const joined = new Promise<void>((resolve) =>
        engine.on("message", (m) => String(m).startsWith("0{") && resolve()),
      );
      engine.send("0");
      await joined;
      seen.length = 0;
      const closed = new Promise<string>((resolve) => engine.on("close", (reason) => resolve(reason)));
      for (let i = 0; i < 3; i++) engine.send('2["spam"]');
      assert.equal(await closed, "transport close");
      assert.deepEqual(seen, []);
      assert.deepEqual(noops, [
        '{"reason":"event rate exceeded","message":"incoming events exceed eventRateLimit (1/s, burst 2)","reconnectAfter":5000}',
      ]);
    });
  }
});

const PYTHON = "/usr/bin/python3";
const SCRIPT = fileURLToPath(new URL("./fixtures/python-close-hints.py", import.meta.url));

describe("python-socketio ignores close hints", {
  skip: !existsSync(PYTHON) && "no /usr/bin/python3",
}, () => {
  for (const transport of ["polling", "websocket"] as const) {
    test(transport, async () => {
      const h = await setup({ eventRateLimit: { rate: 1, burst: 2 } });
      try {
        h.io.on("connection", (socket: Socket) => {
          socket.on("error", () => {});
          socket.on("hints", (ack: (v: string) => void) => {
            for (const hint of [...ALL_HINTS, ...ALL_HINTS]) socket.client._advise(hint);
            ack("sent");
          });
          socket.on("hello", (ack: (v: string) => void) => ack("hi"));
        });
        const out = await new Promise<string>((resolve, reject) =>
          execFile(PYTHON, [SCRIPT, h.url, transport], { timeout: 60_000 }, (err, stdout, stderr) =>
            err ? reject(new Error(`python client failed: ${err.message}\n${stderr}`)) : resolve(stdout),
          ),
        );
        const seen = JSON.parse(out.trim().split("\n").pop()!);
        assert.deepEqual(seen, { hints: "sent", hello: "hi", events: [], disconnected: true });
      } finally {
        await h.cleanup();
      }
    });
  }
});
