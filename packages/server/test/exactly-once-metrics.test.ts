// The exactly-once counters of io.metrics() and their Prometheus families, driven over a real server by a raw
// Socket.IO client (exact ack ids, repeats and cuts on demand) and by the Volley client's retries: repeats
// answered from the record, awaited while their handler runs, forgotten past a bound; records dropped by
// maxEmits and maxBytes; server emits re-sent to a recovered connection or sent untracked past maxEmits;
// sessions expired on the recovery clock. Also the engine's close hint families, from a real event-rate close.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { io as volleyClient } from "@volley/client";
import { exactlyOnce } from "@volley/client/exactly-once";
import { type MetricsSnapshot, type Socket, toPrometheus } from "volley";
import { next } from "./helpers.js";
import { parseExposition, promtoolCheck } from "./prometheus-text.js";
import type { RawClient } from "./raw-client.js";
import { serverPerTest } from "./server-per-test.js";
import { ManualClock } from "../../engine/test/manual-clock.js";

const NONE: MetricsSnapshot["exactlyOnce"] = {
  repeatsAnswered: 0,
  repeatsAwaited: 0,
  repeatsForgotten: 0,
  emitsResent: 0,
  emitsUntracked: 0,
  recordsDropped: { maxEmits: 0, maxBytes: 0 },
  sessionsExpired: 0,
};

/** Joins "/" asking for exactly-once (with `pid`: recovering that session); the CONNECT answer's data. */
async function joinExactlyOnce(
  raw: RawClient,
  auth: Record<string, unknown> = {},
): Promise<{ sid: string; pid: string; exactlyOnce?: boolean }> {
  await raw.wait((m) => m.startsWith("0{"));
  raw.ws.send(`40${JSON.stringify({ ...auth, exactlyOnce: true })}`);
  const reply = await raw.wait((m) => m.startsWith("40"));
  return JSON.parse(reply.slice(2));
}

/** The next ACK the client receives for ack id `id` (`43<id>[…]`). */
function ackFor(raw: RawClient, id: number): Promise<string> {
  return raw.wait((m) => m.startsWith(`43${id}[`));
}

