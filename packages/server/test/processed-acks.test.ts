// The exactly-once record, unit by unit: ProcessedAcks (repeats answered, bounds by count and bytes),
// ExactlyOnceSession (server emits pending until answered, resent on attach, timeouts on the injected
// clock) and ExactlyOnceSessions (continuity of the record, expiry on the recovery clock, takeover).
import assert from "node:assert/strict";
import type { Packet } from "@volley/protocol";
import { describe, test } from "node:test";
import { ExactlyOnceSessions, type ExactlyOnceSocket } from "../src/exactly-once-session.js";
import { ServerCounters } from "../src/metrics.js";
import { ProcessedAcks, resolveExactlyOnce, sizeOf } from "../src/processed-acks.js";
import { positive } from "../src/server-options.js";
import { ManualClock } from "../../engine/test/manual-clock.js";

const limits = { maxEmits: 1000, maxBytes: 256 * 1024 };

class FakeSocket implements ExactlyOnceSocket {
  connected = true;
  written: Packet[] = [];
  superseded = 0;
  _writeExactlyOnce(packet: Packet): void {
    if (this.connected) this.written.push(packet);
  }
  _supersede(): void {
    this.superseded++;
    this.connected = false;
  }
}

/** Sessions on a manual clock (the recovery clock stopped at 0) and session `pid` attached to a fake socket. */
function attachedSession(pid: string) {
  const sessions = new ExactlyOnceSessions(limits, new ManualClock(), 60_000, () => 0, new ServerCounters());
  const { session } = sessions.open(pid, false);
  const socket = new FakeSocket();
  session.attach(socket);
  return { sessions, session, socket };
}

describe("ProcessedAcks", () => {
  test("new, then running until answered, then answered with the same answer", () => {
    const acks = new ProcessedAcks(limits, new ServerCounters());
    assert.deepEqual(acks.arrive(7), { kind: "new" });
    assert.deepEqual(acks.arrive(7), { kind: "running" });
    assert.equal(acks.answered(7, ["ok", 1]), true);
    assert.deepEqual(acks.arrive(7), { kind: "answered", answer: ["ok", 1] });
    assert.equal(acks.answered(7, ["again"]), false, "one answer per emit");
    assert.deepEqual(acks.arrive(8), { kind: "new" });
    assert.equal(acks.size, 2);
  });

  test("maxEmits: the oldest entries go; their ids are then taken as processed, never as new", () => {
    const acks = new ProcessedAcks({ maxEmits: 10, maxBytes: 1 << 20 }, new ServerCounters());
    for (let id = 0; id < 25; id++) {
      assert.equal(acks.arrive(id).kind, "new");
      acks.answered(id, [id]);
      assert.ok(acks.size <= 10);
    }
    assert.equal(acks.size, 10);
    for (let id = 0; id < 15; id++) assert.equal(acks.arrive(id).kind, "forgotten", `id ${id}`);
    for (let id = 15; id < 25; id++) assert.deepEqual(acks.arrive(id), { kind: "answered", answer: [id] });
    assert.equal(acks.arrive(25).kind, "new");
  });

  test("maxBytes: answers kept within the bound, oldest dropped first; one too large is not kept", () => {
    const acks = new ProcessedAcks({ maxEmits: 1000, maxBytes: 100 }, new ServerCounters());
    const answer = ["x".repeat(30)]; // 34 bytes as JSON: two fit in 100
    for (let id = 0; id < 5; id++) {
      acks.arrive(id);
      assert.equal(acks.answered(id, answer), true);
      assert.ok(acks.keptBytes <= 100, `${acks.keptBytes} bytes`);
    }
    assert.equal(acks.keptBytes, 68);
    assert.equal(acks.arrive(2).kind, "forgotten");
    assert.equal(acks.arrive(4).kind, "answered");
    acks.arrive(5);
    assert.equal(acks.answered(5, ["y".repeat(200)]), false);
    assert.equal(acks.arrive(5).kind, "forgotten");
    assert.ok(acks.keptBytes <= 100);
  });

  test("running entries count against maxEmits: a handler that never answers cannot grow the record", () => {
    const acks = new ProcessedAcks({ maxEmits: 100, maxBytes: 1000 }, new ServerCounters());
    for (let id = 0; id < 10_000; id++) acks.arrive(id);
    assert.equal(acks.size, 100);
    assert.equal(acks.answered(0, ["late"]), false, "forgotten: not kept, the caller still sends it");
  });

  test("sizeOf counts binary as its bytes, JSON as its length; unencodable as infinite", () => {
    assert.equal(sizeOf(["ab"]), 6);
    assert.equal(sizeOf([Buffer.alloc(1000)]), 1000 + 3);
    assert.equal(sizeOf([new Uint8Array(10)]), 10 + 3);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.equal(sizeOf([circular]), Number.POSITIVE_INFINITY);
  });

  test("the option: defaults, false, and checked bounds", () => {
    assert.deepEqual(resolveExactlyOnce(undefined, positive), { maxEmits: 1000, maxBytes: 262144 });
    assert.deepEqual(resolveExactlyOnce(true, positive), { maxEmits: 1000, maxBytes: 262144 });
    assert.equal(resolveExactlyOnce(false, positive), undefined);
    assert.deepEqual(resolveExactlyOnce({ maxEmits: 5 }, positive), { maxEmits: 5, maxBytes: 262144 });
    assert.throws(
      () => resolveExactlyOnce({ maxBytes: -1 }, positive),
      /exactlyOnce\.maxBytes must be a positive/,
    );
  });
});

