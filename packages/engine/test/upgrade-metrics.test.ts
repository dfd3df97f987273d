// The engine's upgrade counters: a finished upgrade counts once in `upgrades`, and every way an upgrade
// can fail (a wrong probe, the probing websocket closing) counts in `upgradeFailures` while the session
// stays on polling.
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { nextSession, poll, pollingHandshake, rawWebSocket, startEngine } from "./helpers.js";

test("upgrades and upgradeFailures count what happened to each upgrade", async () => {
  const f = await startEngine({ pingInterval: 60_000, pingTimeout: 60_000 });
  assert.equal(f.engine.metrics().upgrades, 0);
  assert.equal(f.engine.metrics().upgradeFailures, 0);

  // 1. A wrong first packet on the probing websocket.
  let connection = nextSession(f.engine);
  const wrong = await pollingHandshake(f);
  const wrongSession = await connection;
  const c1 = await rawWebSocket(f, `&sid=${wrong.sid}`);
  c1.ws.send("4not a probe");
  await c1.closed;
  assert.equal(wrongSession.readyState, "open");
  assert.equal(f.engine.metrics().upgradeFailures, 1);

  // 2. The probing websocket closes after the probe answer.
  connection = nextSession(f.engine);
  const dropped = await pollingHandshake(f);
  const droppedSession = await connection;
  const c2 = await rawWebSocket(f, `&sid=${dropped.sid}`);
  c2.ws.send("2probe");
  assert.equal(await c2.next(), "3probe");
  c2.ws.terminate();
  await c2.closed;
  for (let i = 0; i < 1000 && droppedSession.upgrading; i++) await new Promise((r) => setImmediate(r));
  assert.equal(droppedSession.upgrading, false);
  assert.equal(f.engine.metrics().upgradeFailures, 2);
  droppedSession.send("still polling");
  assert.equal((await poll(f, dropped.sid)).body, "4still polling");

  // 3. A finished upgrade.
  connection = nextSession(f.engine);
  const good = await pollingHandshake(f);
  const goodSession = await connection;
  const c3 = await rawWebSocket(f, `&sid=${good.sid}`);
  c3.ws.send("2probe");
  assert.equal(await c3.next(), "3probe");
  const upgraded = once(goodSession, "upgrade");
  c3.ws.send("5");
  await upgraded;

  const metrics = f.engine.metrics();
  assert.equal(metrics.upgrades, 1);
  assert.equal(metrics.upgradeFailures, 2);
  assert.deepEqual(metrics.sessions, { polling: 2, websocket: 1 });
  await f.close();
});
