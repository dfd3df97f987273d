// A socket's own-id room costs no Set in Volley's adapter (room-membership.ts): the room is implicit
// until someone else joins it or the socket leaves it. The same scenario is played against socket.io
// 4.8 and Volley, with socket.io-client sockets, and everything the application can observe must be
// equal: `adapter.rooms` and `adapter.sids` (keys, sizes, members), `socket.rooms`, the adapter's room
// events, `io.in(id)` / `except(id)` / `socket.to(id)` recipients and `fetchSockets`, while another
// socket joins an own room, the owner leaves it and comes back, and sockets disconnect.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { Server as SioServer } from "socket.io";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import { Server } from "volley";

// The part of both libraries' servers, sockets and adapters the scenario uses.
interface AnySocket {
  id: string;
  rooms: ReadonlySet<string | number>;
  join(room: string | string[]): unknown;
  leave(room: string): unknown;
  disconnect(close?: boolean): unknown;
  to(room: string): { emit(ev: string, ...args: unknown[]): unknown };
}
interface AnyAdapter {
  rooms: ReadonlyMap<string | number, ReadonlySet<string>>;
  sids: ReadonlyMap<string, ReadonlySet<string | number>>;
  on(ev: string, fn: (...args: unknown[]) => void): unknown;
}
interface AnyOperator {
  emit(ev: string, ...args: unknown[]): unknown;
  fetchSockets(): Promise<Array<{ id: string; rooms: ReadonlySet<string | number> }>>;
  except(room: string): AnyOperator;
}
interface AnyServer {
  on(ev: "connection", fn: (socket: AnySocket) => void): unknown;
  of(nsp: string): { adapter: AnyAdapter };
  in(room: string): AnyOperator;
  except(room: string): AnyOperator;
  close(): unknown;
}

const NAMES = ["A", "B", "C"] as const;

/** Plays the scenario on `io` and returns everything observed, with socket ids replaced by names. */
async function play(make: (http: ReturnType<typeof createServer>) => AnyServer): Promise<unknown[]> {
  const http = createServer();
  const io = make(http);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const adapter = io.of("/").adapter;
  const log: unknown[] = [];
  const names = new Map<string, string>();
  const name = (v: unknown): unknown => (typeof v === "string" ? (names.get(v) ?? v) : v);
  const sorted = (values: Iterable<unknown>) => [...values].map(name).map(String).sort();
  for (const ev of ["create-room", "delete-room", "join-room", "leave-room"]) {
    // Named at the end: a socket's own room is created before its id is known here.
    adapter.on(ev, (...args: unknown[]) => log.push([ev, ...args]));
  }
  const sockets: AnySocket[] = [];
  const clients: ClientSocket[] = [];
  const received: string[] = [];
  try {
    for (const label of NAMES) {
      const connected = new Promise<AnySocket>((resolve) => io.on("connection", resolve));
      const client = ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"] });
      client.on("x", (tag: string) => received.push(`${label}:${tag}`));
      clients.push(client);
      await once(client, "connect");
      // Each connection listener fires for every socket: keep the first not yet seen.
      let socket = await connected;
      while (sockets.includes(socket)) socket = await connected;
      names.set(socket.id, label);
      sockets.push(socket);
    }
    const [a, b, c] = sockets as [AnySocket, AnySocket, AnySocket];

    /** Everything an application can read about membership now. */
    const snapshot = async (step: string) => {
      log.push([
        step,
        sorted(adapter.rooms.keys()),
        adapter.rooms.size,
        [...adapter.rooms].map(([room, members]) => [name(room), sorted(members)]).sort(),
        [...adapter.sids.keys()].map(name).sort(),
        adapter.sids.size,
        sorted(adapter.sids.get(a.id) ?? []),
        adapter.rooms.has(a.id),
        sorted(adapter.rooms.get(a.id) ?? []),
        sockets.map((s) => sorted(s.rooms)),
        sorted((await io.in(a.id).fetchSockets()).map((s) => s.id)),
        sorted((await io.except(a.id).fetchSockets()).map((s) => s.id)),
        sorted((await io.in("lobby").except(a.id).fetchSockets()).map((s) => s.id)),
      ]);
    };
    /** Who receives emits addressed by room; every client then gets a marker, so all have arrived. */
    const deliveries = async (step: string) => {
      received.length = 0;
      io.in(a.id).emit("x", "in-a");
      io.except(a.id).emit("x", "except-a");
      c.to(a.id).emit("x", "c-to-a");
      b.to(a.id).emit("x", "b-to-a");
      const done = clients.filter((cl) => cl.connected).map((cl) => once(cl, "x-done"));
      for (const s of sockets) (s as unknown as { emit(ev: string): void }).emit("x-done");
      await Promise.all(done);
      log.push([step, [...received].sort()]);
    };

    await snapshot("connected");
    await deliveries("connected");
    b.join(a.id);
    c.join(["lobby", a.id]);
    await snapshot("others joined A's room");
    await deliveries("others joined A's room");
    a.leave(a.id);
    await snapshot("A left its own room");
    await deliveries("A left its own room");
    b.leave(a.id);
    c.leave(a.id);
    await snapshot("the others left A's room");
    a.join(a.id);
    a.join("lobby");
    await snapshot("A back in its room and in lobby");
    await deliveries("A back in its room and in lobby");
    a.leave("lobby");
    await snapshot("A left lobby");
    const gone = once(clients[2]!, "disconnect");
    c.disconnect(true);
    await gone;
    await snapshot("C disconnected");
    const aGone = once(clients[0]!, "disconnect");
    a.disconnect(true);
    await aGone;
    await snapshot("A disconnected");
    return log.map((entry) => (entry as unknown[]).map(name));
  } finally {
    for (const client of clients) client.disconnect();
    io.close();
    http.closeAllConnections();
    await new Promise((resolve) => http.close(resolve));
  }
}

describe("a socket's own room, against socket.io", () => {
  test("rooms, sids, socket.rooms, room events and recipients are the same", async () => {
    const reference = await play((http) => new SioServer(http) as unknown as AnyServer);
    const volley = await play((http) => new Server(http) as unknown as AnyServer);
    // Guard against a scenario that observes nothing.
    assert.ok(reference.length > 20);
    assert.deepEqual(volley, reference);
  });
});
