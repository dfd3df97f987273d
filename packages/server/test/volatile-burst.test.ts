// Issue 13 item 10: a volatile packet is dropped whenever the transport is not ready for more, so
// back-to-back volatile emits do not all arrive. The same script runs against socket.io 4.8 and Volley,
// with socket.io-client on each transport, and both must deliver the same packets.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { Server as SioServer } from "socket.io";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import { Server } from "volley";

interface ServerSocket {
  emit(ev: string, ...args: unknown[]): unknown;
  volatile: { emit(ev: string, ...args: unknown[]): unknown };
}

interface Side {
  io: { volatile: { emit(ev: string, ...args: unknown[]): unknown }; close(): unknown };
  /** Whether the connection can take a write right now (no write in flight). */
  ready(socket: unknown): boolean;
}

function volleySide(http: ReturnType<typeof createServer>): Side {
  const io = new Server(http);
  return {
    io,
    ready: (socket) => {
      const conn = (socket as { conn: { writable: boolean; bufferedBytes: number } }).conn;
      return conn.writable && conn.bufferedBytes === 0;
    },
  };
}

function socketIoSide(http: ReturnType<typeof createServer>): Side {
  const io = new SioServer(http);
  return {
    io: io as unknown as Side["io"],
    ready: (socket) => (socket as { conn: { transport: { writable: boolean } } }).conn.transport.writable,
  };
}

/** Waits (bounded) until the server side can write again: nothing sleeps on the clock. */
async function settle(side: Side, socket: unknown): Promise<void> {
  for (let i = 0; i < 10_000 && !side.ready(socket); i++) await new Promise((r) => setImmediate(r));
  assert.ok(side.ready(socket), "the connection became writable");
}

async function script(make: (http: ReturnType<typeof createServer>) => Side, transport: string) {
  const http = createServer();
  const side = make(http);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const port = (http.address() as AddressInfo).port;
  const connection = new Promise<ServerSocket>((resolve) =>
    (side.io as unknown as { once(ev: string, fn: (s: ServerSocket) => void): void }).once(
      "connection",
      resolve,
    ),
  );
  const client: ClientSocket = ioc(`http://127.0.0.1:${port}`, {
    transports: [transport],
    forceNew: true,
    reconnection: false,
  });
  const got: string[] = [];
  client.onAny((ev: string, value: unknown) => {
    if (ev !== "marker") got.push(`${ev}:${String(value)}`);
  });
  const socket = await connection;
  await once(client, "connect");
  const marker = async (): Promise<void> => {
    const seen = once(client, "marker");
    socket.emit("marker");
    await seen;
  };

  await settle(side, socket);
  for (let i = 0; i < 5; i++) socket.volatile.emit("direct", i);
  await marker();

  await settle(side, socket);
  for (let i = 0; i < 5; i++) side.io.volatile.emit("broadcast", i);
  await marker();

  await settle(side, socket);
  socket.emit("plain", 0);
  socket.volatile.emit("after-plain", 1);
  await marker();

  await settle(side, socket);
  socket.volatile.emit("apart", 1);
  await once(client, "apart");
  await settle(side, socket);
  socket.volatile.emit("apart", 2);
  await marker();

  client.close();
  await side.io.close();
  http.close();
  return got;
}

for (const transport of ["websocket", "polling"]) {
  test(`back-to-back volatile emits: only what the transport was ready for goes out (${transport})`, async () => {
    const expected = await script(socketIoSide, transport);
    const actual = await script(volleySide, transport);
    assert.deepEqual(expected, ["direct:0", "broadcast:0", "plain:0", "apart:1", "apart:2"], "socket.io");
    assert.deepEqual(actual, expected);
  });
}
