// The fallback without SharedWorker, in real Chromium: a leader tab (elected with a Web Lock) holds the
// one connection and the other tabs reach it over a BroadcastChannel. When the leader tab closes, the next
// tab takes over and resumes the session by connection-state recovery: nothing broadcast meanwhile is lost.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CHROMIUM, handshakeGate, logOf, type SharedHarness, startRecovering } from "./shared-browser.js";

describe("sharedIo with a leader tab (no SharedWorker, Chromium)", { skip: !CHROMIUM }, () => {
  let h: SharedHarness;
  const gate = handshakeGate();
  before(async () => {
    h = await startRecovering(gate, "delete window.SharedWorker;");
  });
  after(() => h?.close());

  test("5 tabs share one WebSocket; the leader closes; the next leader recovers, nothing lost", async () => {
    const tabs = [];
    for (let i = 1; i <= 5; i++) tabs.push(await h.openTab(`tab${i}`));
    for (const tab of tabs) assert.equal(await tab.evaluate("socket.io.mode"), "leader");
    assert.equal(h.upgrades(), 1, "exactly one WebSocket connection");
    const [first] = [...h.io.of("/").sockets.values()];
    assert.equal(h.io.of("/").sockets.size, 1);
    assert.deepEqual(first!.handshake.auth, { tab: "tab1" });

    for (let n = 1; n <= 5; n++) h.io.emit("news", n);
    for (const tab of tabs) assert.deepEqual(await logOf(tab, 5), [1, 2, 3, 4, 5]);
    // Acks reach the tab that asked, leader or not.
    const echoed = await Promise.all(tabs.map((tab, i) => tab.evaluate(`socket.emitWithAck("echo", ${i})`)));
    assert.deepEqual(echoed, [0, 1, 2, 3, 4]);

    // The leader (the first tab, which took the lock first) closes; the server keeps broadcasting.
    const gone = new Promise<string>((resolve) => first!.once("disconnect", resolve));
    // The new hub's handshake waits until the server saw the old connection end (see handshakeGate).
    gate.hold();
    await tabs[0]!.close();
    // Emitted while there is no leader (or to the closing one): kept in each tab until a hub takes it.
    const during = tabs.slice(1).map((tab, i) => tab.evaluate(`socket.emitWithAck("echo", "during-${i}")`));
    assert.equal(await gone, "transport close");
    for (let n = 6; n <= 10; n++) h.io.emit("news", n);
    // Sent while no hub holds a connection: only recovery can bring them.
    gate.release();
    const rest = tabs.slice(1);
    for (const tab of rest) {
      assert.deepEqual(await logOf(tab, 10), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      // One disconnect while no hub held the connection, then the recovered session: same socket id.
      await tab.waitForFunction("states.length >= 3");
      assert.deepEqual(await tab.evaluate("states"), [
        ["connect", first!.id, false],
        ["disconnect", "transport close"],
        ["connect", first!.id, true],
      ]);
    }
    assert.deepEqual(await Promise.all(during), ["during-0", "during-1", "during-2", "during-3"]);
    assert.equal(h.upgrades(), 2, "the new leader's connection");
    assert.equal(h.io.of("/").sockets.size, 1);
    // The new hub answers acks and broadcasts as the first did.
    const again = await Promise.all(
      rest.map((tab, i) => tab.evaluate(`socket.emitWithAck("echo", "again-${i}")`)),
    );
    assert.deepEqual(again, ["again-0", "again-1", "again-2", "again-3"]);
    h.io.emit("news", 11);
    for (const tab of rest) assert.deepEqual((await logOf(tab, 11)).at(-1), 11);
    assert.deepEqual(h.errors, []);
  });
});
