// The demo server without a browser: static files, the chat's events, its limits and its error values.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { ChatMessage, JoinResult, SendResult } from "../src/shared/events.js";
import { type ChatServer, startChatServer } from "../src/server/chat-server.js";
import { type ChatClient, chatClient, nextEvent, whenConnected } from "./helpers/node-client.js";

let server: ChatServer;
const lines: string[] = [];
const clients: ChatClient[] = [];

before(async () => {
  server = await startChatServer({
    port: 0,
    host: "127.0.0.1",
    maxMessageLength: 20,
    log: (l) => lines.push(l),
  });
});

after(async () => {
  for (const client of clients) client.close();
  await server.close();
});

async function connected(name: string): Promise<ChatClient> {
  const client = chatClient(server.port, name);
  clients.push(client);
  await whenConnected(client);
  return client;
}

async function joined(name: string, room: "general" | "random" | "help" = "general"): Promise<ChatClient> {
  const client = await connected(name);
  const result = await client.emitWithAck("join room", room);
  assert.equal(result.ok, true);
  return client;
}

function url(path: string): string {
  return `http://127.0.0.1:${server.port}${path}`;
}

describe("static files", () => {
  test("serves the page, its stylesheet and icon with their content types", async () => {
    const page = await fetch(url("/"));
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    const html = await page.text();
    assert.match(html, /<script src="\/socket\.io\/socket\.io\.js"><\/script>/);
    const css = await fetch(url("/style.css"));
    assert.equal(css.status, 200);
    assert.match(css.headers.get("content-type") ?? "", /^text\/css/);
    await css.arrayBuffer();
    const head = await fetch(url("/favicon.svg"), { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  });

  test("anything outside the table is 404, traversal included; other methods are 405", async () => {
    for (const path of ["/nope", "/../package.json", "/%2e%2e/package.json", "/src/server/main.ts"]) {
      const response = await fetch(url(path));
      assert.equal(response.status, 404, path);
      await response.arrayBuffer();
    }
    const post = await fetch(url("/"), { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    await post.arrayBuffer();
  });

  test("the client library is served by the realtime server at /socket.io/socket.io.js", async () => {
    const response = await fetch(url("/socket.io/socket.io.js"));
    assert.equal(response.status, 200);
    assert.match(await response.text(), /\bio\b/);
  });
});

describe("chat events", () => {
  test("logs connections and disconnections with the socket id", async () => {
    const client = await connected("logger");
    const id = client.id!;
    assert.ok(lines.includes(`a user connected ${id} (logger)`), lines.join("\n"));
    client.close();
    const deadline = Date.now() + 10_000;
    while (!lines.some((l) => l.startsWith(`user disconnected ${id} `)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(
      lines.some((l) => l.startsWith(`user disconnected ${id} `)),
      lines.join("\n"),
    );
  });

  test("welcome names the user; unusable names become guest-NNNN", async () => {
    const client = chatClient(server.port, "  \u0000\t ");
    clients.push(client);
    const info = await nextEvent(client, "welcome");
    assert.match(info.user.name, /^guest-\d{4}$/);
  });

  test("join: presence, 'user joined' for the others, history for the newcomer", async () => {
    const ann = await joined("ann", "help");
    const heard = nextEvent(ann, "user joined");
    const ben = await connected("ben");
    const result = (await ben.emitWithAck("join room", "help")) as JoinResult;
    assert.ok(result.ok);
    assert.deepEqual(result.users.map((u) => u.name).sort(), ["ann", "ben"]);
    const event = await heard;
    assert.equal(event.user.name, "ben");

    const sent = (await ann.emitWithAck("chat message", {
      id: "ann:1",
      room: "help",
      text: "hi",
    })) as SendResult;
    assert.ok(sent.ok);
    const cat = await connected("cat");
    const later = (await cat.emitWithAck("join room", "help")) as JoinResult;
    assert.ok(later.ok);
    assert.deepEqual(
      later.history.map((m) => [m.id, m.from.name, m.text]),
      [["ann:1", "ann", "hi"]],
    );
  });

  test("a resent message id is acknowledged again but delivered once", async () => {
    const dan = await joined("dan", "random");
    const eve = await joined("eve", "random");
    const received: ChatMessage[] = [];
    eve.on("chat message", (m) => received.push(m));
    const first = (await dan.emitWithAck("chat message", {
      id: "dan:1",
      room: "random",
      text: "once",
    })) as SendResult;
    const again = (await dan.emitWithAck("chat message", {
      id: "dan:1",
      room: "random",
      text: "once",
    })) as SendResult;
    assert.ok(first.ok && again.ok);
    assert.equal(again.at, first.at);
    // A later message from the same socket arrives after any duplicate would have.
    await dan.emitWithAck("chat message", { id: "dan:2", room: "random", text: "marker" });
    const deadline = Date.now() + 10_000;
    while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(
      received.map((m) => m.id),
      ["dan:1", "dan:2"],
    );
  });

  test("bad input gets an error value with a code, and the server keeps serving", async () => {
    const fay = await connected("fay");
    const send = (message: unknown) =>
      fay.emitWithAck("chat message", message as never) as Promise<SendResult>;
    const notJoined = await send({ id: "fay:1", room: "general", text: "hello" });
    assert.deepEqual(notJoined.ok ? null : notJoined.error.code, "not_in_room");
    assert.ok((await fay.emitWithAck("join room", "general")).ok);

    const cases: [unknown, string][] = [
      [null, "invalid_message"],
      ["text", "invalid_message"],
      [{ id: "", room: "general", text: "x" }, "invalid_message"],
      [{ id: "x".repeat(65), room: "general", text: "x" }, "invalid_message"],
      [{ id: "fay:2", room: "general", text: "   " }, "invalid_message"],
      [{ id: "fay:3", room: "general", text: 5 }, "invalid_message"],
      [{ id: "fay:4", room: "nowhere", text: "x" }, "invalid_room"],
    ];
    for (const [message, code] of cases) {
      const result = await send(message);
      assert.equal(result.ok ? "ok" : result.error.code, code, JSON.stringify(message));
    }
    const tooLong = await send({ id: "fay:5", room: "general", text: "x".repeat(21) });
    assert.ok(!tooLong.ok);
    assert.equal(tooLong.error.message, "message exceeds maxMessageLength (20 characters)");

    const badRoom = (await fay.emitWithAck("join room", "../etc" as never)) as JoinResult;
    assert.equal(badRoom.ok ? "ok" : badRoom.error.code, "invalid_room");

    // No ack function, wrong types: ignored without a crash.
    fay.emit("chat message", { id: "fay:6", room: "general", text: "no ack" } as never, undefined as never);
    fay.emit("join room", "random" as never, undefined as never);
    fay.emit("typing", "yes" as never);
    const still = await send({ id: "fay:7", room: "random", text: "still here" });
    assert.ok(still.ok);
  });

  test("typing hints reach the others in the room, not the sender", async () => {
    const gus = await joined("gus", "general");
    const hal = await joined("hal", "general");
    const hint = nextEvent(hal, "typing");
    let echoed = false;
    gus.on("typing", () => {
      echoed = true;
    });
    gus.emit("typing", true);
    const event = await hint;
    assert.equal(event.user.name, "gus");
    assert.equal(event.typing, true);
    // Ordering marker: the sender's own ack returns after the broadcast was handled.
    await gus.emitWithAck("chat message", { id: "gus:1", room: "general", text: "done" });
    assert.equal(echoed, false);
  });
});
