// Real Chromium against the demo server: the page as people use it, over each transport and through a
// server restart. Every wait is for a DOM state, bounded by WAIT_MS.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { buildPage } from "../src/server/build-page.js";
import { type ChatServer, type ChatServerOptions, startChatServer } from "../src/server/chat-server.js";
import { launchChromium, WAIT_MS } from "./helpers/browser.js";
import { ChatPage } from "./helpers/chat-page.js";
import { withPages } from "./helpers/browser.js";

let browser: Browser;

before(async () => {
  await buildPage({ minify: false });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
});

/** Starts a demo server on a free loopback port, collecting its log lines; closed when the test ends. */
async function serve(
  t: { after: (fn: () => Promise<void>) => void },
  options: ChatServerOptions = {},
): Promise<ChatServer & { lines: string[] }> {
  const lines: string[] = [];
  const server = await startChatServer({
    port: 0,
    host: "127.0.0.1",
    log: (line) => lines.push(line),
    ...options,
  });
  t.after(() => server.close());
  return Object.assign(server, { lines });
}

/** Polls `check` until it holds; a bounded wait for server-side state. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function chatBothWays(alice: ChatPage, bob: ChatPage, tag: string): Promise<void> {
  await alice.waitForOnline(["alice", "bob"]);
  await bob.waitForOnline(["alice", "bob"]);
  await alice.send(`hello bob ${tag}`);
  await bob.waitForReceived(`hello bob ${tag}`, "alice");
  await alice.waitForOwn(`hello bob ${tag}`, "delivered");
  await bob.send(`hi alice ${tag}`);
  await alice.waitForReceived(`hi alice ${tag}`, "bob");
  await bob.waitForOwn(`hi alice ${tag}`, "delivered");
}

describe("chat page in Chromium", () => {
  test("two pages chat over websocket", async (t) => {
    const server = await serve(t);
    await withPages(t, browser, 2, async ([a, b]) => {
      const alice = await new ChatPage(a!).open(server.port, "alice");
      const bob = await new ChatPage(b!).open(server.port, "bob");
      await alice.waitForState("connected");
      await bob.waitForState("connected");
      // The page starts on polling and shows the upgrade.
      await alice.waitForTransport("websocket");
      await bob.waitForTransport("websocket");
      await chatBothWays(alice, bob, "over websocket");
      assert.ok(
        server.lines.some((line) => line.startsWith("a user connected ")),
        server.lines.join("\n"),
      );
    });
  });

  test("two pages chat with transports: ['polling']", async (t) => {
    const server = await serve(t);
    await withPages(t, browser, 2, async ([a, b]) => {
      const alice = await new ChatPage(a!).open(server.port, "alice", { transports: "polling" });
      const bob = await new ChatPage(b!).open(server.port, "bob", { transports: "polling" });
      await alice.waitForState("connected");
      await bob.waitForState("connected");
      await chatBothWays(alice, bob, "over polling");
      assert.equal(await alice.transport(), "polling");
      assert.equal(await bob.transport(), "polling");
    });
  });

  test("server with websocket disabled: the page stays on polling and chat works", async (t) => {
    const server = await serve(t, { transports: ["polling"] });
    await withPages(t, browser, 2, async ([a, b]) => {
      const alice = await new ChatPage(a!).open(server.port, "alice");
      const bob = await new ChatPage(b!).open(server.port, "bob");
      await alice.waitForState("connected");
      await bob.waitForState("connected");
      await chatBothWays(alice, bob, "without websocket");
      assert.equal(await alice.transport(), "polling");
      assert.equal(await bob.transport(), "polling");
    });
  });

  test("websocket upgrade refused on the way: the page falls back to polling and chat works", async (t) => {
    const server = await serve(t);
    // Stands in for a proxy that does not pass WebSocket through: every upgrade gets a 403.
    let refused = 0;
    server.httpServer.removeAllListeners("upgrade");
    server.httpServer.on("upgrade", (_req, socket) => {
      refused += 1;
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    });
    await withPages(t, browser, 2, async ([a, b]) => {
      const alice = await new ChatPage(a!).open(server.port, "alice");
      const bob = await new ChatPage(b!).open(server.port, "bob");
      await alice.waitForState("connected");
      await bob.waitForState("connected");
      await until(() => refused >= 2, "both pages to try the websocket upgrade");
      await chatBothWays(alice, bob, "after a refused upgrade");
      assert.equal(await alice.transport(), "polling");
      assert.equal(await bob.transport(), "polling");
      await alice.waitForState("connected");
    });
  });

  test("rooms, presence and the typing indicator", async (t) => {
    const server = await serve(t);
    await withPages(t, browser, 2, async ([a, b]) => {
      const alice = await new ChatPage(a!).open(server.port, "alice");
      const bob = await new ChatPage(b!).open(server.port, "bob");
      await alice.waitForOnline(["alice", "bob"]);
      await a!.locator("#messages li.system", { hasText: "bob joined #general" }).waitFor();

      await b!.locator("#text").fill("half a thought");
      await a!.locator("#typing", { hasText: "bob is typing…" }).waitFor();
      await bob.send("whole thought");
      await alice.waitForReceived("whole thought", "bob");
      await a!.locator("#typing:empty").waitFor();

      const aliceId = await alice.socketId();
      const bobId = await bob.socketId();
      await bob.switchRoom("random");
      await alice.waitForUser(bobId, false);
      await a!.locator("#messages li.system", { hasText: "bob left #general" }).waitFor();
      await bob.waitForUser(aliceId, false);
      await bob.waitForUser(bobId, true);
      await bob.send("only in random");
      await bob.waitForOwn("only in random", "delivered");

      await alice.switchRoom("random");
      // History brings what was said before alice came in.
      await alice.waitForReceived("only in random", "bob");
      await bob.waitForUser(aliceId, true);
      assert.equal(await alice.countMessages("whole thought"), 0);
    });
  });

  test("server restart: reconnecting, then connected, and queued messages arrive exactly once", async (t) => {
    let server = await startChatServer({ port: 0, host: "127.0.0.1", log: () => undefined });
    const port = server.port;
    t.after(() => server.close());
    await withPages(t, browser, 2, async ([a, b]) => {
      const alice = await new ChatPage(a!).open(server.port, "alice");
      const bob = await new ChatPage(b!).open(server.port, "bob");
      await chatBothWays(alice, bob, "before the restart");

      await server.close();
      await alice.waitForState("reconnecting");
      await bob.waitForState("reconnecting");
      assert.match(await alice.statusText(), /^reconnecting \(attempt \d+\)$/);

      await alice.send("written offline 1");
      await alice.send("written offline 2");
      await alice.waitForOwn("written offline 1", "queued");
      await alice.waitForOwn("written offline 2", "queued");

      server = await startChatServer({ port, host: "127.0.0.1", log: () => undefined });
      await alice.waitForState("connected");
      await bob.waitForState("connected");
      await alice.waitForOwn("written offline 1", "delivered");
      await alice.waitForOwn("written offline 2", "delivered");
      await bob.waitForReceived("written offline 1", "alice");
      await bob.waitForReceived("written offline 2", "alice");
      // A marker sent after them: one socket's messages arrive in order, so any duplicate of the
      // offline messages would be shown before it.
      await alice.send("after the restart");
      await bob.waitForReceived("after the restart", "alice");
      assert.equal(await bob.countMessages("written offline 1"), 1);
      assert.equal(await bob.countMessages("written offline 2"), 1);
      assert.equal(await alice.countMessages("written offline 1"), 1);
      assert.equal(await alice.countMessages("written offline 2"), 1);
      // The messages from before the restart are still on both pages, once.
      assert.equal(await bob.countMessages("hello bob before the restart"), 1);
    });
  });
});
