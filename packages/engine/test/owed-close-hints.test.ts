// Close hints owed to polling clients (owed-close-hints.ts): a polling session closed with a hint while no poll
// of its client was waiting answers that client's next poll with the hint and the close packet, once, instead
// of 400 "Session ID unknown". The record's bounds (count, age on the injected clock), the option, the wire
// form for protocol 4 and 3, and the official engine.io-client seeing a normal close. No sleeps: the engine's
// clock moves only when a test says so, and client polls are held by a middleware until released.
import assert from "node:assert/strict";
import { once } from "node:events";
import type { IncomingMessage } from "node:http";
import { describe, test } from "node:test";
import {
  type Clock,
  EngineServer,
  type EngineServerOptions,
  type EngineSocket,
  sendHint,
} from "@volley/engine";
import { Socket } from "engine.io-client";
import { EngineCounters } from "../src/metrics.js";
import { OwedCloseHints } from "../src/owed-close-hints.js";
import {
  closed,
  oweCloseHints,
  type Fixture,
  nextSession,
  poll,
  post,
  RS,
  rawRequest,
  startEngine,
  pollingSession,
} from "./helpers.js";
import { ManualClock } from "./manual-clock.js";

const HINT = { reason: "event rate exceeded", message: "too fast", reconnectAfter: 3000 };
const HINT_JSON = '{"reason":"event rate exceeded","message":"too fast","reconnectAfter":3000}';
const CLOSE_TIMEOUT = 1000;

/** An engine on a manual clock, a polling session on it, and no poll of its client waiting. */
async function idlePollingSession(options: EngineServerOptions = {}) {
  const clock = new ManualClock();
  const f = await startEngine({ clock, closeTimeout: CLOSE_TIMEOUT, ...options });
  const { sid, session } = await pollingSession(f);
  assert.equal(session.transport.writable, false, "no poll waiting");
  return { f, clock, sid, session };
}

/** Closes `session` with the hint while no poll waits; `closeTimeout` passes without one. */
async function closeWithHint(session: EngineSocket, clock: ManualClock): Promise<void> {
  const gone = closed(session);
  sendHint(session, HINT);
  session.close();
  clock.advance(CLOSE_TIMEOUT);
  assert.equal((await gone)[0], "forced close");
}

