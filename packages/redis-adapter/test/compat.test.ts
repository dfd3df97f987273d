// socket.io compat mode: one Volley node (compat: "socket.io") and one real socket.io node with the
// official @socket.io/redis-adapter on one real Redis form one cluster. Every operation is run from
// each side to the other. Negative checks ("did not receive") are made deterministic with a marker
// broadcast sent after: Redis and both servers keep a publisher's order, so once the marker is in,
// anything sent before it would have been too.
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { type Socket as ClientSocket, io as ioc } from "socket.io-client";
import { encodeMsgpack } from "../src/compat/msgpack.js";
import { type SocketIoCompatAdapter, RedisAdapterError } from "../src/index.js";
import {
  type AnyNode,
  guard,
  nextEvent,
  startRedisInRange,
  startSocketIo,
  startVolley,
  type TestRedis,
} from "./compat-helpers.js";
import { connected, uniqueKey } from "./helpers.js";

let redis: TestRedis;
let volley: AnyNode;
let sio: AnyNode;
/** Clients by name: v1, v2 on the Volley node; s1, s2 on the socket.io node. */
const clients = new Map<string, ClientSocket>();
const key = uniqueKey();

function setUp(node: AnyNode): void {
  node.io.on("connection", (socket) => {
    const query = socket.handshake.query as Record<string, string | undefined>;
    socket.join((query.rooms ?? "").split(",").filter(Boolean));
    socket.data = { name: query.name, kind: node.kind, bin: Buffer.from([1, 2, 3]) };
  });
  node.io.on("connection", (socket) => {
    socket.on("shout", (text: string) => socket.broadcast.emit("shouted", text));
  });
  node.io.on("ask", (n: number, reply: (v: unknown) => void) => reply({ from: node.kind, n: n + 1 }));
}

before(async () => {
  redis = await startRedisInRange(7410, 7429);
  volley = await startVolley(redis.port, key);
  sio = await startSocketIo(redis.port, key);
  setUp(volley);
  setUp(sio);
  for (const [name, node, rooms] of [
    ["v1", volley, "a"],
    ["v2", volley, "a,b"],
    ["s1", sio, "a"],
    ["s2", sio, "a,b"],
  ] as const) {
    const client = await node.member({ name, rooms });
    client.on("ackme", (n: number, ack: (v: unknown) => void) => ack(`${name}:${n}`));
    clients.set(name, client);
  }
});

after(async () => {
  await Promise.allSettled([volley?.close(), sio?.close()]);
  await redis?.stop();
});

function client(name: string): ClientSocket {
  return clients.get(name)!;
}

/** Every client receives `event` from the broadcast made by `send`; resolves with their arguments. */
async function allReceive(event: string, send: () => void): Promise<Map<string, unknown[]>> {
  const got = [...clients].map(async ([name, c]) => [name, await nextEvent(c, event)] as const);
  send();
  return new Map(await guard(Promise.all(got), `${event} at every client`));
}

const directions = [
  { name: "volley → socket.io", from: () => volley, to: () => sio, toClient: "s1" },
  { name: "socket.io → volley", from: () => sio, to: () => volley, toClient: "v1" },
] as const;

