// The protocol 3 heartbeat (allowEIO3), on mock timers through the `clock` option: the client pings, the
// server answers with a pong and closes a session that sent no ping for pingInterval + pingTimeout.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, type TestContext, test } from "node:test";
import type { EngineSocket } from "@volley/engine";
import { closed, type Fixture, nextSession, rawRequest, startEngine } from "./helpers.js";

function mockClock(t: TestContext) {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  return {
    now: () => Date.now(),
    setTimeout: <A>(callback: (arg: A) => void, ms: number, arg: A) => setTimeout(callback, ms, arg),
    clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
  };
}

async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

const V3 = "/engine.io/?EIO=3&transport=polling";

async function openV3(f: Fixture): Promise<{ sid: string; session: EngineSocket }> {
  const connection = nextSession(f.engine);
  const res = await rawRequest(f.port, "GET", V3);
  const sid = JSON.parse(res.body.slice(res.body.indexOf("{"))).sid as string;
  return { sid, session: await connection };
}

const post = (f: Fixture, sid: string, body: string) =>
  rawRequest(f.port, "POST", `${V3}&sid=${sid}`, body, { "Content-Type": "text/plain;charset=UTF-8" });
const get = (f: Fixture, sid: string) => rawRequest(f.port, "GET", `${V3}&sid=${sid}`);

describe("protocol 3 heartbeat (mock timers)", () => {
  test("the server never pings; it answers the client's ping with a pong", async (t) => {
    const f = await startEngine({ allowEIO3: true, clock: mockClock(t) }); // 25000 + 20000
    t.after(() => f.close());
    const { sid, session } = await openV3(f);
    let heartbeats = 0;
    session.on("heartbeat", () => heartbeats++);
    const held = get(f, sid).then((res) => res.body);
    while (!session.transport.writable) await turns(1);
    t.mock.timers.tick(25_000);
    await turns();
    assert.equal(session.transport.writable, true, "no server ping after pingInterval");
    assert.equal((await post(f, sid, "1:2")).body, "ok");
    assert.equal(await held, "1:3");
    assert.equal(heartbeats, 1);
    assert.equal((await post(f, sid, "6:2probe")).body, "ok");
    assert.equal((await get(f, sid)).body, "6:3probe");
  });

  test("no ping within pingInterval + pingTimeout closes the session with 'ping timeout'", async (t) => {
    const f = await startEngine({ allowEIO3: true, clock: mockClock(t) });
    t.after(() => f.close());
    const { sid, session } = await openV3(f);
    const reason = closed(session);
    // Messages are no sign of life in this protocol (as engine.io): only pings count.
    t.mock.timers.tick(30_000);
    assert.equal((await post(f, sid, "2:4x")).body, "ok");
    t.mock.timers.tick(14_999);
    assert.equal(session.readyState, "open");
    t.mock.timers.tick(1);
    assert.equal((await reason)[0], "ping timeout");
    assert.equal(f.engine.clientsCount, 0);
    assert.equal(JSON.parse((await get(f, sid)).body).code, 1);
  });

  test("each ping restarts the wait; sessions keep their own deadlines", async (t) => {
    const f = await startEngine({
      allowEIO3: true,
      clock: mockClock(t),
      pingInterval: 1000,
      pingTimeout: 500,
    });
    t.after(() => f.close());
    const a = await openV3(f);
    t.mock.timers.tick(600);
    const b = await openV3(f); // due at 600 + 1500 = 2100
    const reasonB = closed(b.session);
    t.mock.timers.tick(800);
    assert.equal((await post(f, a.sid, "1:2")).body, "ok"); // at 1400: a is due at 2900
    assert.equal((await get(f, a.sid)).body, "1:3");
    t.mock.timers.tick(700);
    assert.equal((await reasonB)[0], "ping timeout");
    assert.equal(a.session.readyState, "open");
    const reasonA = closed(a.session);
    t.mock.timers.tick(799);
    assert.equal(a.session.readyState, "open");
    t.mock.timers.tick(1);
    assert.equal((await reasonA)[0], "ping timeout");
  });

  test("over websocket: 2 → 3, and the same timeout", async (t) => {
    const f = await startEngine({
      allowEIO3: true,
      clock: mockClock(t),
      pingInterval: 1000,
      pingTimeout: 500,
    });
    t.after(() => f.close());
    const { WebSocket } = await import("ws");
    const connection = nextSession(f.engine);
    const ws = new WebSocket(`ws://127.0.0.1:${f.port}/engine.io/?EIO=3&transport=websocket`);
    ws.on("error", () => {});
    const messages: string[] = [];
    ws.on("message", (m: Buffer) => messages.push(m.toString()));
    const session = await connection;
    await once(ws, "open");
    const reason = closed(session);
    t.mock.timers.tick(1400);
    ws.send("2");
    while (messages.length < 2) await turns(1);
    assert.equal(messages[1], "3");
    t.mock.timers.tick(1499);
    assert.equal(session.readyState, "open");
    t.mock.timers.tick(1);
    assert.equal((await reason)[0], "ping timeout");
    ws.terminate();
  });
});
