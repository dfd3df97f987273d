// Rooms, broadcasts and the server-wide utilities, seen from real socket.io-client sockets.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import type { RemoteSocket, Socket } from "volley";
import { type Harness, next, setup } from "./helpers.js";
import { ManualClock } from "../../engine/test/manual-clock.js";

describe("rooms and broadcasts", () => {
  let h: Harness;
  // Ack deadlines run on this clock: a test moves time only once the answers it expects are in.
  const clock = new ManualClock();
  const byId = new Map<string, Socket>();
  const clients: ClientSocket[] = [];

  before(async () => {
    h = await setup({ clock }, "websocket");
    h.io.on("connection", (socket: Socket) => {
      byId.set(socket.id, socket);
      // Sent by a client after its acknowledgement: packets of one connection arrive in order.
      socket.on("answered", () => socket.emit("seen-answered"));
      socket.on("join", (room: string, done: () => void) => {
        socket.join(room);
        done();
      });
      socket.on("relay", (msg: string, done: () => void) => {
        socket.broadcast.emit("relayed", msg);
        done();
      });
      socket.on("to-room", (room: string, msg: string, done: () => void) => {
        socket.to(room).emit("in-room", msg);
        done();
      });
    });
    for (let i = 0; i < 4; i++) {
      const c = h.client();
      await next(c, "connect");
      clients.push(c);
    }
    // rooms: a = {0,1,2}, b = {1}, c = {3}
    await clients[0]!.emitWithAck("join", "a");
    await clients[1]!.emitWithAck("join", "a");
    await clients[1]!.emitWithAck("join", "b");
    await clients[2]!.emitWithAck("join", "a");
    await clients[3]!.emitWithAck("join", "c");
  });
  after(() => h.cleanup());

  /** Which clients receive `event` from `action`, probed with a marker event sent to everyone after it. */
  async function probe(event: string, action: () => unknown): Promise<number[]> {
    const got: number[] = [];
    const handlers = clients.map((c, i) => {
      const fn = () => got.push(i);
      c.on(event, fn);
      return fn;
    });
    const markers = Promise.all(clients.map((c) => next(c, "marker")));
    // Packets to one client arrive in order: once the marker is in, the event would be too.
    await action();
    h.io.emit("marker");
    await markers;
    clients.forEach((c, i) => {
      c.off(event, handlers[i]);
    });
    return got.sort();
  }

  test("io.emit reaches everyone", async () => {
    assert.deepEqual(await probe("all", () => h.io.emit("all", 1)), [0, 1, 2, 3]);
  });

  test("io.to(room), several rooms without duplicates, except", async () => {
    assert.deepEqual(await probe("x", () => h.io.to("a").emit("x")), [0, 1, 2]);
    assert.deepEqual(await probe("x", () => h.io.to(["a", "b"]).emit("x")), [0, 1, 2]);
    assert.deepEqual(await probe("x", () => h.io.to("a").to("c").except("b").emit("x")), [0, 2, 3]);
    assert.deepEqual(await probe("x", () => h.io.except(["a"]).emit("x")), [3]);
    assert.deepEqual(await probe("x", () => h.io.in("nobody").emit("x")), []);
  });

  test("socket.broadcast and socket.to exclude the sender", async () => {
    assert.deepEqual(await probe("relayed", () => clients[0]!.emitWithAck("relay", "m")), [1, 2, 3]);
    assert.deepEqual(await probe("in-room", () => clients[1]!.emitWithAck("to-room", "a", "m")), [0, 2]);
  });

  test("a socket in a room by its own id", async () => {
    assert.deepEqual(await probe("direct", () => h.io.to(clients[2]!.id!).emit("direct")), [2]);
  });

  test("allSockets, fetchSockets and RemoteSocket data", async () => {
    const ids = await h.io.in("a").allSockets();
    assert.deepEqual([...ids].sort(), [clients[0]!.id, clients[1]!.id, clients[2]!.id].sort());
    byId.get(clients[1]!.id!)!.data = { name: "one" };
    const sockets: RemoteSocket[] = await h.io.in("b").fetchSockets();
    assert.equal(sockets.length, 1);
    assert.equal(sockets[0]!.id, clients[1]!.id);
    assert.deepEqual(sockets[0]!.data, { name: "one" });
    assert.ok(sockets[0]!.rooms.has("a") && sockets[0]!.rooms.has("b"));
  });

  test("socketsJoin and socketsLeave", async () => {
    h.io.in("c").socketsJoin(["d", "e"]);
    assert.deepEqual(await probe("x", () => h.io.to("e").emit("x")), [3]);
    h.io.in("a").except("b").socketsJoin("e");
    assert.deepEqual(await probe("x", () => h.io.to("e").emit("x")), [0, 2, 3]);
    h.io.socketsLeave("e");
    assert.deepEqual(await probe("x", () => h.io.to("e").emit("x")), []);
    assert.equal(h.io.sockets.adapter.rooms.has("e"), false, "an emptied room is deleted");
  });

  test("io.timeout().emitWithAck collects every acknowledgement", async () => {
    const handlers = clients.map((c, i) => {
      const fn = (n: number, cb: (r: number) => void) => cb(n + i);
      c.on("sum", fn);
      return fn;
    });
    const responses = (await h.io.timeout(5000).emitWithAck("sum", 10)) as number[];
    assert.deepEqual(responses.sort(), [10, 11, 12, 13]);
    const roomResponses = (await h.io.to("b").timeout(5000).emitWithAck("sum", 0)) as number[];
    assert.deepEqual(roomResponses, [1]);
    clients.forEach((c, i) => {
      c.off("sum", handlers[i]);
    });
  });

  test("broadcast ack with a timeout reports what came back", async () => {
    const fn = (cb: (r: string) => void) => {
      cb("fast");
      clients[0]!.emit("answered");
    };
    clients[0]!.on("slow?", fn);
    // clients 1..3 never answer; the deadline passes once client 0's answer has reached the server.
    const answered = () => next(clients[0]!, "seen-answered");
    let seen = answered();
    const rejected = assert.rejects(
      h.io.timeout(50).emitWithAck("slow?"),
      (err: Error & { responses?: unknown }) => {
        assert.match(err.message, /operation has timed out/);
        assert.deepEqual(err.responses, ["fast"]);
        return true;
      },
    );
    await seen;
    clock.advance(50);
    await rejected;
    seen = answered();
    const result = new Promise<[Error | null, unknown[]]>((resolve) => {
      h.io.timeout(50).emit("slow?", (err: Error | null, responses: unknown[]) => resolve([err, responses]));
    });
    await seen;
    clock.advance(50);
    const [err, responses] = await result;
    assert.match(String(err?.message), /timed out/);
    assert.deepEqual(responses, ["fast"]);
    clients[0]!.off("slow?", fn);
  });

  test("emitWithAck to an empty room resolves with no responses", async () => {
    assert.deepEqual(await h.io.to("nobody").timeout(1000).emitWithAck("x"), []);
  });

  test("reserved event names are refused", () => {
    assert.throws(() => h.io.emit("connect"), /reserved event name/);
    const socket = byId.get(clients[0]!.id!)!;
    assert.throws(() => socket.emit("disconnect"), /reserved event name/);
  });

  test("serverSideEmit on a single server acknowledges with no responses", async () => {
    assert.deepEqual(await h.io.serverSideEmitWithAck("hello"), []);
    assert.equal(await h.io.sockets.adapter.serverCount(), 1);
  });

  test("onAny and onAnyOutgoing see every event", async () => {
    const socket = byId.get(clients[3]!.id!)!;
    const incoming: unknown[][] = [];
    const outgoing: unknown[][] = [];
    socket.onAny((...args: unknown[]) => incoming.push(args));
    socket.onAnyOutgoing((...args: unknown[]) => outgoing.push(args));
    const arrived = next(socket, "ping-me");
    clients[3]!.emit("ping-me", 1);
    await arrived;
    const got = next(clients[3]!, "direct");
    socket.emit("direct", 2);
    await got;
    const broadcastGot = next(clients[3]!, "bc");
    h.io.emit("bc", 3);
    await broadcastGot;
    assert.deepEqual(incoming, [["ping-me", 1]]);
    assert.deepEqual(outgoing, [
      ["direct", 2],
      ["bc", 3],
    ]);
    socket.offAny();
    socket.offAnyOutgoing();
    assert.deepEqual(socket.listenersAny(), []);
  });

  test("socket.use middleware can drop an incoming event", async () => {
    const socket = byId.get(clients[2]!.id!)!;
    socket.use(([event], nextFn) => {
      if (event === "forbidden") nextFn(new Error("nope"));
      else nextFn();
    });
    const errors: Error[] = [];
    socket.on("error", (err: Error) => errors.push(err));
    const seen: string[] = [];
    socket.on("forbidden", () => seen.push("forbidden"));
    const allowed = next(socket, "allowed");
    clients[2]!.emit("forbidden");
    clients[2]!.emit("allowed");
    await allowed;
    assert.deepEqual(seen, []);
    assert.equal(errors[0]?.message, "nope");
  });

  test("disconnectSockets disconnects matching sockets with 'io server disconnect'", async () => {
    const reason = next<[string]>(clients[3]!, "disconnect");
    const serverReason = next<[string]>(byId.get(clients[3]!.id!)!, "disconnect");
    h.io.in("c").disconnectSockets();
    assert.equal((await reason)[0], "io server disconnect");
    assert.equal((await serverReason)[0], "server namespace disconnect");
    assert.equal(h.io.sockets.adapter.rooms.has("c"), false);
  });
});
