// Timers (close timeout, handshake timeout) are cleared on every path: a connection that never opened,
// failed, or already closed leaves nothing pending. Timers are tracked with async_hooks (init/destroy of
// `Timeout` resources), identified by unique durations, so the checks are exact and never wait on a clock.
import assert from "node:assert/strict";
import { createHook } from "node:async_hooks";
import { once } from "node:events";
import { createServer } from "node:http";
import type { IncomingMessage } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { DEFAULT_CLOSE_TIMEOUT, WebSocket, type WebSocketError } from "../src/index.js";
import { closed, rawConnect, startServer, stopServer } from "./helpers.js";

// Durations no other code uses; below 2^31 - 1 so Node keeps them as given.
const CLOSE_TIMEOUT = 2_000_000_001;
const HANDSHAKE_TIMEOUT = 2_000_000_002;

// The defaults too: a connection that never opened used to arm a close timer of the default length.
const TRACKED = new Set([CLOSE_TIMEOUT, HANDSHAKE_TIMEOUT, DEFAULT_CLOSE_TIMEOUT]);

const live = new Map<number, number>();
const hook = createHook({
  init(id, type, _trigger, resource) {
    if (type !== "Timeout") return;
    const timeout = resource as { _idleTimeout?: number; _repeat?: unknown };
    // One-shot timers only: node:http's connection-checking interval also runs every 30 s.
    if (timeout._repeat == null && TRACKED.has(timeout._idleTimeout ?? -1))
      live.set(id, timeout._idleTimeout!);
  },
  destroy(id) {
    live.delete(id);
  },
});

/** Our timers still pending, after letting async_hooks deliver queued destroy events. */
async function pendingTimers(): Promise<number[]> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return [...live.values()];
}

const clientOptions = { closeTimeout: CLOSE_TIMEOUT, handshakeTimeout: HANDSHAKE_TIMEOUT };

/** An HTTP server that answers every request, upgrades included, with 404. */
async function notFoundServer() {
  const http = createServer((_req, res) => res.writeHead(404).end());
  http.on("upgrade", (_req, socket) => socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"));
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return { http, url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

describe("no timer outlives its connection", () => {
  before(() => {
    hook.enable();
  });
  after(() => {
    hook.disable();
  });

  test("close() from onerror after a failed handshake: close fires, no timer is left", async () => {
    const { http, url } = await notFoundServer();
    const client = new WebSocket(url, clientOptions);
    let error: WebSocketError | undefined;
    client.onerror = (event) => {
      error = event.error as WebSocketError;
      client.close();
      client.close(1000, "again");
    };
    const [code] = await closed(client);
    assert.equal(code, 1006);
    assert.equal(error?.statusCode, 404);
    assert.equal(client.readyState, WebSocket.CLOSED);
    assert.deepEqual(await pendingTimers(), []);
    http.close();
    await once(http, "close");
  });

  test("close() and terminate() from an error listener after a refused connection", async () => {
    // A port that was just free: nothing listens there, so the connection is refused.
    const probe = createNetServer();
    probe.listen(0, "127.0.0.1");
    await once(probe, "listening");
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    await once(probe, "close");
    const client = new WebSocket(`ws://127.0.0.1:${port}`, clientOptions);
    const errored = new Promise<WebSocketError>((resolve) =>
      client.on("error", (error: WebSocketError) => {
        client.close();
        client.terminate();
        resolve(error);
      }),
    );
    assert.equal((await closed(client))[0], 1006);
    assert.equal((await errored).code, "HANDSHAKE_FAILED");
    assert.deepEqual(await pendingTimers(), []);
  });

  test("close() twice while connecting reports close once and leaves no timer", async () => {
    const { wss, url } = await startServer();
    const client = new WebSocket(url, clientOptions);
    client.on("error", () => {});
    let closes = 0;
    client.on("close", () => closes++);
    client.close();
    client.close();
    client.terminate();
    await closed(client);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closes, 1);
    assert.deepEqual(await pendingTimers(), []);
    await stopServer(wss);
  });

  test("after unexpected-response, close() ends the attempt with 1006", async () => {
    const { http, url } = await notFoundServer();
    const client = new WebSocket(url, clientOptions);
    client.on("error", () => {});
    const [, res] = (await once(client, "unexpected-response")) as [unknown, IncomingMessage];
    assert.equal(res.statusCode, 404);
    res.resume();
    assert.equal(client.readyState, WebSocket.CONNECTING);
    client.close();
    assert.equal((await closed(client))[0], 1006);
    assert.deepEqual(await pendingTimers(), []);
    http.close();
    await once(http, "close");
  });

  test("the handshake timer is cleared once the connection opens", async () => {
    const { wss, url } = await startServer();
    const client = new WebSocket(url, clientOptions);
    assert.deepEqual(live.size, 1, "the handshake timer is tracked");
    await once(client, "open");
    assert.deepEqual(await pendingTimers(), []);
    client.close();
    await closed(client);
    assert.deepEqual(await pendingTimers(), []);
    await stopServer(wss);
  });

  test("close() and terminate() on connections that already closed leave no timer", async () => {
    const { wss, url } = await startServer({ closeTimeout: CLOSE_TIMEOUT });
    const connected = once(wss, "connection") as Promise<[WebSocket]>;
    const client = new WebSocket(url, clientOptions);
    await once(client, "open");
    const [ws] = await connected;
    const serverClosed = closed(ws);
    client.close(1000);
    await closed(client);
    await serverClosed;
    for (const socket of [client, ws]) {
      socket.close();
      socket.terminate();
      socket.close(4000, "late");
      assert.equal(socket.readyState, WebSocket.CLOSED);
    }
    assert.deepEqual(await pendingTimers(), []);
    await stopServer(wss);
  });

  test("terminate() then close() before the close event leaves no timer", async () => {
    const { wss, url } = await startServer({ closeTimeout: CLOSE_TIMEOUT });
    const client = new WebSocket(url, clientOptions);
    await once(client, "open");
    client.terminate();
    client.close();
    assert.equal((await closed(client))[0], 1006);
    assert.deepEqual(await pendingTimers(), []);
    await stopServer(wss);
  });

  test("a peer that vanishes mid close handshake: close fires at once and the timer is cleared", async () => {
    const { wss, port } = await startServer({ closeTimeout: CLOSE_TIMEOUT });
    const connected = once(wss, "connection") as Promise<[WebSocket]>;
    const { socket } = await rawConnect(port);
    socket.on("error", () => {});
    const [ws] = await connected;
    ws.close(1001);
    assert.equal((await pendingTimers()).length, 1, "the close timer runs while the peer is silent");
    socket.destroy();
    assert.equal((await closed(ws))[0], 1006);
    assert.deepEqual(await pendingTimers(), []);
    await stopServer(wss);
  });
});
