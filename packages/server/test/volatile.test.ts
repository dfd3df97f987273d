// Volatile packets are dropped, never queued, while the client's connection cannot take them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Socket } from "volley";
import { type Harness, next, setup } from "./helpers.js";
import { RawClient } from "./raw-client.js";

let h: Harness;
let raw: RawClient;
let socket: Socket;

before(async () => {
  h = await setup({ maxBufferedBytes: 256 * 1024 * 1024, writableHighWaterMark: 64 * 1024 });
  raw = new RawClient(h.port);
  const s = next<[Socket]>(h.io, "connection");
  await raw.connect();
  [socket] = await s;
});
after(async () => {
  await raw.close();
  await h.cleanup();
});

test("volatile emits are dropped while the client is not writable, delivered otherwise", async () => {
  // Right after the CONNECT reply a write may still be in flight (writable false): wait for drain.
  for (let i = 0; i < 10 && !socket.conn.writable; i++) await next(socket.conn as never, "drain");
  assert.equal(socket.conn.writable, true);
  socket.volatile.emit("vol", "delivered");
  await raw.wait((m) => m === '42["vol","delivered"]');

  (raw.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
  const chunk = "x".repeat(1024 * 1024);
  // Fill the kernel buffers and then the session's queue; bounded by count.
  for (let i = 0; i < 200 && socket.conn.writable; i++) {
    socket.emit("fill", chunk);
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(socket.conn.writable, false, "the connection filled up");
  socket.volatile.emit("vol", "dropped-direct");
  h.io.volatile.emit("vol", "dropped-broadcast");
  h.io.to(socket.id).volatile.emit("vol", "dropped-room");
  socket.emit("after");
  (raw.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  await raw.wait((m) => m === '42["after"]');
  const volatiles = raw.received.filter((m) => m.startsWith('42["vol"'));
  assert.deepEqual(volatiles, []);
});
