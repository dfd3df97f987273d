// Every disconnect reason, observed on the server socket (and on the client where it has its own).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Socket } from "volley";
import { type Harness, next } from "./helpers.js";
import { floodUntilDisconnected } from "./raw-client.js";
import { serverPerTest } from "./server-per-test.js";

describe("disconnect reasons", () => {
  const testServer = serverPerTest();

  async function serverSocket(harness: Harness): Promise<Socket> {
    const [socket] = await next<[Socket]>(harness.io, "connection");
    return socket;
  }

  function reasonOf(socket: Socket): Promise<[string, unknown]> {
    return new Promise((resolve) =>
      socket.on("disconnect", (reason, description) => resolve([reason, description])),
    );
  }

  test("client namespace disconnect / io client disconnect", async () => {
    const h = await testServer.setup();
    const s = serverSocket(h);
    const client = h.client();
    const socket = await s;
    await next(client, "connect");
    const disconnecting = next<[string]>(socket, "disconnecting");
    const serverReason = reasonOf(socket);
    const clientReason = next<[string]>(client, "disconnect");
    client.disconnect();
    assert.equal((await clientReason)[0], "io client disconnect");
    assert.equal((await disconnecting)[0], "client namespace disconnect");
    assert.equal((await serverReason)[0], "client namespace disconnect");
    assert.equal(socket.connected, false);
    assert.equal(socket.rooms.size, 0);
  });

  test("server namespace disconnect / io server disconnect, with and without close", async () => {
    const h = await testServer.setup();
    for (const close of [false, true]) {
      const s = serverSocket(h);
      const client = h.client();
      const socket = await s;
      await next(client, "connect");
      const serverReason = reasonOf(socket);
      const clientReason = next<[string]>(client, "disconnect");
      socket.disconnect(close);
      assert.equal((await serverReason)[0], "server namespace disconnect");
      assert.equal((await clientReason)[0], "io server disconnect");
    }
  });

  test("transport close", async () => {
    const h = await testServer.setup();
    const s = serverSocket(h);
    const client = h.client();
    const socket = await s;
    await next(client, "connect");
    const serverReason = reasonOf(socket);
    client.io.engine.close();
    assert.equal((await serverReason)[0], "transport close");
  });

  test("forced close (the server closes the engine session)", async () => {
    const h = await testServer.setup();
    const s = serverSocket(h);
    const client = h.client();
    const socket = await s;
    await next(client, "connect");
    const serverReason = reasonOf(socket);
    const clientReason = next<[string]>(client, "disconnect");
    socket.conn.close();
    assert.equal((await serverReason)[0], "forced close");
    assert.equal((await clientReason)[0], "transport close");
  });

  test("transport error (a WebSocket protocol violation: an unmasked client frame)", async () => {
    const h = await testServer.setup();
    const raw = testServer.raw();
    const s = serverSocket(h);
    await raw.connect();
    const socket = await s;
    const reason = reasonOf(socket);
    // RFC 6455 §5.1: a client MUST mask its frames
    (raw.ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(
      Buffer.from([0x81, 0x02, 0x34, 0x32]),
    );
    assert.equal((await reason)[0], "transport error");
  });

  test("ping timeout", async () => {
    const h = await testServer.setup({ pingInterval: 30, pingTimeout: 30 });
    const raw = testServer.raw();
    raw.autoPong = false;
    const s = serverSocket(h);
    await raw.connect();
    const socket = await s;
    assert.equal((await reasonOf(socket))[0], "ping timeout");
  });

  test("parse error: a malformed packet closes that connection only", async () => {
    const h = await testServer.setup();
    const goodSide = serverSocket(h);
    const good = h.client();
    await next(good, "connect");
    const goodSocket = await goodSide;
    const raw = testServer.raw();
    const s = serverSocket(h);
    await raw.connect();
    const socket = await s;
    const errors: Error[] = [];
    socket.on("error", (err) => errors.push(err));
    const reason = reasonOf(socket);
    raw.ws.send('42["unterminated"');
    assert.equal((await reason)[0], "parse error");
    assert.equal(errors[0]?.name, "ProtocolError");
    await raw.closed();
    // the other client is untouched
    const still = next(good, "still-there");
    goodSocket.emit("still-there");
    await still;
    assert.equal(good.connected, true);
  });

  test("a client cannot fire reserved events", async () => {
    const h = await testServer.setup();
    const raw = testServer.raw();
    const s = serverSocket(h);
    await raw.connect();
    const socket = await s;
    let fired = false;
    socket.on("disconnect", () => {
      fired = true;
    });
    const arrived = next(socket, "after");
    raw.ws.send('42["disconnect","fake"]');
    raw.ws.send('42["after"]');
    await arrived;
    assert.equal(fired, false);
    assert.equal(socket.connected, true);
  });

  test("server shutting down (io.close), clients see a transport close", async () => {
    const h = await testServer.setup();
    const s = serverSocket(h);
    const client = h.client();
    const socket = await s;
    await next(client, "connect");
    const serverReason = reasonOf(socket);
    const clientReason = next<[string]>(client, "disconnect");
    await h.io.close();
    assert.equal((await serverReason)[0], "server shutting down");
    assert.equal((await clientReason)[0], "transport close");
    assert.equal(h.http.listening, false);
  });

  test("connectTimeout closes a connection that joins no namespace", async () => {
    const h = await testServer.setup({ connectTimeout: 50 });
    const raw = testServer.raw();
    await raw.wait((m) => m.startsWith("0{"));
    await raw.closed();
    assert.equal(h.io.engine.clientsCount, 0);
  });

  test("slow consumer: a client that stops reading is disconnected, the process is fine", async () => {
    const h = await testServer.setup({ maxBufferedBytes: 256 * 1024, writableHighWaterMark: 64 * 1024 });
    const raw = testServer.raw();
    const s = serverSocket(h);
    await raw.connect();
    const socket = await s;
    const reason = reasonOf(socket);
    raw.stopReading();
    // Bounded: 400 × 256 KiB is far beyond any kernel buffer plus maxBufferedBytes.
    await floodUntilDisconnected(socket, 256 * 1024);
    assert.equal((await reason)[0], "slow consumer");
  });
});
