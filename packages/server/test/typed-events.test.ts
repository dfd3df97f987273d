// Event maps are checked at compile time: the `@ts-expect-error` lines below must each be an error,
// and everything else must compile. The runtime test runs tsc on this file (test/tsconfig.json).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import type { Server, Socket } from "volley";

interface ClientToServer {
  chat: (msg: string, ack: (delivered: number) => void) => void;
  ping: () => void;
}
interface ServerToClient {
  chat: (msg: string) => void;
  count: (n: number, ack: (ok: boolean) => void) => void;
}
interface InterServer {
  sync: (version: number) => void;
  ask: (question: string, answer: (n: number) => void) => void;
}
interface SocketData {
  name: string;
}

// Never called: only compiled.
export function typeChecks(io: Server<ClientToServer, ServerToClient, InterServer, SocketData>): void {
  io.on("connection", (socket) => {
    socket.emit("chat", "hello");
    // @ts-expect-error chat takes a string
    socket.emit("chat", 1);
    // @ts-expect-error unknown event
    socket.emit("nope");
    socket.on("chat", (msg, ack) => {
      const text: string = msg;
      ack(text.length);
    });
    // @ts-expect-error the listener's argument is a string
    socket.on("chat", (msg: number) => msg);
    // @ts-expect-error no such incoming event
    socket.on("unknown", () => {});
    socket.on("disconnect", (reason) => {
      const r: string = reason;
      void r;
    });
    socket.data.name = "ann";
    // @ts-expect-error data is typed
    socket.data.age = 3;
    io.to("room").emit("chat", "x");
    // @ts-expect-error broadcasts are typed too
    io.to("room").emit("chat", 2);
    socket.broadcast.emit("chat", "y");
    const answer: Promise<boolean> = socket.emitWithAck("count", 1);
    const timed: Promise<boolean> = socket.timeout(10).emitWithAck("count", 1);
    // @ts-expect-error resolves to a boolean
    const wrong: Promise<string> = socket.emitWithAck("count", 1);
    void answer;
    void timed;
    void wrong;
    socket.timeout(10).emit("count", 1, (err, ok) => {
      const e: Error | null = err;
      const b: boolean = ok;
      void e;
      void b;
    });
    io.timeout(10).emit("count", 1, (err, oks) => {
      const list: boolean[] = oks;
      void err;
      void list;
    });
  });
  // emitWithAck arguments are checked too (socket, broadcast, with a deadline, between servers)
  io.on("connection", async (socket) => {
    await socket.emitWithAck("count", 1);
    // @ts-expect-error count takes a number
    await socket.emitWithAck("count", "1");
    // @ts-expect-error unknown event
    await socket.emitWithAck("nope", 1);
    await io.timeout(100).emitWithAck("count", 1);
    // @ts-expect-error count takes a number
    await io.timeout(100).emitWithAck("count", "1");
    // @ts-expect-error count takes a number
    await io.emitWithAck("count", "1");
  });
  const answers: Promise<unknown[]> = io.serverSideEmitWithAck("ask", "why?");
  void answers;
  // @ts-expect-error ask takes a string
  void io.serverSideEmitWithAck("ask", 42);
  // @ts-expect-error unknown server-side event
  void io.serverSideEmitWithAck("nope", 1);
  io.on("ask", (question, answer) => answer(question.length));
  io.serverSideEmit("sync", 1);
  // @ts-expect-error sync takes a number
  io.serverSideEmit("sync", "1");
  io.on("sync", (version) => {
    const v: number = version;
    void v;
  });
}

// With the default maps (no generics) every event name and any arguments are accepted, as with
// socket.io's DefaultEventsMap; acknowledgements resolve to `any`.
export async function defaultMaps(io: Server, socket: Socket): Promise<void> {
  const one: number = await socket.emitWithAck("x", 1);
  const timed: string = await socket.timeout(100).emitWithAck("x", 1, { a: 2 });
  const all = await io.emitWithAck("x", 1, "two");
  const timedAll = await io.timeout(100).emitWithAck("x", 1);
  const toRoom = await io.to("room").except("other").timeout(5).emitWithAck("y");
  const servers: unknown[] = await io.serverSideEmitWithAck("x", 1);
  await io.of("/admin").emitWithAck("z", new Uint8Array(1));
  await io.of("/admin").serverSideEmitWithAck("z");
  socket.emit("anything", 1, "two", { three: 3 }, () => {});
  socket.timeout(5).emit("x", (err: Error | null, value: unknown) => void [err, value]);
  io.timeout(5).emit("x", 1, (err: Error | null, values: unknown[]) => void [err, values]);
  io.serverSideEmit("x", 1, 2);
  io.on("from-another-server", (a: number, b: string) => void [a, b]);
  socket.on("whatever", (...args: unknown[]) => void args);
  void [one, timed, all, timedAll, toRoom, servers];
}

// `adapter.rooms` and `adapter.sids` are read-only views (a socket's own room has no Set behind it):
// reading as with Socket.IO's maps compiles, writing through them does not.
export function membershipViews(io: Server, socket: Socket): void {
  const adapter = io.of("/").adapter;
  const members: number | undefined = adapter.rooms.get("room")?.size;
  const inOwnRoom: boolean = adapter.rooms.get(socket.id)?.has(socket.id) ?? false;
  const rooms: Array<string | number> = [...(adapter.sids.get(socket.id) ?? [])];
  for (const [room, ids] of adapter.rooms) void [room, [...ids]];
  const own: Set<string | number> = socket.rooms;
  // @ts-expect-error the view cannot be written to
  adapter.rooms.set("room", new Set());
  // @ts-expect-error nor can the Sets it hands out
  adapter.rooms.get("room")?.add(socket.id);
  // @ts-expect-error nor the socket → rooms view
  adapter.sids.delete(socket.id);
  void [members, inOwnRoom, rooms, own];
}

test("event maps are enforced by the compiler", () => {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  const project = fileURLToPath(new URL("./tsconfig.json", import.meta.url));
  const result = spawnSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});
