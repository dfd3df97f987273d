// The primary's parts on their own: what it keeps for recovery stays within its bounds, bad input
// from a worker is counted and skipped (over a real IPC channel), bad options fail at start-up.
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { describe, test } from "node:test";
import { createAdapter, PrimaryRelay, type WorkerPort } from "../src/index.js";
import { RecoveryLog, SessionTable } from "../src/recovery-store.js";

const shim = new URL("./fixtures/echo-shim.cjs", import.meta.url).pathname;

describe("RecoveryLog", () => {
  test("entries after an offset; undefined once trimmed, for another epoch, or past the head", () => {
    let now = 0;
    const log = new RecoveryLog("e1", { maxPackets: 3, maxBytes: 1000, maxAge: 100 }, () => now);
    const start = log.head();
    assert.equal(start, "e1-0");
    const offsets = [1, 2, 3].map((i) => log.append([], [], `f${i}`, 1));
    assert.deepEqual(offsets, ["e1-1", "e1-2", "e1-3"]);
    assert.deepEqual(
      log.after(start)!.map((e) => e.frame),
      ["f1", "f2", "f3"],
    );
    assert.deepEqual(
      log.after("e1-2")!.map((e) => e.frame),
      ["f3"],
    );
    assert.deepEqual(log.after("e1-3"), []);
    log.append(["r"], ["x"], "f4", 1); // beyond maxPackets: f1 goes
    assert.equal(log.after(start), undefined, "the oldest was trimmed: recovery is all or nothing");
    assert.deepEqual(
      log.after("e1-1")!.map((e) => [e.frame, e.rooms, e.except]),
      [
        ["f2", [], []],
        ["f3", [], []],
        ["f4", ["r"], ["x"]],
      ],
    );
    assert.equal(log.after("e2-1"), undefined, "another primary's offset");
    assert.equal(log.after("e1-9"), undefined, "past the head");
    assert.equal(log.after("garbage"), undefined);
    now = 1000; // older than maxAge: all gone
    assert.equal(log.after("e1-3"), undefined);
    assert.deepEqual(log.after("e1-4"), []);
  });

  test("maxBytes bounds the log", () => {
    const log = new RecoveryLog("e", { maxPackets: 100, maxBytes: 10, maxAge: 1e9 }, () => 0);
    for (let i = 0; i < 5; i++) log.append([], [], `x${i}`, 4);
    assert.equal(log.after("e-2"), undefined);
    assert.deepEqual(
      log.after("e-3")!.map((e) => e.frame),
      ["x3", "x4"],
    );
  });
});

describe("SessionTable", () => {
  test("live sessions wait; saved ones are taken once, expire, and are bounded by maxSessions", () => {
    let now = 0;
    const table = new SessionTable(100, 2, () => now);
    table.setLive("a", "fa", "e-1", 7);
    assert.deepEqual(table.take("a"), { kind: "live", owner: 7 });
    table.ownerGone(7);
    assert.deepEqual(table.take("a"), { kind: "session", frame: "fa", offset: "e-1" });
    assert.deepEqual(table.take("a"), { kind: "none" }, "taken once");
    table.setSaved("b", "fb", undefined);
    table.setSaved("c", "fc", undefined);
    table.setSaved("d", "fd", undefined); // beyond maxSessions: b goes
    assert.equal(table.evicted, 1);
    assert.deepEqual(table.take("b"), { kind: "none" });
    now = 101;
    assert.deepEqual(table.take("c"), { kind: "none" }, "expired");
    table.setLive("e", "fe", undefined, 1);
    table.forget("e");
    assert.deepEqual(table.take("e"), { kind: "none" });
  });
});

describe("PrimaryRelay", () => {
  test("malformed messages from a worker are counted and skipped; the relay goes on", async () => {
    const relay = new PrimaryRelay();
    const errors: Error[] = [];
    relay.on("error", (err) => errors.push(err));
    const child: ChildProcess = fork(shim, [], {
      execArgv: [],
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    await once(child, "message");
    try {
      // The shim sends back what it gets: the relay hears these as the worker's messages.
      const port = {
        send: (m: unknown, cb?: (e: Error | null) => void) => child.send({ dir: "w", m }, cb),
        on(event: string, fn: (...args: never[]) => void) {
          if (event === "message")
            child.on(
              "message",
              (x: { dir: string; m: unknown }) => x.dir === "p" && (fn as (m: unknown) => void)(x.m),
            );
          else child.on(event, fn);
          return port;
        },
      };
      relay.attach(port as unknown as WorkerPort);
      const replies: unknown[] = [];
      child.on("message", (x: { dir: string; m: unknown }) => {
        if (x.dir === "w") replies.push(x.m);
      });
      const bad = [
        { t: "volley:pub", key: 1 },
        { t: "volley:hello", rid: "x" },
        { t: "volley:nonsense" },
        { t: "volley:log", key: "k", nsp: "/", from: "u", rooms: [{}], except: [], frame: "" },
      ];
      for (const m of bad) child.send({ dir: "p", m });
      child.send({ dir: "p", m: { t: "app message" } }); // not ours: ignored, not counted
      const welcome = new Promise((resolve) =>
        child.on(
          "message",
          (x: { dir: string; m: { t?: string } }) => x.m?.t === "volley:welcome" && resolve(x.m),
        ),
      );
      child.send({ dir: "p", m: { t: "volley:hello", rid: 1, key: "k", nsp: "/", uid: "u1" } });
      const answer = (await welcome) as { rid: number; head: string };
      assert.equal(answer.rid, 1);
      assert.match(answer.head, /^[0-9a-f]{8}-0$/);
      assert.equal(relay.stats().malformed, 4);
      assert.equal(errors.length, 4);
      assert.match(errors[0]!.message, /malformed IPC message \(volley:pub\) from worker 1: skipped/);
      assert.deepEqual(replies.length, 1);
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    assert.equal(relay.stats().workers, 0, "a worker that exits is detached");
  });

  test("options out of range fail at start-up, naming the option", () => {
    assert.throws(
      () => new PrimaryRelay({ maxSessions: 0 }),
      /option maxSessions must be a positive integer/,
    );
    assert.throws(() => new PrimaryRelay({ maxBacklogBytes: 1.5 }), /option maxBacklogBytes/);
    assert.throws(
      () => createAdapter({ maxBacklogBytes: 10 }),
      /option maxBacklogBytes must be an integer of at least 1024/,
    );
    assert.throws(() => createAdapter({ key: "" }), /option key must be a non-empty string/);
    assert.throws(() => createAdapter({ heartbeatInterval: -1 }), /option heartbeatInterval/);
  });

  test("createAdapter outside a cluster worker is refused with a clear error", () => {
    const port = { on: () => port } as never;
    assert.throws(() => createAdapter({ port }), /no IPC channel to a primary/);
  });
});
