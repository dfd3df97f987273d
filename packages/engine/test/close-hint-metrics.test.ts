// The engine's close hint counters (engine.metrics()): hints given by reason (sendHint on an open session, the
// slow consumer's own), and what became of the hints owed to polling clients: owed, delivered on a later poll,
// evicted past `max`, expired after `ttl` on the manual clock. Real sessions over raw HTTP and `ws`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sendHint } from "@volley/engine";
import { closed, oweCloseHints, poll, pollingSession, RS, startEngine, webSocketSession } from "./helpers.js";
import { ManualClock } from "./manual-clock.js";

const CLOSE_TIMEOUT = 1000;
const NOTHING_OWED = { owed: 0, delivered: 0, expired: 0, evicted: 0 };

describe("close hints given, by reason", () => {
  test("sendHint on an open session and a slow consumer that kept up count; a closed session does not", async () => {
    const f = await startEngine({ maxBufferedBytes: 10_000 });
    try {
      assert.deepEqual(f.engine.metrics().closeHints, {});

      // Told why, then closed: counted once, under the hint's reason.
      const hinted = await webSocketSession(f);
      const hintedGone = closed(hinted.session);
      sendHint(hinted.session, { reason: "event rate exceeded", reconnectAfter: 1500 });
      hinted.session.close();
      await hintedGone;
      assert.equal(await hinted.c.next(), '6{"reason":"event rate exceeded","reconnectAfter":1500}');
      // Too late: the session is closed, nothing is queued, nothing counted.
      sendHint(hinted.session, { reason: "late" });

      // A slow consumer still reading: the engine writes its hint itself.
      const slow = await webSocketSession(f);
      const slowGone = closed(slow.session);
      slow.session.send("small");
      slow.session.send("x".repeat(20_000));
      assert.equal((await slowGone)[0], "slow consumer");
      assert.equal(await slow.c.next(), "4small");
      assert.match(String(await slow.c.next()), /^6\{"reason":"slow consumer"/);

      const metrics = f.engine.metrics();
      assert.deepEqual(metrics.closeHints, { "event rate exceeded": 1, "slow consumer": 1 });
      assert.deepEqual(metrics.owedCloseHints, NOTHING_OWED);
    } finally {
      await f.close();
    }
  });

  test("a slow consumer between polls: its hint is owed, not given", async () => {
    const f = await startEngine({ maxBufferedBytes: 10_000 });
    try {
      const { sid, session } = await pollingSession(f);
      const gone = closed(session);
      session.send("x".repeat(20_000));
      assert.equal((await gone)[0], "slow consumer");
      assert.deepEqual(f.engine.metrics().closeHints, {});
      assert.deepEqual(f.engine.metrics().owedCloseHints, { ...NOTHING_OWED, owed: 1 });
      assert.match((await poll(f, sid)).body, /^6\{"reason":"slow consumer"/);
      assert.deepEqual(f.engine.metrics().owedCloseHints, { ...NOTHING_OWED, owed: 1, delivered: 1 });
    } finally {
      await f.close();
    }
  });
});

describe("owed close hints", () => {
  test("owed, delivered once, evicted past max, expired after ttl (counted by the snapshot)", async () => {
    const clock = new ManualClock();
    const f = await startEngine({
      clock,
      closeTimeout: CLOSE_TIMEOUT,
      owedCloseHints: { max: 2, ttl: 5000 },
    });
    try {
      // Three polling sessions closed with a hint and no poll waiting: the third owe evicts the first.
      const sids = await oweCloseHints(f, Array(3).fill("server shutting down"));
      assert.deepEqual(f.engine.metrics().closeHints, { "server shutting down": 3 });
      assert.deepEqual(f.engine.metrics().owedCloseHints, { ...NOTHING_OWED, owed: 3, evicted: 1 });

      // The second session's next poll gets its hint, once; the evicted first gets the 400.
      assert.equal((await poll(f, sids[1]!)).body, `6{"reason":"server shutting down"}${RS}1`);
      assert.equal((await poll(f, sids[1]!)).status, 400);
      assert.equal((await poll(f, sids[0]!)).status, 400);
      assert.deepEqual(f.engine.metrics().owedCloseHints, {
        owed: 3,
        delivered: 1,
        expired: 0,
        evicted: 1,
      });

      // The third is never asked for: one ms short of ttl it is kept, at ttl the snapshot finds it expired.
      clock.advance(4999);
      assert.equal(f.engine.metrics().owedCloseHints.expired, 0);
      clock.advance(1);
      assert.deepEqual(f.engine.metrics().owedCloseHints, {
        owed: 3,
        delivered: 1,
        expired: 1,
        evicted: 1,
      });
      assert.equal((await poll(f, sids[2]!)).status, 400);
      assert.equal(f.engine.metrics().owedCloseHints.delivered, 1);
    } finally {
      await f.close();
    }
  });

  test("a hint queued while no poll waits, closeTimeout passing: given, then owed and delivered", async () => {
    const clock = new ManualClock();
    const f = await startEngine({ clock, closeTimeout: CLOSE_TIMEOUT });
    try {
      const { sid, session } = await pollingSession(f);
      const gone = closed(session);
      sendHint(session, { reason: "event rate exceeded" });
      session.close();
      clock.advance(CLOSE_TIMEOUT);
      assert.equal((await gone)[0], "forced close");
      assert.deepEqual(f.engine.metrics().closeHints, { "event rate exceeded": 1 });
      assert.deepEqual(f.engine.metrics().owedCloseHints, { ...NOTHING_OWED, owed: 1 });
      assert.equal((await poll(f, sid)).body, `6{"reason":"event rate exceeded"}${RS}1`);
      assert.deepEqual(f.engine.metrics().owedCloseHints, { ...NOTHING_OWED, owed: 1, delivered: 1 });
    } finally {
      await f.close();
    }
  });
});