describe("socket.io compat: one Volley node and one socket.io node on one Redis", () => {
  test("serverCount counts both kinds", async () => {
    assert.equal(await volley.io.of("/").adapter.serverCount(), 2);
    assert.equal(await sio.io.of("/").adapter.serverCount(), 2);
  });

  for (const d of directions) {
    describe(d.name, () => {
      test("io.emit with binary reaches every client of both nodes", async () => {
        const got = await allReceive("hello", () =>
          d.from().io.emit("hello", 1, { text: "two", bin: Buffer.from([0, 255, 7]) }),
        );
        for (const [name, args] of got) {
          assert.deepEqual(args, [1, { text: "two", bin: Buffer.from([0, 255, 7]) }], name);
        }
      });

      test("a room broadcast with except reaches exactly the room minus the excepted", async () => {
        const inRoom = ["v1", "s1"].map((name) => nextEvent(client(name), "room-msg"));
        const excluded: string[] = [];
        for (const name of ["v2", "s2"]) client(name).once("room-msg", () => excluded.push(name));
        d.from().io.to("a").except("b").emit("room-msg", "only a");
        for (const args of await guard(Promise.all(inRoom), "room members"))
          assert.deepEqual(args, ["only a"]);
        // The marker goes after, from the same node: once it is in, room-msg would be too.
        await allReceive("marker", () => d.from().io.emit("marker"));
        assert.deepEqual(excluded, []);
        for (const name of ["v2", "s2"]) client(name).removeAllListeners("room-msg");
      });

      test("a broadcast to one room of the other node only", async () => {
        const target = d.toClient;
        const got = nextEvent(client(target), "direct");
        d.from().io.to(client(target).id!).emit("direct", target);
        assert.deepEqual(await guard(got, "direct message"), [target]);
      });

      test("fetchSockets returns the sockets of both nodes, with rooms and data", async () => {
        const sockets = await d.from().io.in("b").fetchSockets();
        const byName = new Map(sockets.map((s) => [(s.data as { name: string }).name, s]));
        assert.deepEqual([...byName.keys()].sort(), ["s2", "v2"]);
        for (const name of ["v2", "s2"]) {
          const s = byName.get(name)!;
          assert.equal(s.id, client(name).id);
          assert.deepEqual([...s.rooms].sort(), [client(name).id, "a", "b"].sort());
          assert.equal((s.data as { kind: string }).kind, name.startsWith("v") ? "volley" : "socket.io");
          assert.equal(typeof s.handshake.issued, "number");
        }
        const all = await d.from().io.fetchSockets();
        assert.equal(all.length, 4);
      });

      test("allSockets lists the ids of both nodes, from Volley (socket.io's own is local only)", async () => {
        if (d.from().kind !== "volley") return;
        const ids = await d.from().io.in("a").allSockets();
        assert.deepEqual([...ids].sort(), [...clients.values()].map((c) => c.id).sort());
        const inB = await d.from().io.in("b").allSockets();
        assert.deepEqual([...inB].sort(), [client("v2").id, client("s2").id].sort());
      });

      test("socket.broadcast.emit reaches every other client of both nodes, not the sender", async () => {
        const sender = d.from().kind === "volley" ? "v2" : "s2";
        const others = [...clients.keys()].filter((name) => name !== sender);
        const heard: string[] = [];
        client(sender).once("shouted", () => heard.push(sender));
        const got = others.map((name) => nextEvent(client(name), "shouted"));
        client(sender).emit("shout", `from ${sender}`);
        for (const args of await guard(Promise.all(got), "shouted"))
          assert.deepEqual(args, [`from ${sender}`]);
        await allReceive("marker", () => d.from().io.emit("marker"));
        assert.deepEqual(heard, []);
        client(sender).removeAllListeners("shouted");
      });

      test("a remote socket from fetchSockets: emit, join, leave, disconnect act on the other node", async () => {
        const extra = await d.to().member({ name: "remote-target" });
        const [remote] = await d.from().io.in(extra.id!).fetchSockets();
        assert.equal(remote?.id, extra.id);
        const got = nextEvent(extra, "to-remote");
        remote!.emit("to-remote", "hi");
        assert.deepEqual(await guard(got, "remote emit"), ["hi"]);
        remote!.join("remote-room");
        assert.equal((await d.from().io.in("remote-room").fetchSockets()).length, 1);
        remote!.leave("remote-room");
        assert.equal((await d.from().io.in("remote-room").fetchSockets()).length, 0);
        const gone = nextEvent(extra, "disconnect");
        remote!.disconnect(true);
        await guard(gone, "remote disconnect");
      });

      test("socketsJoin and socketsLeave act on the other node's sockets", async () => {
        const target = client(d.toClient);
        const room = `joined-${d.from().kind}`;
        d.from()
          .io.in(target.id!)
          .socketsJoin([room, `${room}-2`]);
        // A request after it, on the same channel, is answered after the join.
        let members = await d.from().io.in(room).fetchSockets();
        assert.deepEqual(
          members.map((s) => s.id),
          [target.id],
        );
        const local = await d.to().io.local.in(`${room}-2`).fetchSockets();
        assert.deepEqual(
          local.map((s) => s.id),
          [target.id],
        );
        const got = nextEvent(target, "in-joined");
        d.from().io.to(room).emit("in-joined", room);
        assert.deepEqual(await guard(got, "broadcast to the joined room"), [room]);
        d.from().io.in(room).socketsLeave(room);
        members = await d.from().io.in(room).fetchSockets();
        assert.deepEqual(members, []);
        assert.equal((await d.from().io.in(`${room}-2`).fetchSockets()).length, 1);
      });

      test("disconnectSockets disconnects a socket of the other node", async () => {
        const extra = await d.to().member({ name: "extra" });
        const gone = nextEvent(extra, "disconnect");
        d.from().io.in(extra.id!).disconnectSockets(true);
        const [reason] = await guard(gone, "disconnect");
        assert.ok(
          reason === "io server disconnect" || reason === "transport close",
          `reason ${String(reason)}`,
        );
      });

      test("serverSideEmit reaches the other node; with an ack, its answer comes back", async () => {
        const heard = new Promise<unknown[]>((resolve) => d.to().io.once("note", (...args) => resolve(args)));
        d.from().io.serverSideEmit("note", "x", 2, { bin: Buffer.from([9]) });
        // The official adapter writes this request as JSON, which flattens a Buffer (so it does
        // between two socket.io nodes too); Volley writes msgpack when there is binary, which keeps it.
        const bin = d.from().kind === "volley" ? Buffer.from([9]) : { type: "Buffer", data: [9] };
        assert.deepEqual(await guard(heard, "server-side event"), ["x", 2, { bin }]);
        const answers = await guard(d.from().io.serverSideEmitWithAck("ask", 41), "server-side ack");
        assert.deepEqual(answers, [{ from: d.to().kind, n: 42 }]);
      });

      test("emitWithAck collects the acknowledgements of the clients of both nodes", async () => {
        const responses = (await guard(
          d.from().io.timeout(5000).emitWithAck("ackme", 7),
          "broadcast acks",
        )) as string[];
        assert.deepEqual(responses.sort(), ["s1:7", "s2:7", "v1:7", "v2:7"]);
        const inB = (await guard(
          d.from().io.to("b").timeout(5000).emitWithAck("ackme", 8),
          "room acks",
        )) as string[];
        assert.deepEqual(inB.sort(), ["s2:8", "v2:8"]);
      });
    });
  }

  test("another namespace: broadcasts cross between the kinds there, and only there", async () => {
    await volley.io.of("/chat").adapter.whenJoined();
    sio.io.of("/chat");
    await sio.sub.ping(); // queued after the new namespace's SUBSCRIBEs
    const members = new Map<string, ClientSocket>();
    for (const node of [volley, sio]) {
      const c = await connected(ioc(`${node.url}/chat`, { forceNew: true, transports: ["websocket"] }));
      members.set(node.kind, c);
    }
    try {
      for (const from of [volley, sio]) {
        const got = [...members.values()].map((c) => nextEvent(c, "in-chat"));
        const main = [...clients.values()].map((c) => nextEvent(c, "in-main"));
        let leaked = 0;
        for (const c of clients.values()) c.once("in-chat", () => leaked++);
        from.io.of("/chat").emit("in-chat", from.kind);
        for (const args of await guard(Promise.all(got), "/chat members"))
          assert.deepEqual(args, [from.kind]);
        // The main namespace's broadcast after it, from the same node: once in, in-chat would be too.
        from.io.emit("in-main");
        await guard(Promise.all(main), "main namespace marker");
        assert.equal(leaked, 0);
        for (const c of clients.values()) c.removeAllListeners("in-chat");
        assert.equal((await from.io.of("/chat").fetchSockets()).length, 2);
      }
    } finally {
      for (const c of members.values()) c.disconnect();
    }
  });

  test("malformed and unknown messages are counted and skipped on the Volley node; it keeps working", async () => {
    // On a namespace only the Volley node serves: the official adapter throws (uncaught) on bad msgpack.
    const nsp = volley.io.of("/garbage");
    const adapter = nsp.adapter as unknown as SocketIoCompatAdapter;
    await adapter.whenJoined();
    const errors: unknown[] = [];
    adapter.on("error", (err: unknown) => errors.push(err));
    const p = sio.pub;
    const bad: Array<[string, string | Buffer]> = [
      [`${key}#/garbage#`, Buffer.from([0xc1])],
      [`${key}#/garbage#some-room#`, "{not json"],
      [`${key}#/garbage#`, encodeMsgpack(["uid", null, null])],
      [`${key}-request#/garbage#`, JSON.stringify({ uid: "x", type: 2, opts: 5, rooms: [] })],
      [`${key}-response#/garbage#`, Buffer.from([0x93, 0x01])],
      [`${key}-response#/garbage#`, JSON.stringify({ requestId: "r", sockets: [{ id: 5 }] })],
    ];
    const unknown: Array<[string, string]> = [
      [`${key}-request#/garbage#`, JSON.stringify({ uid: "x", type: 42, requestId: "r" })],
      [`${key}-response#/garbage#`, JSON.stringify({ type: 77, requestId: "r" })],
    ];
    for (const [channel, payload] of [...bad, ...unknown]) await p.publish(channel, payload);
    // Messages from one publisher arrive in order: once this one is in, all the above were handled.
    const c = await connected(ioc(`${volley.url}/garbage`, { forceNew: true, transports: ["websocket"] }));
    const got = nextEvent(c, "still-up");
    await p.publish(
      `${key}#/garbage#`,
      encodeMsgpack([
        "someone",
        { type: 2, data: ["still-up", 1], nsp: "/garbage" },
        { rooms: [], except: [] },
      ]),
    );
    assert.deepEqual(await guard(got, "a well-formed broadcast after the bad ones"), [1]);
    assert.deepEqual(adapter.skippedMessages, { malformed: bad.length, unknown: unknown.length });
    assert.equal(errors.length, bad.length);
    assert.ok(
      errors.every((e) => e instanceof RedisAdapterError && e.code === "MALFORMED_MESSAGE"),
      String(errors),
    );
    c.disconnect();
  });

  test("allRooms of an official node counts the rooms of the Volley node", async () => {
    const rooms = (await (
      sio.io.of("/").adapter as unknown as { allRooms(): Promise<Set<string>> }
    ).allRooms()) as Set<string>;
    for (const c of clients.values()) assert.ok(rooms.has(c.id!), c.id);
    assert.ok(rooms.has("a") && rooms.has("b"));
  });
});