/** Turns of the event loop until `condition` holds (bounded). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !condition(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(condition(), "condition never met");
}

function unknownSid(body: string): boolean {
  return JSON.parse(body).message === "Session ID unknown";
}

describe("the record (OwedCloseHints)", () => {
  test("an answer is taken once; protocol 4 and 3 framing", () => {
    const record = new OwedCloseHints(10, 1000, new ManualClock(), new EngineCounters());
    record.owe("a", 4, HINT_JSON);
    record.owe("b", 3, '{"reason":"r"}');
    assert.equal(record.take("a"), `6${HINT_JSON}${RS}1`);
    assert.equal(record.take("a"), undefined);
    assert.equal(record.take("b"), '15:6{"reason":"r"}1:1');
    assert.equal(record.take("unknown"), undefined);
    assert.equal(record.size, 0);
  });

  test("bounded by count: past max the oldest is forgotten", () => {
    const record = new OwedCloseHints(3, 1000, new ManualClock(), new EngineCounters());
    for (const sid of ["a", "b", "c", "d"]) record.owe(sid, 4, `{"reason":"${sid}"}`);
    assert.equal(record.size, 3);
    assert.equal(record.take("a"), undefined);
    assert.deepEqual(
      ["b", "c", "d"].map((sid) => record.take(sid)),
      ["b", "c", "d"].map((sid) => `6{"reason":"${sid}"}${RS}1`),
    );
    // Owed again, a sid counts as the newest.
    for (const sid of ["a", "b", "c"]) record.owe(sid, 4, "{}");
    record.owe("a", 4, '{"again":true}');
    record.owe("d", 4, "{}");
    assert.equal(record.take("b"), undefined, "b is now the oldest");
    assert.equal(record.take("a"), `6{"again":true}${RS}1`);
  });

  test("bounded by age on the clock: kept for ttl, then forgotten (and pruned) without a timer", () => {
    const clock = new ManualClock();
    let timers = 0;
    const counting: Clock = {
      now: () => clock.now(),
      setTimeout: () => {
        timers++;
      },
      clearTimeout() {},
    };
    const record = new OwedCloseHints(100, 1000, counting, new EngineCounters());
    record.owe("early", 4, "{}");
    clock.advance(500);
    record.owe("late", 4, "{}");
    clock.advance(499);
    assert.equal(record.take("early"), `6{}${RS}1`, "999 ms old: kept");
    record.owe("early", 4, "{}"); // owed again at 999
    clock.advance(501); // 1500: "late" is 1000 ms old
    assert.equal(record.take("late"), undefined, "1000 ms old: forgotten");
    assert.equal(record.size, 1, "expired entries go at the next owe or take");
    clock.advance(500); // 2000: the second "early" is 1001 ms old
    record.owe("x", 4, "{}");
    assert.equal(record.size, 1);
    assert.equal(timers, 0);
  });
});

describe("engine: a poll after the session closed with its hint undelivered", () => {
  test("gets the hint and the close packet, once; a POST meanwhile gets the 400", async () => {
    const { f, clock, sid, session } = await idlePollingSession();
    try {
      await closeWithHint(session, clock);
      const write = await post(f, sid, "4hello");
      assert.equal(write.status, 400);
      assert.ok(unknownSid(write.body));
      const answer = await poll(f, sid);
      assert.equal(answer.status, 200);
      assert.equal(answer.headers["content-type"], "text/plain; charset=UTF-8");
      assert.equal(answer.body, `6${HINT_JSON}${RS}1`);
      const again = await poll(f, sid);
      assert.equal(again.status, 400, "forgotten once answered");
      assert.ok(unknownSid(again.body));
    } finally {
      await f.close();
    }
  });

  test("the `headers` listeners and CORS apply to that answer", async () => {
    const { f, clock, sid, session } = await idlePollingSession({ cors: { origin: "https://app.example" } });
    try {
      f.engine.on("headers", (headers) => {
        headers["X-Seen"] = "yes";
      });
      await closeWithHint(session, clock);
      const answer = await rawRequest(
        f.port,
        "GET",
        `/engine.io/?EIO=4&transport=polling&sid=${sid}`,
        undefined,
        {
          Origin: "https://app.example",
        },
      );
      assert.equal(answer.body, `6${HINT_JSON}${RS}1`);
      assert.equal(answer.headers["x-seen"], "yes");
      assert.equal(answer.headers["access-control-allow-origin"], "https://app.example");
    } finally {
      await f.close();
    }
  });

  test("expires after ttl (default pingInterval + pingTimeout) on the engine's clock", async () => {
    const { f, clock, sid, session } = await idlePollingSession({ pingInterval: 3000, pingTimeout: 2000 });
    try {
      assert.deepEqual(f.engine.options.owedCloseHints, { max: 1000, ttl: 5000 });
      await closeWithHint(session, clock);
      clock.advance(5000);
      const answer = await poll(f, sid);
      assert.equal(answer.status, 400);
      assert.ok(unknownSid(answer.body));
    } finally {
      await f.close();
    }
  });

  test("max bounds the sessions remembered: the oldest hint is the one dropped", async () => {
    const clock = new ManualClock();
    const f = await startEngine({
      clock,
      closeTimeout: CLOSE_TIMEOUT,
      owedCloseHints: { max: 2, ttl: 60_000 },
    });
    try {
      const sids = await oweCloseHints(f, ["r0", "r1", "r2"]);
      const answers = await Promise.all(sids.map((sid) => poll(f, sid)));
      assert.deepEqual(
        answers.map((a) => a.body),
        [answers[0]!.body, `6{"reason":"r1"}${RS}1`, `6{"reason":"r2"}${RS}1`],
      );
      assert.ok(unknownSid(answers[0]!.body));
    } finally {
      await f.close();
    }
  });

  test("a slow consumer on polling with no poll waiting is owed its hint", async () => {
    const { f, sid, session } = await idlePollingSession({ maxBufferedBytes: 10_000 });
    try {
      const gone = closed(session);
      session.send("x".repeat(20_000));
      assert.equal((await gone)[0], "slow consumer");
      const answer = await poll(f, sid);
      assert.equal(
        answer.body,
        `6{"reason":"slow consumer","message":"outgoing buffer exceeds maxBufferedBytes (10000 bytes)"}${RS}1`,
      );
    } finally {
      await f.close();
    }
  });

  test("protocol 3 sessions get a protocol 3 payload", async () => {
    const clock = new ManualClock();
    const f = await startEngine({ clock, closeTimeout: CLOSE_TIMEOUT, allowEIO3: true });
    try {
      const connection = nextSession(f.engine);
      const open = await rawRequest(f.port, "GET", "/engine.io/?EIO=3&transport=polling&b64=1");
      const colon = open.body.indexOf(":");
      const length = Number(open.body.slice(0, colon));
      const sid = JSON.parse(open.body.slice(colon + 2, colon + 1 + length)).sid as string;
      const session = await connection;
      await closeWithHint(session, clock);
      const answer = await rawRequest(f.port, "GET", `/engine.io/?EIO=3&transport=polling&b64=1&sid=${sid}`);
      assert.equal(answer.body, `${HINT_JSON.length + 1}:6${HINT_JSON}1:1`);
    } finally {
      await f.close();
    }
  });

  test("nothing is owed without a hint, to a client that left, or with the option off", async () => {
    for (const [options, hinted, leave] of [
      [{}, false, false],
      [{}, true, true],
      [{ owedCloseHints: false }, true, false],
      [{ owedCloseHints: { max: 0 } }, true, false],
      [{ owedCloseHints: { ttl: 0 } }, true, false],
    ] as const) {
      const { f, clock, sid, session } = await idlePollingSession(options);
      try {
        const gone = closed(session);
        if (hinted) sendHint(session, HINT);
        if (leave) assert.equal((await post(f, sid, "1")).status, 200);
        else session.close();
        clock.advance(CLOSE_TIMEOUT);
        await gone;
        const answer = await poll(f, sid);
        assert.equal(answer.status, 400, JSON.stringify(options));
        assert.ok(unknownSid(answer.body));
      } finally {
        await f.close();
      }
    }
  });

  test("engine.close() forgets every owed hint", async () => {
    const { f, clock, session } = await idlePollingSession();
    await closeWithHint(session, clock);
    const record = (f.engine as unknown as { owedCloseHints: OwedCloseHints }).owedCloseHints;
    assert.equal(record.size, 1);
    await f.close();
    assert.equal(record.size, 0);
  });

  test("invalid option values throw a TypeError naming the option", () => {
    for (const bad of [{ max: -1 }, { ttl: Number.NaN }, { max: "5" }, 7, null]) {
      assert.throws(
        () => new EngineServer({ owedCloseHints: bad as never }),
        (err: Error) => err instanceof TypeError && err.message.includes("owedCloseHints"),
      );
    }
  });
});

describe("engine.io-client on polling, its session closed while it was between polls", () => {
  /** Holds the client's polls (GETs naming a sid) while `hold` is set; a parked one goes on when called. */
  function pollGate(f: Fixture) {
    const parked: Array<() => void> = [];
    const gate = { hold: false, parked };
    f.engine.use((req: IncomingMessage, _res, next) => {
      if (gate.hold && req.method === "GET" && req.url?.includes("sid=")) parked.push(() => next());
      else next();
    });
    return gate;
  }

  for (const owed of [true, false]) {
    test(
      owed ? "sees a normal close (the owed close packet)" : "option off: the 400 is a transport error",
      async () => {
        const clock = new ManualClock();
        const f = await startEngine({
          clock,
          closeTimeout: CLOSE_TIMEOUT,
          ...(owed ? {} : { owedCloseHints: false as const }),
        });
        const gate = pollGate(f);
        const connection = nextSession(f.engine);
        const client = new Socket(f.origin, { transports: ["polling"] });
        try {
          const [session] = await Promise.all([connection, once(client as never, "open")]);
          // Answer the waiting poll; the client's next one is held: it is between polls.
          await until(() => session.transport.writable);
          gate.hold = true;
          const message = new Promise((resolve) => client.once("message", resolve));
          session.send("last");
          assert.equal(await message, "last");
          await until(() => gate.parked.length === 1);
          const clientClosed = new Promise<[string, unknown]>((resolve) =>
            client.once("close", (reason, description) => resolve([reason, description])),
          );
          await closeWithHint(session, clock);
          gate.hold = false;
          gate.parked.shift()!();
          const [reason] = await clientClosed;
          assert.equal(reason, owed ? "transport close" : "transport error");
        } finally {
          client.close();
          await f.close();
        }
      },
    );
  }
});