describe("ExactlyOnceSession", () => {
  const event = (id: number): Packet => ({ type: 2, nsp: "/", id, data: ["s2c", id] });

  test("server emits wait for their answer and are sent again, in order, to the next socket", () => {
    const clock = new ManualClock();
    const sessions = new ExactlyOnceSessions(limits, clock, 60_000, () => clock.now(), new ServerCounters());
    const first = new FakeSocket();
    const { session, continued } = sessions.open("pid", false);
    assert.equal(continued, true);
    session.attach(first);
    const answers: unknown[][] = [];
    for (let id = 0; id < 3; id++)
      session.emit(event(id), undefined, (...a: unknown[]) => answers.push(a), undefined);
    assert.deepEqual(
      first.written.map((p) => p.id),
      [0, 1, 2],
    );
    session.settle(1)?.("one");
    assert.equal(session.settle(1), undefined, "answered once");
    first.connected = false;
    sessions.close(session, first, true);
    session.emit(event(3), undefined, () => {}, undefined); // while away: kept, not written
    const again = sessions.open("pid", true);
    assert.equal(again.session, session);
    assert.equal(again.continued, true);
    const second = new FakeSocket();
    session.attach(second);
    assert.deepEqual(
      second.written.map((p) => p.id),
      [0, 2, 3],
    );
    assert.equal(session.pendingEmits, 3);
  });

  test("a timeout answers with an error once, and the emit is no longer sent again", () => {
    const clock = new ManualClock();
    const sessions = new ExactlyOnceSessions(limits, clock, 60_000, () => clock.now(), new ServerCounters());
    const { session } = sessions.open("pid", false);
    const socket = new FakeSocket();
    session.attach(socket);
    const calls: unknown[][] = [];
    session.emit(event(1), undefined, (...a: unknown[]) => calls.push(a), 1000);
    session.emit(event(2), undefined, (...a: unknown[]) => calls.push(a), 1000);
    session.settle(2)?.("fine");
    clock.advance(1000);
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[0], [null, "fine"]);
    assert.match(String((calls[1]![0] as Error).message), /timed out/);
    assert.equal(session.settle(1), undefined);
    assert.equal(session.pendingEmits, 0);
  });

  test("maxEmits pending server emits: one more is refused (sent the ordinary way by the caller)", () => {
    const clock = new ManualClock();
    const sessions = new ExactlyOnceSessions(
      { maxEmits: 3, maxBytes: 1000 },
      clock,
      60_000,
      () => 0,
      new ServerCounters(),
    );
    const { session } = sessions.open("pid", false);
    for (let id = 0; id < 3; id++)
      assert.equal(
        session.emit(event(id), undefined, () => {}, undefined),
        true,
      );
    assert.equal(
      session.emit(event(3), undefined, () => {}, undefined),
      false,
    );
  });

  test("repeats: answered ones are answered again on the current socket", () => {
    const { session, socket } = attachedSession("pid");
    assert.equal(session.arrive(5, "/").kind, "new");
    const ack = session.ackFor(5, "/");
    assert.equal(session.arrive(5, "/").kind, "running");
    ack("done");
    ack("twice");
    assert.equal(session.arrive(5, "/").kind, "answered");
    assert.deepEqual(
      socket.written.map((p) => [p.type, p.id, p.data]),
      [
        [3, 5, ["done"]],
        [3, 5, ["done"]],
      ],
    );
  });
});

describe("ExactlyOnceSessions", () => {
  test("a session waits maxDisconnectionDuration on the recovery clock, then ends", () => {
    let now = 0;
    const clock = new ManualClock();
    const sessions = new ExactlyOnceSessions(limits, clock, 60_000, () => now, new ServerCounters());
    const { session } = sessions.open("a", false);
    const socket = new FakeSocket();
    session.attach(socket);
    sessions.close(session, socket, true);
    now = 59_999;
    assert.equal(sessions.size, 1);
    now = 60_000;
    assert.equal(sessions.size, 0);
    const fresh = sessions.open("a", true);
    assert.notEqual(fresh.session, session);
    assert.equal(fresh.continued, false, "recovered without the record: the client must not rely on it");
  });

  test("a disconnection that cannot be recovered ends the session at once", () => {
    const { sessions, session, socket } = attachedSession("a");
    sessions.close(session, socket, false);
    assert.equal(sessions.size, 0);
    assert.equal(
      session.emit({ type: 2, nsp: "/", id: 1, data: ["x"] }, undefined, () => {}, undefined),
      false,
    );
  });

  test("takeover: the client back on a new connection closes the old one, still open", () => {
    const { sessions, socket } = attachedSession("a");
    sessions.supersede("a");
    sessions.supersede("unknown");
    assert.equal(socket.superseded, 1);
  });

  test("many sessions: expiry walks only the expired ones", () => {
    let now = 0;
    const clock = new ManualClock();
    const sessions = new ExactlyOnceSessions(limits, clock, 1000, () => now, new ServerCounters());
    for (let i = 0; i < 10_000; i++) {
      const { session } = sessions.open(`p${i}`, false);
      const socket = new FakeSocket();
      session.attach(socket);
      if (i % 2 === 0) sessions.close(session, socket, true);
      now++;
    }
    // At the end, now = 10,000: the closed ones left after 9,000 (9,002 … 9,998) are still waiting.
    assert.equal(sessions.size, 5000 + 499, "the connected half and the last 1000 ms of the other");
  });
});
