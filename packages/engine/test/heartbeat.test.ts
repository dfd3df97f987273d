import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { closed, nextSession, poll, pollingHandshake, post, startEngine } from "./helpers.js";

describe("heartbeat (polling, short intervals)", () => {
  test("the server pings every pingInterval; pongs keep the session open", async () => {
    const f = await startEngine({ pingInterval: 30, pingTimeout: 500 });
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    let heartbeats = 0;
    session.on("heartbeat", () => heartbeats++);
    for (let i = 0; i < 3; i++) {
      // The waiting GET is answered by the next ping.
      assert.equal((await poll(f, sid)).body, "2");
      assert.equal((await post(f, sid, "3")).status, 200);
    }
    assert.equal(heartbeats, 3);
    assert.equal(session.readyState, "open");
    await f.close();
  });

  test("no pong within pingTimeout closes the session with 'ping timeout'", async () => {
    const f = await startEngine({ pingInterval: 20, pingTimeout: 20 });
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const [reason] = await closed(session);
    assert.equal(reason, "ping timeout");
    assert.equal(f.engine.clientsCount, 0);
    const res = await poll(f, sid);
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.body).code, 1);
    await f.close();
  });

  test("connectTimeout closes a session that never sends a message", async () => {
    const f = await startEngine({ connectTimeout: 20, closeTimeout: 20 });
    const connection = nextSession(f.engine);
    await pollingHandshake(f);
    const session = await connection;
    assert.equal((await closed(session))[0], "forced close");
    await f.close();
  });
});
