// The SharedWorker dies (here: closed through the DevTools protocol, as a crash or the browser ending it
// would): the tabs notice through the Web Lock it held, start a new worker, which resumes the session by
// connection-state recovery. Broadcasts sent meanwhile reach every tab; acks keep reaching the right tab.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CHROMIUM, handshakeGate, logOf, type SharedHarness, startRecovering } from "./shared-browser.js";

describe("sharedIo when the SharedWorker dies (Chromium)", { skip: !CHROMIUM }, () => {
  let h: SharedHarness;
  const gate = handshakeGate();
  before(async () => {
    h = await startRecovering(gate);
  });
  after(() => h?.close());

  test("3 tabs; the worker dies; a new one recovers the session, nothing lost", async () => {
    const tabs = [];
    for (let i = 1; i <= 3; i++) tabs.push(await h.openTab(`tab${i}`));
    assert.equal(h.upgrades(), 1);
    const [first] = [...h.io.of("/").sockets.values()];
    for (let n = 1; n <= 3; n++) h.io.emit("news", n);
    for (const tab of tabs) assert.deepEqual(await logOf(tab, 3), [1, 2, 3]);

    const cdp = await h.context.browser()!.newBrowserCDPSession();
    const { targetInfos } = (await cdp.send("Target.getTargets")) as {
      targetInfos: Array<{ targetId: string; type: string }>;
    };
    const workers = targetInfos.filter((t) => t.type === "shared_worker");
    assert.equal(workers.length, 1, "one SharedWorker for the three tabs");
    const gone = new Promise<string>((resolve) => first!.once("disconnect", resolve));
    // The new hub's handshake waits until the server saw the old connection end (see handshakeGate).
    gate.hold();
    await cdp.send("Target.closeTarget", { targetId: workers[0]!.targetId });
    // Emitted while there is no hub (or to the dead one): kept in the tab until a hub takes it.
    const during = tabs.map((tab, i) => tab.evaluate(`socket.emitWithAck("echo", "during-${i}")`));
    assert.equal(await gone, "transport close");
    for (let n = 4; n <= 6; n++) h.io.emit("news", n);
    // Sent while no hub holds a connection: only recovery can bring them.
    gate.release();
    assert.deepEqual(await Promise.all(during), ["during-0", "during-1", "during-2"]);

    for (const tab of tabs) {
      assert.deepEqual(await logOf(tab, 6), [1, 2, 3, 4, 5, 6]);
      await tab.waitForFunction("states.length >= 3");
      assert.deepEqual(await tab.evaluate("states"), [
        ["connect", first!.id, false],
        ["disconnect", "transport close"],
        ["connect", first!.id, true],
      ]);
    }
    assert.equal(h.upgrades(), 2, "the new worker's connection");
    assert.equal(h.io.of("/").sockets.size, 1);
    const echoed = await Promise.all(tabs.map((tab, i) => tab.evaluate(`socket.emitWithAck("echo", ${i})`)));
    assert.deepEqual(echoed, [0, 1, 2]);
    assert.deepEqual(h.errors, []);
  });
});