describe("socket.io compat: an official node answering on the requester's own response channel", () => {
  test("publishOnSpecificResponseChannel: fetchSockets, acks and server-side acks reach the Volley node", async () => {
    const k = uniqueKey();
    const v = await startVolley(redis.port, k);
    const s = await startSocketIo(redis.port, k, 3000, { publishOnSpecificResponseChannel: true });
    s.io.on("ask", (n: number, reply: (v: unknown) => void) => reply(n * 2));
    // Listens where the official node answers: the Volley node's own response channel.
    const spy = v.pub.duplicate();
    await spy.subscribe(`${k}-response#/#${(v.io.of("/").adapter as unknown as { uid: string }).uid}#`);
    const answered = once(spy, "message");
    try {
      const member = await s.member({ name: "specific" });
      member.on("ackme", (n: number, ack: (v: unknown) => void) => ack(n + 1));
      assert.deepEqual(
        (await v.io.fetchSockets()).map((socket) => socket.id),
        [member.id],
      );
      assert.deepEqual(await guard(v.io.timeout(5000).emitWithAck("ackme", 1), "acks"), [2]);
      assert.deepEqual(await guard(v.io.serverSideEmitWithAck("ask", 21), "server ack"), [42]);
      await guard(answered, "an answer on the specific channel");
    } finally {
      spy.disconnect();
      await Promise.allSettled([v.close(), s.close()]);
    }
  });
});
