// Disconnect reasons, reconnection after a server restart, buffering while offline, connection-state
// recovery — against the official socket.io server (and a scripted server for the cases it cannot produce).
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import type { Socket as ServerSocket } from "socket.io";
import { WebSocketServer } from "ws";
import { cleanup, connect, connected, next, startSocketIo } from "./helpers.js";

after(cleanup);

describe("disconnect reasons", () => {
  test("io client disconnect / io server disconnect / transport close", async () => {
    const server = await startSocketIo();
    const serverSockets: ServerSocket[] = [];
    server.io.on("connection", (s) => serverSockets.push(s));

    const a = connect(server.url);
    await connected(a);
    const serverSaw = next<[string]>(serverSockets[0]!, "disconnect");
    const aReason = next<[string]>(a, "disconnect");
    a.disconnect();
    assert.equal((await aReason)[0], "io client disconnect");
    assert.equal((await serverSaw)[0], "client namespace disconnect");
    assert.equal(a.active, false);

    const b = connect(server.url);
    await connected(b);
    const bReason = next<[string]>(b, "disconnect");
    serverSockets[1]!.disconnect();
    assert.equal((await bReason)[0], "io server disconnect");
    assert.equal(b.active, false, "no reconnection after the server's own disconnect");

    const c = connect(server.url, { transports: ["websocket"] });
    await connected(c);
    const cReason = next<[string]>(c, "disconnect");
    serverSockets[2]!.conn.close();
    assert.equal((await cReason)[0], "transport close");
    assert.equal(c.active, true, "it will reconnect");
    await next(c, "connect");
  });

  test("transport error when polling requests fail", async () => {
    const server = await startSocketIo();
    const client = connect(server.url, { transports: ["polling"], reconnection: false });
    await connected(client);
    const reason = next<[string]>(client, "disconnect");
    // Kill the held GET without an HTTP answer, and refuse the next request.
    server.http.close();
    server.http.closeAllConnections();
    assert.equal((await reason)[0], "transport error");
  });

  // A scripted server (ws): the handshake, the namespace CONNECT answer, then what the test needs.
  async function scripted(afterConnect: (send: (data: string) => void) => void) {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on("connection", (ws) => {
      ws.send(
        `0${JSON.stringify({ sid: "e1", upgrades: [], pingInterval: 30, pingTimeout: 30, maxPayload: 1e6 })}`,
      );
      ws.on("message", (data) => {
        if (String(data) === "40") {
          ws.send('40{"sid":"s1"}');
          afterConnect((d) => ws.send(d));
        }
      });
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    return {
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      async close() {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        await new Promise((resolve) => http.close(resolve));
      },
    };
  }

  test("ping timeout when the server stops pinging", async () => {
    const server = await scripted(() => {});
    const client = connect(server.url, { transports: ["websocket"], reconnection: false });
    await connected(client);
    const [reason] = await next<[string]>(client, "disconnect");
    assert.equal(reason, "ping timeout");
    await server.close();
  });

  test("parse error on a malformed Socket.IO packet", async () => {
    const server = await scripted((send) => send("42[broken json"));
    const client = connect(server.url, { transports: ["websocket"], reconnection: false });
    const [reason] = await next<[string]>(client, "disconnect");
    assert.equal(reason, "parse error");
    await server.close();
  });
});

describe("reconnection", () => {
  test("reconnects after the server restarts; emits buffered offline are flushed in order", async () => {
    const first = await startSocketIo();
    const port = first.port;
    const client = connect(first.url, { transports: ["websocket"] });
    await connected(client);
    const events: string[] = [];
    const manager = client.io;
    manager.on("reconnect_attempt", (n) => events.push(`attempt ${n}`));
    manager.on("reconnect", (n) => events.push(`reconnect ${n}`));
    const disconnected = next<[string]>(client, "disconnect");
    await first.close();
    assert.equal((await disconnected)[0], "transport close");
    client.emit("offline", 1);
    client.emit("offline", 2);
    client.volatile.emit("offline-volatile");

    const second = await startSocketIo({}, port);
    const got: unknown[] = [];
    const allIn = new Promise<void>((resolve) =>
      second.io.on("connection", (s) =>
        s.onAny((event: string, n: unknown) => {
          got.push([event, n]);
          if (got.length === 2) resolve();
        }),
      ),
    );
    await next(client, "connect");
    await allIn;
    assert.deepEqual(got, [
      ["offline", 1],
      ["offline", 2],
    ]);
    assert.ok(events.includes("attempt 1"));
    assert.match(events.at(-1)!, /^reconnect \d+$/);
    assert.equal(client.recovered, false);
  });

  test("reconnect_error then reconnect_failed after reconnectionAttempts", async () => {
    const server = await startSocketIo();
    const url = server.url;
    await server.close();
    const client = connect(url, { reconnectionAttempts: 2, transports: ["polling"] });
    const errors: unknown[] = [];
    const connectErrors: unknown[] = [];
    client.io.on("reconnect_error", (err) => errors.push(err));
    client.on("connect_error", (err) => connectErrors.push(err));
    await next(client.io, "reconnect_failed");
    assert.equal(errors.length, 2);
    assert.equal(connectErrors.length, 3, "the first try and two reconnection attempts");
  });
});

describe("connection-state recovery", () => {
  test("a dropped connection is recovered with the packets it missed", async () => {
    const server = await startSocketIo({ connectionStateRecovery: { maxDisconnectionDuration: 60_000 } });
    const serverSockets: ServerSocket[] = [];
    server.io.on("connection", (s) => {
      serverSockets.push(s);
      s.join("room");
    });
    const client = connect(server.url, { transports: ["websocket"] });
    await connected(client);
    assert.equal(client.recovered, false);
    const firstId = client.id;
    const live = next<unknown[]>(client, "news");
    server.io.to("room").emit("news", "before");
    assert.equal((await live)[0], "before");

    const dropped = next(client, "disconnect");
    serverSockets[0]!.conn.close(); // not a deliberate disconnect: the session is kept
    await dropped;
    server.io.to("room").emit("news", "missed while away");

    const missed = next<unknown[]>(client, "news");
    await next(client, "connect");
    assert.equal(client.recovered, true);
    assert.equal(client.id, firstId, "same session id after recovery");
    assert.equal((await missed)[0], "missed while away");
    assert.equal(serverSockets.at(-1)!.recovered, true, "the server restored the same session");
  });
});
