// What an operator sees and does, with real clients: the page served under its path (ahead of the
// application), the sockets with their transport, address and rooms, and the actions.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AdminAction, Snapshot } from "@volley/admin";
import { next, setup, until } from "./harness.ts";

test("the page is served under its path, ahead of the application, with strict headers", async () => {
  const h = await setup({ path: "/ops" });
  try {
    const redirect = await fetch(`${h.url}/ops?x=1`, { redirect: "manual" });
    assert.equal(redirect.status, 308);
    assert.equal(redirect.headers.get("location"), "/ops/?x=1");

    const page = await fetch(`${h.url}/ops/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    assert.equal(page.headers.get("cache-control"), "no-store");
    const html = await page.text();
    assert.match(html, /<script src="\/socket.io\/socket.io.js"><\/script>/);
    assert.match(html, /data-namespace="\/admin"/);

    const script = await fetch(`${h.url}/ops/admin.js`);
    assert.match(script.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.match(await script.text(), /socket\.emit\(event, request/);
    assert.equal((await fetch(`${h.url}/ops/admin.css`)).status, 200);
    assert.equal((await fetch(`${h.url}/ops/../package.json`)).status, 404);
    assert.equal((await fetch(`${h.url}/ops/secret`)).status, 404);
    assert.equal((await fetch(`${h.url}/ops/`, { method: "POST" })).status, 405);
    // The application and Volley keep everything else.
    const other = await fetch(`${h.url}/opsx`);
    assert.equal(other.status, 404);
    assert.equal(await other.text(), "application 404");
    assert.equal((await fetch(`${h.url}/socket.io/socket.io.js`)).status, 200);

    // After close, the path is the application's again.
    h.admin.close();
    const after = await fetch(`${h.url}/ops/`);
    assert.equal(await after.text(), "application 404");
  } finally {
    await h.cleanup();
  }
});

test("the operator sees sockets with transport, address, rooms and connection time", async () => {
  const h = await setup({ now: () => 1_700_000_000_000 });
  h.io.of("/chat").on("connection", (socket) => {
    socket.join(["lobby", 42]);
  });
  try {
    const operator = h.operator();
    await next(operator, "connect");
    const a = h.client("/chat", { transports: ["websocket"] });
    const b = h.client("/chat", { transports: ["polling"] });
    await Promise.all([next(a, "connect"), next(b, "connect")]);
    const snapshot = await until<Snapshot>(
      operator,
      "snapshot",
      (s) => s.namespaces.find((n) => n.name === "/chat")?.socketCount === 2,
    );
    const chat = snapshot.namespaces.find((n) => n.name === "/chat")!;
    const byId = new Map(chat.sockets.map((s) => [s.id, s]));
    assert.equal(byId.get(a.id!)?.transport, "websocket");
    assert.equal(byId.get(b.id!)?.transport, "polling");
    for (const view of chat.sockets) {
      assert.equal(view.address, "127.0.0.1");
      assert.equal(view.local, true);
      assert.deepEqual(view.rooms, [42, "lobby"]);
      assert.equal(typeof view.connectedAt, "number");
      assert.ok(Math.abs(view.connectedAt - Date.now()) < 60_000);
    }
    assert.deepEqual(chat.rooms, [
      { name: 42, members: 2 },
      { name: "lobby", members: 2 },
    ]);
    assert.equal(chat.roomCount, 2);
    // The admin namespace is not listed; this node is, with its summary.
    assert.deepEqual(
      snapshot.namespaces.map((n) => n.name),
      ["/", "/chat"],
    );
    assert.equal(snapshot.operators, 1);
    assert.equal(snapshot.nodes.length, 1);
    assert.equal(snapshot.nodes[0]?.self, true);
    assert.equal(snapshot.nodes[0]?.uid, "local");
    assert.equal(snapshot.nodes[0]?.summary?.pid, process.pid);
    assert.equal(snapshot.nodes[0]?.summary?.sockets["/chat"], 2);
    assert.equal(snapshot.nodes[0]?.summary?.startedAt, 1_700_000_000_000);
  } finally {
    await h.cleanup();
  }
});

test("an operator makes a socket leave a room, then disconnects it with a reason", async () => {
  const h = await setup({ maxSocketsListed: 1, maxRoomsListed: 1 });
  h.io.on("connection", (socket) => {
    socket.join(["lobby", `own-${socket.id}`]);
  });
  try {
    const actions: AdminAction[] = [];
    h.admin.on("action", (action) => actions.push(action));
    const operator = h.operator();
    await next(operator, "connect");
    const a = h.client();
    const b = h.client();
    await Promise.all([next(a, "connect"), next(b, "connect")]);
    const both = await until<Snapshot>(operator, "snapshot", (s) => s.namespaces[0]?.socketCount === 2);
    // The lists are cut at maxSocketsListed and maxRoomsListed (most populated rooms first); the counts stay exact.
    assert.equal(both.namespaces[0]?.sockets.length, 1);
    assert.deepEqual(both.namespaces[0]?.rooms, [{ name: "lobby", members: 2 }]);
    assert.equal(both.namespaces[0]?.roomCount, 3);
    assert.equal(both.namespaces[0]?.sockets[0]?.rooms.length, 1);
    assert.equal(both.namespaces[0]?.sockets[0]?.roomCount, 2);

    const left = await operator.emitWithAck("leave-room", { namespace: "/", socketId: a.id, room: "lobby" });
    assert.deepEqual(left, { ok: true });
    assert.deepEqual([...h.io.sockets.sockets.get(a.id!)!.rooms].sort(), [a.id, `own-${a.id}`].sort());
    await until<Snapshot>(operator, "snapshot", (s) => s.namespaces[0]?.rooms[0]?.members === 1);
    assert.deepEqual(
      [...h.io.sockets.sockets.get(b.id!)!.rooms].sort(),
      [b.id, "lobby", `own-${b.id}`].sort(),
    );

    const bId = b.id;
    const disconnected = next<string>(b, "disconnect");
    const logged = next<AdminAction>(operator, "action");
    const result = await operator.emitWithAck("disconnect-socket", {
      namespace: "/",
      socketId: b.id,
      reason: "abuse",
    });
    assert.deepEqual(result, { ok: true });
    assert.equal(await disconnected, "io server disconnect");
    const seen = await until<Snapshot>(operator, "snapshot", (s) => s.namespaces[0]?.socketCount === 1);
    assert.equal(seen.namespaces[0]?.sockets[0]?.id, a.id);
    assert.ok(a.connected);

    const action = await logged;
    assert.equal(action.type, "disconnect");
    assert.equal(action.reason, "abuse");
    assert.deepEqual(
      actions.map((x) => [x.type, x.socketId, x.room ?? x.reason, x.operator]),
      [
        ["leave", a.id, "lobby", "operator"],
        ["disconnect", bId, "abuse", "operator"],
      ],
    );
  } finally {
    await h.cleanup();
  }
});

test("malformed or out-of-bounds actions are refused with a reason and change nothing", async () => {
  const h = await setup();
  try {
    const operator = h.operator();
    await next(operator, "connect");
    const a = h.client();
    await next(a, "connect");
    const cases: Array<[string, unknown, RegExp]> = [
      ["disconnect-socket", "nope", /must be an object/],
      ["disconnect-socket", { namespace: "/" }, /namespace and socketId must be strings/],
      ["disconnect-socket", { namespace: "/nowhere", socketId: a.id }, /no namespace \/nowhere/],
      ["disconnect-socket", { namespace: "/admin", socketId: operator.id }, /admin namespace/],
      ["disconnect-socket", { namespace: "/", socketId: a.id, reason: "x".repeat(201) }, /at most 200/],
      ["leave-room", { namespace: "/", socketId: a.id, room: { x: 1 } }, /room must be a string or a number/],
      ["leave-room", { namespace: "/", socketId: a.id, room: a.id }, /cannot leave its own room/],
    ];
    for (const [event, request, error] of cases) {
      const result = (await operator.emitWithAck(event, request)) as { ok: boolean; error: string };
      assert.equal(result.ok, false, JSON.stringify(request));
      assert.match(result.error, error);
    }
    // Asking about a namespace that does not exist did not create it.
    assert.deepEqual(
      h.io.namespaces().map((n) => n.name),
      ["/", "/admin"],
    );
    assert.ok(a.connected);
    assert.ok(operator.connected);
  } finally {
    await h.cleanup();
  }
});

test("close() disconnects the operators and refuses new ones", async () => {
  const h = await setup();
  try {
    const operator = h.operator();
    await next(operator, "connect");
    const gone = next<string>(operator, "disconnect");
    h.admin.close();
    assert.equal(await gone, "io server disconnect");
    const late = await next<Error>(h.operator(), "connect_error");
    assert.equal(late.message, "the admin view is closed");
  } finally {
    await h.cleanup();
  }
});

test("dynamic namespaces appear while they have sockets and leave with them", async () => {
  const h = await setup();
  h.io.of(/^\/room-\d+$/);
  try {
    const operator = h.operator();
    await next(operator, "connect");
    const a = h.client("/room-1");
    await next(a, "connect");
    await until<Snapshot>(operator, "snapshot", (s) => s.namespaces.some((n) => n.name === "/room-1"));
    a.disconnect();
    // The child namespace is removed when it empties (cleanupEmptyChildNamespaces), and the next update
    // does not list it.
    const after = await until<Snapshot>(
      operator,
      "snapshot",
      (s) => !s.namespaces.some((n) => n.name === "/room-1"),
    );
    assert.deepEqual(
      after.namespaces.map((n) => n.name),
      ["/"],
    );
    // Its adapter carries the view's listeners away with it; the live ones have one each.
    for (const nsp of h.io.namespaces()) assert.ok(nsp.adapter.listenerCount("join-room") <= 1, nsp.name);
  } finally {
    await h.cleanup();
  }
});

test("with the server at another path, the page loads the client from there", async () => {
  const h = await setup({}, { path: "/rt" });
  try {
    const html = await (await fetch(`${h.url}/admin/`)).text();
    assert.match(html, /<script src="\/rt\/socket.io.js"><\/script>/);
    assert.match(html, /data-io-path="\/rt"/);
    assert.equal((await fetch(`${h.url}/rt/socket.io.js`)).status, 200);
  } finally {
    await h.cleanup();
  }
});

test("closing the server closes the view; either order gives the application its server back", async () => {
  for (const order of ["io first", "admin first"] as const) {
    const h = await setup();
    const operator = h.operator();
    await next(operator, "connect");
    operator.disconnect();
    const closed = new Promise((resolve) => h.http.once("close", resolve));
    if (order === "admin first") h.admin.close();
    // io.close() detaches Volley and closes the http server; its "close" event closes the view.
    await h.io.close();
    await closed;
    // Only the application's listener is left: neither the page's nor Volley's, nor it twice.
    assert.deepEqual(h.http.listeners("request"), [h.application], order);
  }
});
