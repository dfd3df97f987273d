// close-hint.ts: the noop payload's form, `sendHint` on a session, and how a slow consumer's transport ends
// (the hint and close 1008 for a client that kept up, an immediate drop for one that stopped reading).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encodeCloseHint, sendHint } from "@volley/engine";
import { closed, RS, startEngine, pollingSession, waitingPoll, webSocketSession } from "./helpers.js";

describe("encodeCloseHint", () => {
  test("JSON with reason, message, reconnectAfter in that order; absent fields left out", () => {
    assert.equal(
      encodeCloseHint({ reconnectAfter: 5, message: "m", reason: "r" }),
      '{"reason":"r","message":"m","reconnectAfter":5}',
    );
    assert.equal(encodeCloseHint({ reason: "server shutting down" }), '{"reason":"server shutting down"}');
    // Whatever the message holds stays one JSON string (a noop packet has no framing of its own).
    const message = 'a "quoted" \u2028 line\nbreak ✓';
    assert.deepEqual(JSON.parse(encodeCloseHint({ reason: "x", message })), { reason: "x", message });
    // Bounded: whatever error text it carries, a hint stays small.
    assert.equal(
      JSON.parse(encodeCloseHint({ reason: "x", message: "m".repeat(100_000) })).message,
      "m".repeat(256),
    );
  });
});

describe("sendHint", () => {
  test("queues a noop ahead of the close: a waiting poll gets both", async () => {
    const f = await startEngine();
    const { sid, session } = await pollingSession(f);
    const pending = await waitingPoll(f, sid, session);
    sendHint(session, { reason: "r", message: "m" });
    session.close();
    assert.equal((await pending.answer).body, `6{"reason":"r","message":"m"}${RS}1`);
    await f.close();
  });

  test("nothing once the session is closed", async () => {
    const f = await startEngine();
    const { c, session } = await webSocketSession(f);
    const gone = closed(session);
    session.close();
    await gone;
    const created: unknown[] = [];
    session.on("packetCreate", (packet) => created.push(packet));
    sendHint(session, { reason: "late" });
    assert.deepEqual(created, []);
    await c.closed;
    await f.close();
  });
});

describe("slow consumer", () => {
  test("websocket, a client that kept up: the hint, then close 1008; the rest of the queue is dropped", async () => {
    const f = await startEngine({ maxBufferedBytes: 10_000 });
    const { c, session } = await webSocketSession(f);
    const reason = closed(session);
    const code = new Promise<[number, string]>((resolve) =>
      c.ws.once("close", (n: number, why: Buffer) => resolve([n, why.toString()])),
    );
    // "small" finds the session idle and is written at once; the big one overflows the queue.
    session.send("small");
    session.send("x".repeat(20_000));
    assert.deepEqual(await reason, ["slow consumer", { maxBufferedBytes: 10_000 }]);
    assert.equal(await c.next(), "4small");
    assert.equal(
      await c.next(),
      '6{"reason":"slow consumer","message":"outgoing buffer exceeds maxBufferedBytes (10000 bytes)"}',
    );
    assert.deepEqual(await code, [1008, "slow consumer"]);
    await f.close();
  });

  test("websocket, a client that stopped reading: dropped at once, no close frame", async () => {
    const f = await startEngine({ maxBufferedBytes: 256 * 1024, writableHighWaterMark: 64 * 1024 });
    const { c, session } = await webSocketSession(f);
    const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const reason = closed(session);
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let i = 0; i < 1000 && session.readyState === "open"; i++) {
      session.send(chunk);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal((await reason)[0], "slow consumer");
    socket.resume();
    assert.equal(await c.closed, 1006);
    await f.close();
  });
});