/** The next server EVENT with an ack id: `[ackId, payload]`. */
async function serverEmit(raw: RawClient): Promise<[number, unknown[]]> {
  const frame = await raw.wait((m) => /^42\d/.test(m));
  const match = /^42(\d+)(\[.*)$/.exec(frame)!;
  return [Number(match[1]), JSON.parse(match[2]!)];
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("exactly-once counters", () => {
  const testServer = serverPerTest();

  test("client emits repeated: answered from the record, awaited while running, forgotten past a bound", async () => {
    const h = await testServer.setup({
      clock: new ManualClock(),
      connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
      exactlyOnce: { maxEmits: 3, maxBytes: 100 },
      eventRateLimit: false,
    });
    const runs: unknown[] = [];
    const slowStarted = deferred<() => void>();
    h.io.on("connection", (socket: Socket) => {
      socket.on("work", (n: number | string, ack: (answer: unknown) => void) => {
        runs.push(n);
        if (n === "slow") slowStarted.resolve(() => ack("done"));
        else if (n === "big")
          ack("x".repeat(200)); // over maxBytes: not kept
        else ack((n as number) * 2);
      });
    });
    const raw = testServer.raw();
    assert.equal((await joinExactlyOnce(raw)).exactlyOnce, true);
    assert.deepEqual(h.io.metrics().exactlyOnce, NONE);

    raw.ws.send('421["work",1]');
    assert.equal(await ackFor(raw, 1), "431[2]");
    raw.ws.send('421["work",1]'); // a repeat of an answered emit: its recorded answer, not a second run
    assert.equal(await ackFor(raw, 1), "431[2]");

    raw.ws.send('422["work","slow"]');
    const release = await slowStarted.promise;
    raw.ws.send('422["work","slow"]'); // a repeat while the handler runs: waits for its answer
    raw.ws.send('423["work",3]'); // packets are handled in order: once 3 is answered, the repeat was seen
    assert.equal(await ackFor(raw, 3), "433[6]");
    release();
    assert.equal(await ackFor(raw, 2), '432["done"]');

    // Id 4 makes a fourth entry: the oldest (1) goes for maxEmits; its answer alone is over maxBytes.
    raw.ws.send('424["work","big"]');
    assert.equal(await ackFor(raw, 4), `434["${"x".repeat(200)}"]`);
    raw.ws.send('421["work",1]'); // forgotten: taken as processed, dropped unanswered
    raw.ws.send('425["work",5]');
    assert.equal(await ackFor(raw, 5), "435[10]");

    assert.deepEqual(runs, [1, "slow", 3, "big", 5], "no emit ran twice");
    assert.deepEqual(
      raw.received.filter((m) => m.startsWith("43")),
      [],
      "no answer to the forgotten repeat, one answer to the awaited one",
    );
    const snapshot = h.io.metrics();
    assert.deepEqual(snapshot.exactlyOnce, {
      ...NONE,
      repeatsAnswered: 1,
      repeatsAwaited: 1,
      repeatsForgotten: 1,
      recordsDropped: { maxEmits: 1, maxBytes: 1 },
    });

    const text = toPrometheus(snapshot);
    const values = parseExposition(text);
    assert.equal(values.get("volley_exactly_once_repeats_answered_total"), 1);
    assert.equal(values.get("volley_exactly_once_repeats_awaited_total"), 1);
    assert.equal(values.get("volley_exactly_once_repeats_forgotten_total"), 1);
    assert.equal(values.get('volley_exactly_once_records_dropped_total{bound="maxEmits"}'), 1);
    assert.equal(values.get('volley_exactly_once_records_dropped_total{bound="maxBytes"}'), 1);
    assert.equal(values.get("volley_exactly_once_emits_resent_total"), 0);
    assert.equal(values.get("volley_exactly_once_emits_untracked_total"), 0);
    assert.equal(values.get("volley_exactly_once_sessions_expired_total"), 0);
    assert.match(text, /^# HELP volley_exactly_once_repeats_answered_total .+$/m);
    assert.match(text, /^# TYPE volley_exactly_once_records_dropped_total counter$/m);
    await promtoolCheck(text);
  });

  test("server emits: re-sent to the recovered connection, untracked past maxEmits; the session then expires", async () => {
    let now = 0;
    const h = await testServer.setup({
      clock: new ManualClock(),
      connectionStateRecovery: { maxDisconnectionDuration: 60_000, now: () => now },
      exactlyOnce: { maxEmits: 3 },
    });
    const sockets: Socket[] = [];
    const answered = deferred<unknown>();
    h.io.on("connection", (socket: Socket) => {
      sockets.push(socket);
      if (sockets.length > 1) return;
      socket.emit("s2c", 1, (answer: unknown) => answered.resolve(answer));
      for (let n = 2; n <= 4; n++) socket.emit("s2c", n, () => {}); // the 4th: 3 pending already
    });

    const first = testServer.raw();
    const { pid } = await joinExactlyOnce(first);
    const emits: Array<[number, unknown[]]> = [];
    for (let i = 0; i < 4; i++) emits.push(await serverEmit(first));
    assert.deepEqual(
      emits.map(([, data]) => data),
      [1, 2, 3, 4].map((n) => ["s2c", n]),
    );
    first.ws.send(`43${emits[0]![0]}["ok"]`);
    assert.equal(await answered.promise, "ok");
    assert.deepEqual(h.io.metrics().exactlyOnce, { ...NONE, emitsUntracked: 1 });

    // The link drops; an emit meanwhile waits for the client, written for the first time when it is back.
    const left = next<[string]>(sockets[0]!, "disconnect");
    await first.close();
    assert.equal((await left)[0], "transport close");
    sockets[0]!.emit("s2c", 5, () => {});

    const second = testServer.raw();
    const back = await joinExactlyOnce(second, { pid });
    assert.equal(back.exactlyOnce, true, "the same record continues");
    const again: unknown[][] = [];
    for (let i = 0; i < 3; i++) again.push((await serverEmit(second))[1]);
    assert.deepEqual(
      again,
      [2, 3, 5].map((n) => ["s2c", n]),
    );
    assert.deepEqual(h.io.metrics().exactlyOnce, { ...NONE, emitsResent: 2, emitsUntracked: 1 });

    // Away past maxDisconnectionDuration: found expired at the next exactly-once connection.
    const leftAgain = next<[string]>(sockets[1]!, "disconnect");
    await second.close();
    await leftAgain;
    now += 60_000;
    assert.equal(h.io.metrics().exactlyOnce.sessionsExpired, 0, "not noticed yet");
    const third = testServer.raw();
    assert.equal((await joinExactlyOnce(third)).exactlyOnce, true);
    const snapshot = h.io.metrics();
    assert.deepEqual(snapshot.exactlyOnce, {
      ...NONE,
      emitsResent: 2,
      emitsUntracked: 1,
      sessionsExpired: 1,
    });
    const values = parseExposition(toPrometheus(snapshot));
    assert.equal(values.get("volley_exactly_once_emits_resent_total"), 2);
    assert.equal(values.get("volley_exactly_once_emits_untracked_total"), 1);
    assert.equal(values.get("volley_exactly_once_sessions_expired_total"), 1);
  });

  test("the Volley client's retries while its handler runs: awaited, run once", async () => {
    const h = await testServer.setup({ connectionStateRecovery: { maxDisconnectionDuration: 60_000 } });
    const timers = new ManualClock();
    let runs = 0;
    const started = deferred<() => void>();
    const frames: string[] = [];
    h.io.on("connection", (socket: Socket) => {
      socket.conn.on("packet", (packet: { type: string; data?: unknown }) => {
        if (packet.type === "message" && String(packet.data).startsWith("2"))
          frames.push(String(packet.data));
      });
      socket.on("slow", (n: number, ack: (v: number) => void) => {
        runs++;
        started.resolve(() => ack(n * 10));
      });
    });
    const client = volleyClient(h.url, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
      ackTimeout: 1000,
      retries: 2,
      timers,
    });
    exactlyOnce(client, { storage: false });
    try {
      await next(client, "connect");
      const answer = client.emitWithAck("slow", 4);
      const release = await started.promise;
      for (let attempt = 2; attempt <= 3; attempt++) {
        timers.advance(1000);
        for (let i = 0; frames.length < attempt && i < 10_000; i++) await tick();
      }
      assert.equal(frames.length, 3, "the emit and two retries reached the server");
      release();
      assert.equal(await answer, 40);
      assert.equal(runs, 1);
      assert.deepEqual(h.io.metrics().exactlyOnce, { ...NONE, repeatsAwaited: 2 });
    } finally {
      client.disconnect();
    }
  });
});

describe("close hint families", () => {
  const testServer = serverPerTest();

  test("an event-rate close: the hint counted by reason in io.metrics().engine and the exposition", async () => {
    const h = await testServer.setup({
      clock: new ManualClock(),
      eventRateLimit: { rate: 1, burst: 2, reconnectAfter: 1500 },
    });
    const [raw, socket] = await testServer.rawSocket();
    socket.on("error", () => {});
    const gone = next<[string]>(socket, "disconnect");
    for (let i = 0; i < 3; i++) raw.ws.send('42["spam"]');
    assert.match(await raw.wait((m) => m.startsWith("6")), /^6\{"reason":"event rate exceeded"/);
    assert.equal((await gone)[0], "event rate exceeded");
    const snapshot = h.io.metrics();
    assert.deepEqual(snapshot.engine.closeHints, { "event rate exceeded": 1 });
    assert.deepEqual(snapshot.engine.owedCloseHints, { owed: 0, delivered: 0, expired: 0, evicted: 0 });
    const text = toPrometheus(snapshot);
    const values = parseExposition(text);
    assert.equal(values.get('volley_engine_close_hints_total{reason="event rate exceeded"}'), 1);
    for (const outcome of ["", "_delivered", "_expired", "_evicted"])
      assert.equal(values.get(`volley_engine_owed_close_hints${outcome}_total`), 0, outcome);
    await promtoolCheck(text);
  });
});

const tick = () => new Promise((resolve) => setImmediate(resolve));
