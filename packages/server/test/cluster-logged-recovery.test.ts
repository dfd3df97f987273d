// The cluster layer's logged recovery (LoggedClusterAdapter, cluster/logged-recovery.ts,
// cluster/pending-restores.ts) between two Servers on a small real log bus (log-bus.ts), in both
// restore flows: the session with the log in one answer in order with the live feed, or the session
// first and a separate read of the log that may outrun the live feed.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import {
  type ClusterAdapterOptions,
  type Namespace,
  type RestoredSession,
  resolveClusterOptions,
  type Socket,
} from "volley";
import { type Harness, next, setup } from "./helpers.js";
import { BusAdapter, LogBus, type Mode, turn } from "./log-bus.js";

/** A promise and whether it has settled yet (the restore must, or must not, wait). */
function watched<T>(promise: Promise<T>): { promise: Promise<T>; settled: boolean } {
  const state = { promise, settled: false };
  state.promise = promise.then((value) => {
    state.settled = true;
    return value;
  });
  return state;
}

describe("logged recovery in the cluster layer", () => {
  let harnesses: Harness[] = [];
  afterEach(async () => {
    for (const h of harnesses) await h.cleanup();
    harnesses = [];
  });

  async function cluster(mode: Mode, opts: ClusterAdapterOptions = {}) {
    const bus = new LogBus(mode);
    const adapter = class extends BusAdapter {
      constructor(nsp: Namespace) {
        super(nsp, bus, { requestsTimeout: 60_000, ...opts });
      }
    };
    const recovery = { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } };
    const a = await setup({ adapter, ...recovery });
    const b = await setup({ adapter, ...recovery });
    harnesses.push(a, b);
    const [adapterA, adapterB] = [a, b].map((h) => h.io.of("/").adapter as BusAdapter);
    await Promise.all([adapterA!.whenJoined(), adapterB!.whenJoined()]);
    return { bus, a, b, adapterA: adapterA!, adapterB: adapterB! };
  }

  for (const mode of ["answer", "read"] as const) {
    test(`a session left on one node is restored on another with exactly what it missed (${mode})`, async () => {
      const { bus, a, b, adapterB } = await cluster(mode);
      const client = a.client("/", { reconnection: false });
      const [socket] = await next<[Socket]>(a.io, "connection");
      await socket.join("r1");
      socket.data = { user: "ann" };
      const first = next<[number, string]>(client, "news");
      a.io.to("r1").emit("news", 0);
      assert.deepEqual(await first, [0, "1"], "logged: the packet ends with its offset");
      const left = next(socket, "disconnect");
      client.io.engine.close();
      await left;
      const [pid, stored] = [...bus.sessions][0]!;
      assert.equal(stored.live, false, "the disconnected state replaced the live copy");

      b.io.to("r1").emit("news", 1); // "2"
      b.io.emit("news", 2); // "3"
      b.io.to("r2").emit("news", "another room"); // "4"
      b.io.except("r1").emit("news", "excluded"); // "5"
      b.io.volatile.emit("news", "volatile (not logged)");
      await bus.idle();

      const restored = (await adapterB.restoreSession(pid, "1")) as RestoredSession;
      assert.equal(restored.sid, socket.id);
      assert.deepEqual(restored.rooms, ["r1"]);
      assert.deepEqual(restored.data, { user: "ann" });
      assert.deepEqual(restored.missedPackets, [
        ["news", 1, "2"],
        ["news", 2, "3"],
      ]);
      assert.equal(await adapterB.restoreSession(pid, "1"), null, "a session is restored once");
      assert.equal(await adapterB.restoreSession("no-such-pid", undefined), null);
    });
  }

  test("a read that outruns the live feed waits for the live copy of what it replayed, none twice", async () => {
    const { bus, a, adapterA, adapterB } = await cluster("read");
    await adapterA.persistSession({ sid: "s1", pid: "p1", rooms: ["r1"], data: null });
    bus.holdLive = true;
    a.io.to("r1").emit("news", "x"); // "1": in the log, its live copies held back
    const restoring = watched(adapterB.restoreSession("p1", undefined));
    for (let i = 0; i < 20; i++) await turn();
    assert.equal(restoring.settled, false, "waiting for the live copy of entry 1");
    bus.releaseLive();
    const restored = (await restoring.promise) as RestoredSession;
    await bus.idle();
    assert.deepEqual(restored.missedPackets, [["news", "x", "1"]]);
  });

  test("a replayed entry whose live copy never comes (not heard here): the read's marker ends the wait", async () => {
    const { bus, a, adapterA, adapterB } = await cluster("read");
    await adapterA.persistSession({ sid: "s1", pid: "p1", rooms: ["r1"], data: null });
    bus.deaf.add(adapterB);
    a.io.to("r1").emit("news", "x"); // "1": in the log, never heard live by b
    await bus.idle();
    bus.deaf.delete(adapterB);
    // requestsTimeout is 60 s here: settling at all shows the restore did not wait for it.
    const restoring = watched(adapterB.restoreSession("p1", undefined));
    for (let i = 0; i < 20 && !restoring.settled; i++) await turn();
    assert.equal(restoring.settled, true, "the read's marker came back on the live feed");
    const restored = (await restoring.promise) as RestoredSession;
    a.io.to("r1").emit("news", "y"); // "2": live, after the read
    await bus.idle();
    assert.deepEqual(restored.missedPackets, [
      ["news", "x", "1"],
      ["news", "y", "2"],
    ]);
  });

  test("a restore whose read never sees the live feed pass it ends at requestsTimeout: a fresh start", async (t) => {
    const { bus, a, adapterA, adapterB } = await cluster("read");
    await adapterA.persistSession({ sid: "s1", pid: "p1", rooms: ["r1"], data: null });
    bus.holdLive = true; // the live copies and the read's marker are held back (a lost connection)
    t.mock.timers.enable({ apis: ["setTimeout"] });
    a.io.to("r1").emit("news", "x");
    const restoring = watched(adapterB.restoreSession("p1", undefined));
    for (let i = 0; i < 20; i++) await turn();
    assert.equal(restoring.settled, false, "waiting for the live feed to pass the read");
    t.mock.timers.tick(60_000); // requestsTimeout
    assert.equal(await restoring.promise, null, "ended before it was stitched: no session, no gap");
    t.mock.timers.reset();
    bus.releaseLive();
    await bus.idle();
  });

  test("a live broadcast that the read holds too is replayed once; one after the read is kept", async () => {
    const { bus, a, adapterA, adapterB } = await cluster("read");
    await adapterA.persistSession({ sid: "s1", pid: "p1", rooms: ["r1"], data: null });
    let open!: () => void;
    bus.gate = new Promise((resolve) => (open = resolve));
    const restoring = adapterB.restoreSession("p1", undefined);
    await turn();
    a.io.to("r1").emit("news", "during"); // "1": heard live while the read waits, and in the read
    await bus.idle();
    open();
    const restored = (await restoring) as RestoredSession;
    a.io.to("r1").emit("news", "after"); // "2": after the read, before the socket joined
    await bus.idle();
    assert.deepEqual(restored.missedPackets, [
      ["news", "during", "1"],
      ["news", "after", "2"],
    ]);
  });

  test("broadcasts heard while the answer is in flight, and until the socket joins, are kept", async () => {
    const { bus, a, adapterA, adapterB } = await cluster("answer");
    await adapterA.persistSession({ sid: "s1", pid: "p1", rooms: ["r1"], data: null });
    a.io.to("r1").emit("news", "before"); // "1": in the answer
    await bus.idle();
    let open!: () => void;
    bus.gate = new Promise((resolve) => (open = resolve));
    const restoring = adapterB.restoreSession("p1", undefined);
    await turn();
    a.io.to("r1").emit("news", "during"); // "2": after the answer's head, heard live
    a.io.to("r2").emit("news", "elsewhere"); // "3": not its rooms
    await bus.idle();
    open();
    const restored = (await restoring) as RestoredSession;
    a.io.emit("news", "after"); // "4": before the socket joined its rooms
    await bus.idle();
    assert.deepEqual(restored.missedPackets, [
      ["news", "before", "1"],
      ["news", "during", "2"],
      ["news", "after", "4"],
    ]);
  });

  test("a restore that hears more than pendingRestoreMaxPackets while waiting gives up", async () => {
    const { bus, a, adapterA, adapterB } = await cluster("answer", { pendingRestoreMaxPackets: 1 });
    await adapterA.persistSession({ sid: "s1", pid: "p1", rooms: ["r1"], data: null });
    let open!: () => void;
    bus.gate = new Promise((resolve) => (open = resolve));
    const restoring = adapterB.restoreSession("p1", undefined);
    await turn();
    a.io.emit("news", 1);
    a.io.emit("news", 2);
    await bus.idle();
    open();
    assert.equal(await restoring, null, "the client starts fresh");
  });

  test("pendingRestoreMaxPackets is checked", () => {
    assert.equal(resolveClusterOptions({}).pendingRestoreMaxPackets, 10_000);
    assert.throws(() => resolveClusterOptions({ pendingRestoreMaxPackets: -1 }), /pendingRestoreMaxPackets/);
  });
});
