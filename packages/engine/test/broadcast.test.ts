// Encode once, send to many (engine.prepare + sendPrepared), and the slow-consumer limits.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { EngineSocket } from "@volley/engine";
import {
  closed,
  nextSession,
  poll,
  pollingHandshake,
  RS,
  rawWebSocket,
  startEngine,
  pollingSession,
  waitingPoll,
  webSocketSession,
} from "./helpers.js";

describe("prepared packets", () => {
  test("one prepared text and binary packet reaches polling and websocket sessions alike", async () => {
    const f = await startEngine();
    const polling: Array<{ sid: string; session: EngineSocket }> = [];
    for (let i = 0; i < 3; i++) {
      const connection = nextSession(f.engine);
      const { sid } = await pollingHandshake(f);
      polling.push({ sid, session: await connection });
    }
    const sockets = [];
    for (let i = 0; i < 3; i++) {
      const c = await rawWebSocket(f, "");
      await c.next();
      sockets.push(c);
    }
    assert.equal(f.engine.clientsCount, 6);
    const text = f.engine.prepare("news");
    const binary = f.engine.prepare(Buffer.from([0xde, 0xad]));
    for (const session of f.engine.sessions.values()) session.sendPrepared(text).sendPrepared(binary);
    for (const { sid } of polling) assert.equal((await poll(f, sid)).body, `4news${RS}b3q0=`);
    for (const c of sockets) {
      assert.equal(await c.next(), "4news");
      assert.deepEqual(await c.next(), Buffer.from([0xde, 0xad]));
    }
    // Each form is computed once and shared.
    assert.equal(text.websocketFrame(), text.websocketFrame());
    assert.equal(text.pollingPayload, "4news");
    await f.close();
  });

  test("packetCreate reports prepared packets as message packets", async () => {
    const f = await startEngine();
    const connection = nextSession(f.engine);
    await pollingHandshake(f);
    const session = await connection;
    const created: unknown[] = [];
    session.on("packetCreate", (p) => created.push(p));
    session.sendPrepared(f.engine.prepare("x"));
    session.send("y");
    assert.deepEqual(created, [
      { type: "message", data: "x" },
      { type: "message", data: "y" },
    ]);
    await f.close();
  });
});

describe("flush slices", () => {
  test("a broadcast to more sessions than one slice holds goes out over several turns, in full", async () => {
    // A slice shorter than any flush: one chunk (32 sessions) per turn of the event loop. The first
    // chunk is flushed at once, in the sending tick (`FlushQueue.mayRunNow`); the rest waits its slices.
    const f = await startEngine({ flushSliceMs: 0.001 });
    const sockets = [];
    for (let i = 0; i < 80; i++) {
      const c = await rawWebSocket(f, "");
      await c.next();
      sockets.push(c);
    }
    const sessions = [...f.engine.sessions.values()];
    const prepared = f.engine.prepare("tick");
    for (const session of sessions) session.sendPrepared(prepared);
    const waiting = () => sessions.filter((s) => s.bufferedBytes > 0).length;
    const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
    // Written at once but still corked until the next tick: counted as buffered.
    assert.equal(waiting(), 80);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    assert.equal(waiting(), 48);
    await nextTurn();
    assert.equal(waiting(), 16);
    await nextTurn();
    assert.equal(waiting(), 0);
    for (const c of sockets) assert.equal(await c.next(), "4tick");
    await f.close();
  });
});

describe("slow consumers", () => {
  test("polling: writable follows the waiting GET and the high-water mark", async () => {
    const f = await startEngine({ writableHighWaterMark: 100 });
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    assert.equal(session.writable, false);
    const pending = poll(f, sid);
    while (!session.writable) await new Promise((r) => setImmediate(r));
    session.send("x".repeat(150));
    assert.equal(session.bufferedBytes, 151);
    assert.equal(session.writable, false);
    await pending;
    assert.equal(session.bufferedBytes, 0);
    await f.close();
  });

  test("polling: a client that stops polling is closed with 'slow consumer' at maxBufferedBytes", async () => {
    const f = await startEngine({ maxBufferedBytes: 1000 });
    const connection = nextSession(f.engine);
    await pollingHandshake(f);
    const session = await connection;
    const reason = closed(session);
    let sent = 0;
    while (session.readyState === "open" && sent < 100) {
      session.send("x".repeat(99));
      sent++;
    }
    assert.equal(sent, 11);
    assert.deepEqual(await reason, ["slow consumer", { maxBufferedBytes: 1000 }]);
    assert.equal(f.engine.clientsCount, 0);
    await f.close();
  });

  test("websocket: a client that stops reading is closed with 'slow consumer'", async () => {
    const f = await startEngine({ maxBufferedBytes: 256 * 1024 });
    const { c, session } = await webSocketSession(f);
    // The client stops reading: the kernel buffers fill, then the session's own.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const reason = closed(session);
    const chunk = Buffer.alloc(64 * 1024, 1);
    let rounds = 0;
    while (session.readyState === "open" && rounds < 1000) {
      session.send(chunk);
      rounds++;
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(rounds < 1000, "never closed");
    assert.equal((await reason)[0], "slow consumer");
    c.ws.terminate();
    await f.close();
  });
});

describe("engine.close()", () => {
  test("closes every session with 'server shutting down'; a waiting GET gets the close packet", async () => {
    const f = await startEngine();
    const { sid, session } = await pollingSession(f);
    const pending = (await waitingPoll(f, sid, session)).answer;
    const wsConnection = nextSession(f.engine);
    const c = await rawWebSocket(f, "");
    const wsSession = await wsConnection;
    const reasons = Promise.all([closed(session), closed(wsSession)]);
    await f.engine.close();
    assert.deepEqual(
      (await reasons).map((r) => r[0]),
      ["server shutting down", "server shutting down"],
    );
    assert.equal((await pending).body, "1");
    await c.closed;
    assert.equal(f.engine.clientsCount, 0);
    await f.close();
  });
});
