// Issue 13 item 14 (server side) and item 12's `Event` type. Compile-time half: a broadcast's
// acknowledgements need a deadline, so with a typed map an acknowledged event is refused before
// `timeout()` and `timeout().emitWithAck` resolves to the array of the clients' ack values. The
// `@ts-expect-error` lines must each be an error (checked by tsc through test/tsconfig.json, run by
// typed-events.test.ts). Run-time half: what those types promise is what the server delivers.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Event, Server, Socket, SocketMiddleware } from "volley";
import { countdown, type Harness, next, setup } from "./helpers.js";
import { ManualClock } from "../../engine/test/manual-clock.js";

interface ServerToClient {
  news: (text: string) => void;
  count: (n: number, ack: (ok: boolean) => void) => void;
}

// Never called: only compiled.
export async function typeChecks(
  io: Server<Record<string, never>, ServerToClient>,
  socket: Socket<Record<string, never>, ServerToClient>,
) {
  // With a deadline: the callback gets (err, responses[]), emitWithAck resolves to the array.
  io.timeout(10).emit("count", 1, (err, oks) => {
    const e: Error | null = err;
    const list: boolean[] = oks;
    void [e, list];
  });
  const all: boolean[] = await io.timeout(10).emitWithAck("count", 1);
  const room: boolean[] = await io.to("r").timeout(10).emitWithAck("count", 1);
  const roomFirst: boolean[] = await io.timeout(10).to("r").except("s").emitWithAck("count", 1);
  const nsp: boolean[] = await io.of("/x").timeout(10).emitWithAck("count", 1);
  const others: boolean[] = await socket.broadcast.timeout(10).emitWithAck("count", 1);
  const twice: boolean[] = await io.timeout(10).timeout(20).emitWithAck("count", 1);
  // @ts-expect-error the array of ack values, not one value
  const one: boolean = await io.timeout(10).emitWithAck("count", 1);
  // @ts-expect-error booleans, not strings
  const strings: string[] = await io.to("r").timeout(10).emitWithAck("count", 1);
  // @ts-expect-error with a deadline, an acknowledged event needs its callback
  io.timeout(10).emit("count", 1);
  // @ts-expect-error news takes no acknowledgement
  await io.timeout(10).emitWithAck("news", "x");
  void [all, room, roomFirst, nsp, others, twice, one, strings];

  // Without a deadline: events without acknowledgement go anywhere...
  io.emit("news", "x");
  io.to("r").emit("news", "x");
  socket.broadcast.volatile.emit("news", "x");
  // ...an acknowledged one nowhere, with or without a callback.
  // @ts-expect-error acks from many clients need timeout()
  io.emit("count", 1, (oks: boolean[]) => void oks);
  // @ts-expect-error acks from many clients need timeout()
  io.to("r").emit("count", 1, (oks: boolean[]) => void oks);
  const exceptR = io.of("/x").except("r");
  // @ts-expect-error acks from many clients need timeout()
  exceptR.emit("count", 1, () => {});
  // @ts-expect-error acks from many clients need timeout()
  socket.broadcast.emit("count", 1, () => {});
  // @ts-expect-error acks from many clients need timeout()
  io.local.compress(true).emit("count", 1, () => {});
  // @ts-expect-error acks from many clients need timeout()
  await io.emitWithAck("count", 1);
  // @ts-expect-error acks from many clients need timeout()
  await io.to("r").emitWithAck("count", 1);
  // @ts-expect-error acks from many clients need timeout()
  await socket.broadcast.emitWithAck("count", 1);

  // One socket needs no deadline (socket.io's rule too).
  socket.emit("count", 1, (ok) => void ok);
  const single: boolean = await socket.emitWithAck("count", 1);
  void single;

  // socket.io's `Event`: what `socket.use` middlewares get.
  const middleware: SocketMiddleware = (event: Event, nextFn) => {
    const name: string = event[0];
    void name;
    nextFn();
  };
  socket.use(middleware);
  socket.use(([name, ...args], nextFn) =>
    nextFn(name === "x" && args.length > 0 ? new Error("no") : undefined),
  );
}

let h: Harness | undefined;
test.afterEach(async () => {
  await h?.cleanup();
  h = undefined;
});

test("timeout().emitWithAck resolves with one ack value per client; rejects with those that came when one is late", async () => {
  const clock = new ManualClock();
  h = await setup({ clock });
  const io = h.io as unknown as Server<Record<string, never>, ServerToClient>;
  const a = h.client();
  const b = h.client();
  a.on("count", (n: number, ack: (ok: boolean) => void) => ack(n > 0));
  b.on("count", (n: number, ack: (ok: boolean) => void) => ack(n > 1));
  await Promise.all([next(a, "connect"), next(b, "connect")]);
  const oks = await io.timeout(5_000).emitWithAck("count", 1);
  assert.deepEqual([...oks].sort(), [false, true]);

  const c = h.client();
  c.on("count", () => {}); // never answers
  await next(c, "connect");
  // The two answers reach the server (Socket.IO ACK packets, "3..."); then the deadline passes, the third silent.
  const answered = countdown(2);
  for (const socket of h.io.sockets.sockets.values()) {
    socket.conn.on("message", (data: unknown) => {
      if (String(data).startsWith("3")) answered.tick();
    });
  }
  const late = io.timeout(50).emitWithAck("count", 2);
  await answered.done;
  clock.advance(50);
  await assert.rejects(late, (err: Error & { responses?: boolean[] }) => {
    assert.equal(err.message, "operation has timed out");
    assert.deepEqual(err.responses, [true, true]);
    return true;
  });
});

test("socket.use middlewares get the Event tuple [name, ...args]", async () => {
  h = await setup();
  const seen: Event[] = [];
  const hello = new Promise<void>((resolve) => {
    h!.io.on("connection", (socket) => {
      socket.use((event, nextFn) => {
        seen.push(event);
        nextFn();
      });
      socket.on("hello", () => resolve());
    });
  });
  const client = h.client();
  await next(client, "connect");
  client.emit("hello", 1, { two: 2 });
  await hello;
  assert.deepEqual(seen, [["hello", 1, { two: 2 }]]);
});
