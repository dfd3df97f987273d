// The polling → websocket upgrade driven by hand, step by step as the protocol describes it.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import type { EngineSocket } from "@volley/engine";
import {
  closed,
  type Fixture,
  nextSession,
  poll,
  pollingHandshake,
  post,
  RS,
  rawWebSocket,
  startEngine,
} from "./helpers.js";

async function waitWritable(session: { transport: { writable: boolean } }): Promise<void> {
  for (let i = 0; i < 1000 && !session.transport.writable; i++) await new Promise((r) => setImmediate(r));
  assert.ok(session.transport.writable, "the GET never arrived");
}

/**
 * Sends a GET poll and fails if the server parks it instead of answering in the same turn: a parked GET makes
 * the transport writable until something releases it, which the loop would observe.
 */
async function pollAnsweredAtOnce(f: Fixture, sid: string, session: EngineSocket): Promise<string> {
  let answered = false;
  const response = poll(f, sid).then((res) => {
    answered = true;
    return res;
  });
  for (let i = 0; i < 100_000 && !answered; i++) {
    assert.equal(session.transport.writable, false, "the GET was held instead of answered at once");
    await new Promise((r) => setImmediate(r));
  }
  const res = await response;
  assert.equal(res.status, 200);
  return res.body;
}

describe("upgrade (raw polling + ws)", () => {
  test("2probe → 3probe, waiting GET released with noop, 5 switches; queued packets follow in order", async () => {
    const f = await startEngine({ pingInterval: 60_000, pingTimeout: 60_000 });
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const pending = poll(f, sid);
    await waitWritable(session);

    const c = await rawWebSocket(f, `&sid=${sid}`);
    const upgrading = once(session, "upgrading");
    c.ws.send("2probe");
    assert.equal(await c.next(), "3probe");
    await upgrading;
    assert.equal((await pending).body, "6");
    assert.equal(session.upgrading, true);
    assert.equal(session.transport.name, "polling");

    // Sent while the client has paused polling: must neither be lost nor reordered.
    session.send("a");
    session.send(Buffer.from([1]));
    await new Promise((r) => setImmediate(r));
    const upgraded = once(session, "upgrade");
    c.ws.send("5");
    await upgraded;
    session.send("b");
    assert.equal(await c.next(), "4a");
    assert.deepEqual(await c.next(), Buffer.from([1]));
    assert.equal(await c.next(), "4b");
    assert.equal(session.transport.name, "websocket");
    assert.equal(session.upgraded, true);

    // The old transport is gone: polling requests are refused. A second websocket is accepted, then closed
    // (as engine.io: a 400 would make the `ws` client throw); the session keeps its websocket.
    const late = await poll(f, sid);
    assert.equal(late.status, 400);
    assert.equal(JSON.parse(late.body).code, 3);
    const second = await rawWebSocket(f, `&sid=${sid}`);
    await second.closed;
    assert.equal(session.readyState, "open");

    const got = once(session, "message");
    c.ws.send("4over ws");
    assert.deepEqual(await got, ["over ws"]);
    await f.close();
  });

  test("after the probe every poll is answered at once until 5: none held, nothing lost or reordered", async (t) => {
    // The client may poll again before it has seen 3probe (a busy page): that GET must not be parked, or the
    // client, now pausing polling, waits for it and the upgrade stalls until upgradeTimeout.
    const f = await startEngine({ pingInterval: 60_000, pingTimeout: 60_000, upgradeTimeout: 60_000 });
    t.after(() => f.close()); // also when an assertion fails with a GET still parked
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const pending = poll(f, sid);
    await waitWritable(session);

    const c = await rawWebSocket(f, `&sid=${sid}`);
    c.ws.send("2probe");
    assert.equal(await c.next(), "3probe");
    assert.equal((await pending).body, "6");
    // Two more polls from a client that has not processed 3probe yet: each answered with a noop at once.
    assert.equal(await pollAnsweredAtOnce(f, sid, session), "6");
    assert.equal(await pollAnsweredAtOnce(f, sid, session), "6");
    // A poll while something is queued carries it (answered at once too).
    session.send("a");
    await new Promise((r) => setImmediate(r));
    assert.equal(await pollAnsweredAtOnce(f, sid, session), "4a");
    assert.equal(session.upgrading, true, "the upgrade is still in progress");
    // The client now pauses polling; what is sent meanwhile waits for the switch.
    const got: unknown[] = [];
    session.on("message", (m) => got.push(m));
    await post(f, sid, "4p1");
    session.send("b");
    await new Promise((r) => setImmediate(r));
    const upgraded = once(session, "upgrade");
    c.ws.send("5");
    await upgraded;
    session.send("c");
    assert.equal(await c.next(), "4b");
    assert.equal(await c.next(), "4c");
    c.ws.send("4w1");
    await once(session, "message");
    assert.deepEqual(got, ["p1", "w1"]);
    assert.equal(session.transport.name, "websocket");
  });

  test("probe with no GET waiting: the next GET is answered at once (queued packets, or a noop)", async () => {
    const f = await startEngine();
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const c = await rawWebSocket(f, `&sid=${sid}`);
    c.ws.send("2probe");
    assert.equal(await c.next(), "3probe");
    assert.equal((await poll(f, sid)).body, "6");
    session.send("x");
    session.send("y");
    await new Promise((r) => setImmediate(r));
    c.ws.send("5");
    await once(session, "upgrade");
    assert.equal(await c.next(), "4x");
    assert.equal(await c.next(), "4y");
    await f.close();
  });

  test("messages posted over polling before the upgrade packet are delivered, then ws ones", async () => {
    const f = await startEngine();
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const got: unknown[] = [];
    session.on("message", (m) => got.push(m));
    const c = await rawWebSocket(f, `&sid=${sid}`);
    c.ws.send("2probe");
    await c.next();
    await post(f, sid, `4p1${RS}4p2`);
    c.ws.send("5");
    c.ws.send("4w1");
    await once(session, "message");
    assert.deepEqual(got, ["p1", "p2", "w1"]);
    await f.close();
  });

  test("upgradeTimeout: an unfinished upgrade is dropped and the session stays on polling", async () => {
    const f = await startEngine({ upgradeTimeout: 20 });
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const c = await rawWebSocket(f, `&sid=${sid}`);
    c.ws.send("2probe");
    assert.equal(await c.next(), "3probe");
    await c.closed;
    assert.equal(session.upgrading, false);
    assert.equal(session.readyState, "open");
    session.send("still here");
    assert.equal((await poll(f, sid)).body, "4still here");
    await f.close();
  });

  test("a wrong packet during the probe aborts the upgrade, not the session", async () => {
    const f = await startEngine();
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const c = await rawWebSocket(f, `&sid=${sid}`);
    c.ws.send("4not a probe");
    await c.closed;
    assert.equal(session.upgrading, false);
    assert.equal(session.readyState, "open");
    await f.close();
  });

  test("the probing websocket closing aborts the upgrade only", async () => {
    const f = await startEngine();
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const c = await rawWebSocket(f, `&sid=${sid}`);
    c.ws.send("2probe");
    await c.next();
    c.ws.terminate();
    await c.closed;
    for (let i = 0; i < 100 && session.upgrading; i++) await new Promise((r) => setTimeout(r, 1));
    assert.equal(session.upgrading, false);
    session.send("polling works");
    assert.equal((await poll(f, sid)).body, "4polling works");
    await f.close();
  });

  test("allowUpgrades: false announces no upgrades and refuses them", async () => {
    const f = await startEngine({ allowUpgrades: false });
    const { sid, handshake } = await pollingHandshake(f);
    assert.deepEqual(handshake.upgrades, []);
    await assert.rejects(rawWebSocket(f, `&sid=${sid}`), /400/);
    await f.close();
  });

  test("closing the session mid-upgrade closes the probing websocket too", async () => {
    const f = await startEngine();
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const c = await rawWebSocket(f, `&sid=${sid}`);
    c.ws.send("2probe");
    await c.next();
    const reason = closed(session);
    session.shutdown("server shutting down");
    assert.equal((await reason)[0], "server shutting down");
    await c.closed;
    await f.close();
  });
});
