// One connection per browser through a SharedWorker, in real Chromium: five tabs, one WebSocket counted on
// the server, one socket there (the first tab's auth), every tab receives broadcasts, each emit's ack
// reaches the tab that emitted it, a server ack request is answered once.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildBundles, CHROMIUM, logOf, type SharedHarness, startShared } from "./shared-browser.js";

describe("sharedIo through a SharedWorker (Chromium)", { skip: !CHROMIUM }, () => {
  let h: SharedHarness;
  before(async () => {
    buildBundles();
    h = await startShared();
    h.io.on("connection", (socket) => {
      socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
      socket.on("join", (room: string, ack: () => void) => {
        socket.join(room);
        ack();
      });
    });
  });
  after(() => h?.close());

  test("the main bundles carry none of it; the tab bundle and the worker are served beside them", async () => {
    const dist = fileURLToPath(new URL("../dist/", import.meta.url));
    for (const file of ["volley.min.js", "volley.esm.min.js"]) {
      const code = readFileSync(join(dist, file), "utf8");
      assert.doesNotMatch(code, /SharedWorker|BroadcastChannel|volley-hub:|volley-leader:/, file);
    }
    for (const [served, marker] of [
      ["socket.io.shared.min.js", /SharedWorker/],
      ["socket.io.shared-worker.js", /onconnect/],
    ] as const) {
      const res = await fetch(`${h.url}/socket.io/${served}`);
      assert.equal(res.status, 200, served);
      assert.match(res.headers.get("content-type") ?? "", /javascript/);
      assert.match(await res.text(), marker);
    }
  });

  test("5 tabs: one WebSocket, one socket, broadcasts to all, acks to the right tab", async () => {
    const tabs = [];
    for (let i = 1; i <= 5; i++) tabs.push(await h.openTab(`tab${i}`));
    for (const tab of tabs) assert.equal(await tab.evaluate("socket.io.mode"), "worker");

    // The server sees one browser: one engine session, upgraded once, one socket, the first tab's auth.
    assert.equal(h.upgrades(), 1, "exactly one WebSocket connection");
    assert.equal(h.io.engine.clientsCount, 1);
    const sockets = [...h.io.of("/").sockets.values()];
    assert.equal(sockets.length, 1);
    assert.deepEqual(sockets[0]!.handshake.auth, { tab: "tab1" });
    const ids = await Promise.all(tabs.map((tab) => tab.evaluate("socket.id")));
    assert.deepEqual(
      ids,
      tabs.map(() => sockets[0]!.id),
    );

    // Broadcasts (and rooms: the one socket is in them for every tab) reach every tab, in order.
    for (let n = 1; n <= 3; n++) h.io.emit("news", n);
    await tabs[2]!.evaluate(`socket.emitWithAck("join", "room1")`);
    h.io.to("room1").emit("news", 4);
    for (const tab of tabs) assert.deepEqual(await logOf(tab, 4), [1, 2, 3, 4]);

    // Acks: every tab emits at once, with both ack styles; each answer comes back to its own tab.
    const answers = await Promise.all(
      tabs.map((tab, i) =>
        tab.evaluate(`(async () => {
          const viaCallback = new Promise((resolve) => socket.emit("echo", "cb-${i}", resolve));
          const viaPromise = Promise.all([1, 2, 3].map((k) => socket.emitWithAck("echo", "p-${i}-" + k)));
          const timed = socket.timeout(5000).emitWithAck("echo", { tab: ${i}, bin: new Uint8Array([${i}]).buffer });
          const t = await timed;
          return [await viaCallback, await viaPromise, t.tab, [...new Uint8Array(t.bin)]];
        })()`),
      ),
    );
    answers.forEach((answer, i) => {
      assert.deepEqual(answer, [`cb-${i}`, [`p-${i}-1`, `p-${i}-2`, `p-${i}-3`], i, [i]]);
    });

    // The server asks the socket: one tab answers (the first answer wins), once.
    const reply = await sockets[0]!.timeout(5000).emitWithAck("question");
    assert.match(reply as string, /^tab[1-5]$/);

    // Reserved names throw in the tab, as with a Socket.
    assert.equal(
      await tabs[0]!.evaluate(`(() => { try { socket.emit("connect"); } catch (e) { return e.code; } })()`),
      "RESERVED_EVENT",
    );

    // A tab that disconnects leaves; the others keep the connection.
    await tabs[4]!.evaluate("socket.disconnect()");
    h.io.emit("news", 5);
    for (const tab of tabs.slice(0, 4)) assert.deepEqual(await logOf(tab, 5), [1, 2, 3, 4, 5]);
    assert.deepEqual(await tabs[4]!.evaluate("[socket.connected, log]"), [false, [1, 2, 3, 4]]);
    assert.equal(h.upgrades(), 1);

    // A tab gone without a word (as a crash: its `bye` silenced) leaves too, through its Web Lock: once the
    // others disconnect, the server's socket goes.
    await tabs[3]!.evaluate("socket.io.send = () => {}");
    await tabs[3]!.close();
    const left = new Promise((resolve) => sockets[0]!.once("disconnect", resolve));
    for (const tab of tabs.slice(0, 3)) await tab.evaluate("socket.disconnect()");
    assert.equal(await left, "client namespace disconnect");
    assert.deepEqual(h.errors, []);
  });

  test("a worker script that fails to load: the tabs fall back to a leader tab", async () => {
    const context = await h.context.browser()!.newContext();
    try {
      const pages = [await context.newPage(), await context.newPage()];
      for (const [i, page] of pages.entries()) {
        await page.goto(`${h.url}/?tab=fallback${i}&worker=/missing-worker.js`);
        await page.waitForFunction("socket.connected");
      }
      assert.deepEqual(await Promise.all(pages.map((p) => p.evaluate("socket.io.mode"))), [
        "leader",
        "leader",
      ]);
      const ids = await Promise.all(pages.map((p) => p.evaluate("socket.id")));
      assert.equal(ids[0], ids[1], "one socket for both tabs");
      assert.deepEqual(await pages[1]!.evaluate(`socket.emitWithAck("echo", "via leader")`), "via leader");
    } finally {
      await context.close();
    }
  });

  test("pages without Web Locks (an insecure context): the worker does not take their tabs for gone", async () => {
    const context = await h.context.browser()!.newContext();
    await context.addInitScript("delete Navigator.prototype.locks;");
    try {
      const pages = [await context.newPage(), await context.newPage()];
      for (const [i, page] of pages.entries()) {
        await page.goto(`${h.url}/?tab=nolocks${i}`);
        await page.waitForFunction("socket.connected");
      }
      assert.deepEqual(await Promise.all(pages.map((p) => p.evaluate("socket.io.mode"))), [
        "worker",
        "worker",
      ]);
      // Both tabs still joined: each gets its ack, and a broadcast reaches both.
      const echoed = await Promise.all(pages.map((p, i) => p.evaluate(`socket.emitWithAck("echo", ${i})`)));
      assert.deepEqual(echoed, [0, 1]);
      const socketId = await pages[0]!.evaluate("socket.id");
      h.io.to(socketId as string).emit("news", "both");
      for (const page of pages) assert.deepEqual(await logOf(page, 1), ["both"]);
    } finally {
      await context.close();
    }
  });
});
