// Heartbeats driven by mock.timers through the `clock` option: the real default intervals, no sleeping.
import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import type { EngineSocket } from "@volley/engine";
import { closed, type Fixture, nextSession, poll, pollingHandshake, post, startEngine } from "./helpers.js";

/** Enables mock.timers for this test and returns a clock on them (the engine's `clock` option). */
function mockClock(t: TestContext) {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  return {
    now: () => Date.now(),
    setTimeout: <A>(callback: (arg: A) => void, ms: number, arg: A) => setTimeout(callback, ms, arg),
    clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
  };
}

/** A few turns of the event loop (setImmediate is not mocked): lets queued packets be flushed. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

/** Sends a GET and waits until the server holds it (nothing to send yet); `body` resolves with its answer. */
async function heldPoll(f: Fixture, sid: string, session: EngineSocket): Promise<{ body: Promise<string> }> {
  const body = poll(f, sid).then((res) => res.body);
  for (let i = 0; i < 10_000 && !session.transport.writable; i++) await turns(1);
  assert.equal(session.transport.writable, true, "the GET never arrived");
  return { body };
}

describe("heartbeat (mock timers via the clock option)", () => {
  test("a ping every pingInterval after the last pong; pongs keep the session open", async (t) => {
    const f = await startEngine({ clock: mockClock(t) }); // pingInterval 25000, pingTimeout 20000
    t.after(() => f.close());
    const connection = nextSession(f.engine);
    const { sid, handshake } = await pollingHandshake(f);
    assert.equal(handshake.pingInterval, 25000);
    const session = await connection;
    let heartbeats = 0;
    session.on("heartbeat", () => heartbeats++);
    for (let i = 0; i < 3; i++) {
      const pending = await heldPoll(f, sid, session);
      t.mock.timers.tick(24_999);
      await turns();
      assert.equal(session.transport.writable, true, "no ping before pingInterval");
      t.mock.timers.tick(1);
      assert.equal(await pending.body, "2");
      // The pong comes late, but within pingTimeout: the next interval counts from it.
      t.mock.timers.tick(19_999);
      assert.equal((await post(f, sid, "3")).status, 200);
    }
    assert.equal(heartbeats, 3);
    assert.equal(session.readyState, "open");
  });

  test("no pong within pingTimeout closes the session with 'ping timeout'", async (t) => {
    const f = await startEngine({ clock: mockClock(t) });
    t.after(() => f.close());
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const reason = closed(session);
    const pending = await heldPoll(f, sid, session);
    t.mock.timers.tick(25_000);
    assert.equal(await pending.body, "2");
    t.mock.timers.tick(19_999);
    assert.equal(session.readyState, "open");
    t.mock.timers.tick(1);
    assert.equal((await reason)[0], "ping timeout");
    assert.equal(f.engine.clientsCount, 0);
    const res = await poll(f, sid);
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.body).code, 1);
  });

  test("sessions share the heartbeat timer and each keeps its own deadline", async (t) => {
    const f = await startEngine({ clock: mockClock(t), pingInterval: 1000, pingTimeout: 500 });
    t.after(() => f.close());
    const first = nextSession(f.engine);
    const a = await pollingHandshake(f);
    const sessionA = await first;
    t.mock.timers.tick(400);
    const second = nextSession(f.engine);
    const b = await pollingHandshake(f);
    const sessionB = await second;
    const pendingA = await heldPoll(f, a.sid, sessionA);
    const pendingB = await heldPoll(f, b.sid, sessionB);
    t.mock.timers.tick(600); // A's interval is over, not B's
    assert.equal(await pendingA.body, "2");
    await turns();
    assert.equal(sessionB.transport.writable, true, "B is not pinged yet");
    t.mock.timers.tick(400);
    assert.equal(await pendingB.body, "2");
    // A answers, B does not: only B times out.
    assert.equal((await post(f, a.sid, "3")).status, 200);
    const reasonB = closed(sessionB);
    t.mock.timers.tick(500);
    assert.equal((await reasonB)[0], "ping timeout");
    assert.equal(sessionA.readyState, "open");
  });

  test("connectTimeout closes a session that never sends a message", async (t) => {
    const f = await startEngine({ clock: mockClock(t), connectTimeout: 45_000, closeTimeout: 1000 });
    t.after(() => f.close());
    const connection = nextSession(f.engine);
    await pollingHandshake(f);
    const session = await connection;
    const reason = closed(session);
    t.mock.timers.tick(45_000);
    assert.equal(session.readyState, "closing", "waits for the client's next poll to say goodbye");
    t.mock.timers.tick(1000);
    assert.equal((await reason)[0], "forced close");
  });

  test("a message before connectTimeout keeps the session", async (t) => {
    const f = await startEngine({ clock: mockClock(t), connectTimeout: 45_000 });
    t.after(() => f.close());
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    assert.equal((await post(f, sid, "4hello")).status, 200);
    t.mock.timers.tick(45_000);
    assert.equal(session.readyState, "open");
  });
});

describe("heartbeat (real timers, short intervals)", () => {
  test("the server pings every pingInterval; pongs keep the session open", async () => {
    const f = await startEngine({ pingInterval: 30, pingTimeout: 500 });
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    for (let i = 0; i < 2; i++) {
      assert.equal((await poll(f, sid)).body, "2");
      assert.equal((await post(f, sid, "3")).status, 200);
    }
    assert.equal(session.readyState, "open");
    await f.close();
  });
});
