// The parts of the Socket.IO API around a socket: handshake details, the Engine.IO session behind it
// (`socket.conn`, `socket.request`, `io.engine`), `io.sockets`, `disconnect(true)` and errors in
// `socket.use` middlewares — with the official socket.io-client.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import type { Socket } from "volley";
import { type Harness, next, setup } from "./helpers.js";

describe("socket API", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.cleanup();
    h = undefined;
  });

  test("handshake: headers, time, address, xdomain, secure, issued, url, query, auth", async () => {
    h = await setup();
    const before = Date.now();
    const connection = next<[Socket]>(h.io, "connection");
    const client = h.client("/", {
      query: { room: "blue", n: "1" },
      auth: { token: "abc" },
      extraHeaders: { "x-custom": "yes", origin: "http://example.test" },
    });
    const [socket] = await connection;
    await next(client, "connect");
    const hs = socket.handshake;
    assert.equal(hs.headers["x-custom"], "yes");
    assert.equal(hs.headers.host, `127.0.0.1:${h.port}`);
    assert.match(hs.address, /127\.0\.0\.1$/);
    assert.equal(hs.xdomain, true); // it carried an Origin header
    assert.equal(hs.secure, false);
    assert.ok(hs.issued >= before && hs.issued <= Date.now());
    assert.equal(hs.time, new Date(hs.issued).toString());
    assert.ok(hs.url.startsWith("/socket.io/?"), hs.url);
    assert.equal(hs.query.room, "blue");
    assert.equal(hs.query.n, "1");
    assert.equal(hs.query.EIO, "4");
    assert.equal(hs.query.transport, "websocket");
    assert.deepEqual(hs.auth, { token: "abc" });
    assert.equal(socket.handshake, hs); // computed once
  });

  test("a request with no Origin is not cross-domain", async () => {
    h = await setup();
    const connection = next<[Socket]>(h.io, "connection");
    h.client();
    const [socket] = await connection;
    assert.equal(socket.handshake.xdomain, false);
    assert.deepEqual(socket.handshake.auth, {});
  });

  test("socket.conn, socket.request, io.engine and io.sockets", async () => {
    h = await setup({}, "upgrade");
    const io = h.io;
    const connection = next<[Socket]>(io, "connection");
    const client = h.client();
    const [socket] = await connection;
    await next(client, "connect");
    // io.sockets is the main namespace
    assert.equal(io.sockets, io.of("/"));
    assert.equal(io.sockets.sockets.get(socket.id), socket);
    assert.equal(socket.nsp, io.sockets);
    // socket.conn is the engine session: same id as the client's engine, in io.engine's sessions
    assert.equal(socket.conn.id, client.io.engine.id);
    assert.equal(io.engine.sessions.get(socket.conn.id), socket.conn);
    assert.equal(io.engine.clientsCount, 1);
    assert.equal(socket.request, socket.conn.request);
    assert.equal(socket.request.headers.host, `127.0.0.1:${h.port}`);
    // it starts on polling and upgrades; the upgrade is visible on socket.conn
    if (socket.conn.transport.name === "polling") {
      const [transport] = await next<[{ name: string }]>(socket.conn, "upgrade");
      assert.equal(transport.name, "websocket");
    }
    assert.equal(socket.conn.transport.name, "websocket");
    assert.equal(socket.conn.upgraded, true);
    // still one working socket after the upgrade
    const echo = next(client, "echo");
    socket.emit("echo", "after upgrade");
    assert.deepEqual(await echo, ["after upgrade"]);
  });

  test("disconnect(true) disconnects every namespace of the connection and closes it", async () => {
    h = await setup();
    const io = h.io;
    const mainConnection = next<[Socket]>(io, "connection");
    const adminConnection = next<[Socket]>(io.of("/admin"), "connection");
    const main = h.client("/");
    const admin = main.io.socket("/admin"); // same connection (Manager)
    admin.connect();
    const [mainSocket] = await mainConnection;
    const [adminSocket] = await adminConnection;
    await Promise.all([next(main, "connect"), next(admin, "connect")]);
    assert.equal(mainSocket.conn, adminSocket.conn);
    const reasons = Promise.all([
      next<[string]>(mainSocket, "disconnect"),
      next<[string]>(adminSocket, "disconnect"),
      next<[string]>(main, "disconnect"),
      next<[string]>(admin, "disconnect"),
    ]);
    const sessionClosed = next(mainSocket.conn, "close");
    mainSocket.disconnect(true);
    const [mainReason, adminReason, mainClient, adminClient] = await reasons;
    assert.equal(mainReason[0], "server namespace disconnect");
    assert.equal(adminReason[0], "server namespace disconnect");
    assert.equal(mainClient[0], "io server disconnect");
    assert.equal(adminClient[0], "io server disconnect");
    await sessionClosed;
    assert.equal(io.engine.clientsCount, 0);
    assert.equal(io.sockets.sockets.size, 0);
    assert.equal(io.of("/admin").sockets.size, 0);
    // a second call is harmless
    mainSocket.disconnect(true);
  });

  test("socket.use: next(err), a throw and a rejection each drop the event and are reported", async () => {
    h = await setup();
    const io = h.io;
    const connection = next<[Socket]>(io, "connection");
    const client = h.client();
    const [socket] = await connection;
    await next(client, "connect");
    socket.use(([event], nextFn) => {
      if (event === "refused") nextFn(new Error("refused by middleware"));
      else if (event === "throws") throw new Error("middleware threw");
      else nextFn();
    });
    socket.use(async ([event], nextFn) => {
      if (event === "rejects") throw new Error("async middleware rejected");
      nextFn();
    });
    const seen: string[] = [];
    for (const ev of ["refused", "throws", "rejects", "allowed"]) socket.on(ev, () => seen.push(ev));
    const socketErrors: string[] = [];
    socket.on("error", (err) => socketErrors.push(err.message));
    let allowed = next(socket, "allowed");
    client.emit("refused");
    client.emit("throws");
    client.emit("rejects");
    client.emit("allowed");
    await allowed;
    // the async middleware's rejection lands a microtask later than the events before it
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, ["allowed"]);
    assert.deepEqual(socketErrors.sort(), [
      "async middleware rejected",
      "middleware threw",
      "refused by middleware",
    ]);

    // Without an error listener on the socket: a bug goes to io.on("error"); a refusal stays quiet.
    socket.removeAllListeners("error");
    const serverErrors: string[] = [];
    io.on("error", (err) => serverErrors.push((err as Error).message));
    allowed = next(socket, "allowed");
    client.emit("refused");
    client.emit("throws");
    client.emit("allowed");
    await allowed;
    assert.deepEqual(serverErrors, ["middleware threw"]);
    assert.deepEqual(seen, ["allowed", "allowed"]);
    assert.equal(socket.connected, true);
  });
});
