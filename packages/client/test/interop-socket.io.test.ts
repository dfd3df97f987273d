// Our client against the official socket.io server: namespaces, auth, middleware, events, acks, binary,
// rooms and broadcasts, volatile, retries, catch-all listeners, in every transport mode.
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { ClientError, io } from "@volley/client";
import type { Socket as ServerSocket } from "socket.io";
import { cleanup, connect, connected, modes, next, startSocketIo, WebSocketImpl } from "./helpers.js";

after(cleanup);

for (const [mode, transportOpts] of modes) {
  describe(`client ↔ socket.io (${mode})`, () => {
    test("connects to namespaces with auth; ids match the server's", async () => {
      const server = await startSocketIo();
      const seen: Array<{ nsp: string; auth: unknown; id: string }> = [];
      for (const nsp of ["/", "/admin"]) {
        server.io.of(nsp).on("connection", (s) => seen.push({ nsp, auth: s.handshake.auth, id: s.id }));
      }
      const root = connect(server.url, { ...transportOpts, auth: { token: "t1" } });
      const admin = root.io.socket("/admin", { auth: { token: "t2" } });
      await Promise.all([connected(root), connected(admin)]);
      assert.equal(root.io, admin.io, "one Manager for both namespaces");
      seen.sort((a, b) => a.nsp.localeCompare(b.nsp));
      assert.deepEqual(
        seen.map((s) => [s.nsp, s.auth]),
        [
          ["/", { token: "t1" }],
          ["/admin", { token: "t2" }],
        ],
      );
      assert.equal(root.id, seen[0]!.id);
      assert.equal(admin.id, seen[1]!.id);
      // One of the allowed transports (with polling then upgrade, the upgrade may already be done).
      assert.ok(
        transportOpts.transports!.includes(root.io.engine!.transport.name),
        root.io.engine!.transport.name,
      );
    });

    test("events with several arguments, acks both ways, binary nested in objects", async () => {
      const server = await startSocketIo();
      server.io.on("connection", (s) => {
        s.on("multi", (...args: unknown[]) => s.emit("multi-back", ...args));
        s.on("ask", (a: number, b: number, ack: (sum: number, note: string) => void) => ack(a + b, "sum"));
        s.on("bin", (payload: { nested: { buf: Buffer }; list: unknown[] }, ack: (x: unknown) => void) => {
          ack({ got: payload.nested.buf.length, echo: payload.nested.buf, list: payload.list });
        });
      });
      const client = connect(server.url, transportOpts);
      await connected(client);
      if (mode === "polling with upgrade") await next(client.io.engine!, "upgrade");

      const multi = next(client, "multi-back");
      client.emit("multi", 1, "two", { three: [3] }, null, true);
      assert.deepEqual(await multi, [1, "two", { three: [3] }, null, true]);

      const [sum, note] = await new Promise<[number, string]>((resolve) =>
        client.emit("ask", 2, 3, (s: number, n: string) => resolve([s, n])),
      );
      assert.deepEqual([sum, note], [5, "sum"]);
      assert.equal(await client.emitWithAck("ask", 10, 20), 30);

      const reply = (await client.emitWithAck("bin", {
        nested: { buf: new Uint8Array([1, 2, 3]) },
        list: [new Uint8Array([4]).buffer, "text", { deep: new Uint16Array([0x0102]) }],
      })) as { got: number; echo: Buffer; list: [Buffer, string, { deep: Buffer }] };
      assert.equal(reply.got, 3);
      assert.ok(Buffer.isBuffer(reply.echo));
      assert.deepEqual([...reply.echo], [1, 2, 3]);
      assert.deepEqual([...reply.list[0]], [4]);
      assert.equal(reply.list[1], "text");
      assert.equal(reply.list[2].deep.length, 2);

      // The server asks, the client answers (callback and promise styles).
      const [serverSocket] = await server.io.fetchSockets();
      client.on("question", (x: number, ack: (y: number) => void) => ack(x * 2));
      const answers = await serverSocket!.timeout(2000).emitWithAck("question", 21);
      assert.equal(answers, 42);
      const binAnswer = new Promise<Buffer>((resolve) =>
        (serverSocket as unknown as ServerSocket).emit("binq", { data: Buffer.from([7, 7]) }, resolve),
      );
      client.on("binq", (payload: { data: Buffer }, ack: (b: Buffer) => void) => ack(payload.data));
      assert.deepEqual([...(await binAnswer)], [7, 7]);
    });
  });
}

describe("client ↔ socket.io: features", () => {
  test("middleware rejection gives connect_error with message and data; the socket stops", async () => {
    const server = await startSocketIo();
    server.io.of("/secure").use((socket, nextFn) => {
      if (socket.handshake.auth.token === "good") nextFn();
      else nextFn(Object.assign(new Error("unauthorized"), { data: { code: 4001 } }));
    });
    const bad = connect(`${server.url}/secure`, { auth: { token: "bad" } });
    const [err] = await next<[ClientError]>(bad, "connect_error");
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, "CONNECT_ERROR");
    assert.equal(err.message, "unauthorized");
    assert.deepEqual(err.data, { code: 4001 });
    assert.equal(bad.active, false);
    assert.equal(bad.connected, false);

    // Auth as a function, called on each connect.
    let calls = 0;
    const good = connect(`${server.url}/secure`, {
      auth: (cb) => {
        calls++;
        cb({ token: "good" });
      },
    });
    await connected(good);
    assert.equal(calls, 1);
  });

  test("ack timeouts: error when the server never answers, value when it does", async () => {
    const server = await startSocketIo();
    server.io.on("connection", (s) => {
      s.on("silent", () => {});
      s.on("fast", (ack: (v: string) => void) => ack("ok"));
    });
    const client = connect(server.url);
    await connected(client);
    const err = await new Promise<Error | null>((resolve) => client.timeout(30).emit("silent", resolve));
    assert.ok(err instanceof ClientError);
    assert.equal((err as ClientError).code, "ACK_TIMEOUT");
    assert.equal(err.message, "operation has timed out");
    const [e2, value] = await new Promise<[Error | null, string]>((resolve) =>
      client.timeout(5000).emit("fast", (e: Error | null, v: string) => resolve([e, v])),
    );
    assert.equal(e2, null);
    assert.equal(value, "ok");
    await assert.rejects(client.timeout(30).emitWithAck("silent"), { code: "ACK_TIMEOUT" });
    assert.equal(await client.timeout(5000).emitWithAck("fast"), "ok");
    // ackTimeout applies to every emit with an ack.
    const withDefault = connect(server.url, { ackTimeout: 30 });
    await connected(withDefault);
    await assert.rejects(withDefault.emitWithAck("silent"), { code: "ACK_TIMEOUT" });
  });

  test("retries: an emit is resent until acknowledged, one at a time, in order", async () => {
    const server = await startSocketIo();
    const attempts: string[] = [];
    server.io.on("connection", (s) => {
      s.on("job", (name: string, ack: (r: string) => void) => {
        attempts.push(name);
        // Drop the first attempt of every job: the client must retry it.
        if (attempts.filter((a) => a === name).length >= 2) ack(`done ${name}`);
      });
    });
    const client = connect(server.url, { retries: 3, ackTimeout: 40 });
    await connected(client);
    const results = await Promise.all([client.emitWithAck("job", "a"), client.emitWithAck("job", "b")]);
    assert.deepEqual(results, ["done a", "done b"]);
    // At least once: each job was retried; one at a time: every attempt of `a` precedes `b`.
    assert.ok(attempts.filter((x) => x === "a").length >= 2);
    assert.ok(attempts.filter((x) => x === "b").length >= 2);
    assert.equal(attempts.lastIndexOf("a") < attempts.indexOf("b"), true);
    // Out of retries: the error reaches the caller.
    const failing = connect(server.url, { retries: 1, ackTimeout: 20 });
    await connected(failing);
    server.io.on("connection", (s) => s.on("never", () => {}));
    await assert.rejects(failing.emitWithAck("never"), { code: "ACK_TIMEOUT" });
  });

  test("rooms and broadcasts with except", async () => {
    const server = await startSocketIo();
    server.io.on("connection", (s) => {
      s.on("join", (rooms: string[], ack: () => void) => {
        s.join(rooms);
        ack();
      });
      s.on("to-r1-except-r2", (ack: () => void) => {
        server.io.to("r1").except("r2").emit("news", "r1-not-r2");
        ack();
      });
      s.on("broadcast", () => s.broadcast.emit("news", `from ${s.id}`));
      s.on("marker", () => server.io.emit("marker"));
    });
    const [a, b, c] = [connect(server.url), connect(server.url), connect(server.url)];
    await Promise.all([connected(a), connected(b), connected(c)]);
    await a.emitWithAck("join", ["r1"]);
    await b.emitWithAck("join", ["r1", "r2"]);
    const log = new Map([a, b, c].map((s) => [s, [] as string[]]));
    for (const s of [a, b, c]) s.on("news", (n: string) => log.get(s)!.push(n));
    const markers = Promise.all([a, b, c].map((s) => next(s, "marker")));
    await c.emitWithAck("to-r1-except-r2");
    a.emit("broadcast");
    a.emit("marker"); // the server's emit of `marker` comes after both broadcasts on every connection
    await markers;
    assert.deepEqual(log.get(a), ["r1-not-r2"]);
    assert.deepEqual(log.get(b), [`from ${a.id}`]);
    assert.deepEqual(log.get(c), [`from ${a.id}`]);
  });

  test("volatile: dropped while disconnected, delivered while connected; plain emits are buffered", async () => {
    const server = await startSocketIo();
    const got: string[] = [];
    let synced!: () => void;
    const sync = new Promise<void>((resolve) => {
      synced = resolve;
    });
    server.io.on("connection", (s) =>
      s.onAny((event: string) => {
        got.push(event);
        if (event === "sync") synced();
      }),
    );
    const client = connect(server.url, { autoConnect: false, transports: ["websocket"] });
    client.volatile.emit("lost");
    client.emit("buffered");
    assert.equal(client.sendBuffer.length, 1);
    client.connect();
    await connected(client);
    client.volatile.emit("kept");
    client.emit("sync");
    await sync;
    assert.deepEqual(got, ["buffered", "kept", "sync"]);
  });

  test("onAny / onAnyOutgoing / prependAny / offAny, send() and reserved names", async () => {
    const server = await startSocketIo();
    server.io.on("connection", (s) => {
      s.on("message", (m: string) => s.emit("echo", m));
    });
    const client = connect(server.url);
    const incoming: unknown[][] = [];
    const outgoing: unknown[][] = [];
    const order: string[] = [];
    const any = (...args: unknown[]) => incoming.push(args);
    client.onAny(any);
    client.onAny(() => order.push("second"));
    client.prependAny(() => order.push("first"));
    client.onAnyOutgoing((...args: unknown[]) => outgoing.push(args));
    await connected(client);
    const echoed = next(client, "echo");
    client.send("hi");
    await echoed;
    assert.deepEqual(incoming, [["echo", "hi"]]);
    assert.deepEqual(outgoing, [["message", "hi"]]);
    assert.deepEqual(order, ["first", "second"]);
    assert.equal(client.listenersAny().length, 3);
    client.offAny(any);
    assert.equal(client.listenersAny().length, 2);
    client.offAny();
    client.offAnyOutgoing();
    assert.equal(client.listenersAnyOutgoing().length, 0);
    assert.throws(() => client.emit("disconnect"), { code: "RESERVED_EVENT" });
  });

  test("multiplexing: io() shares a Manager per server unless forceNew / multiplex:false", async () => {
    const server = await startSocketIo();
    server.io.of("/admin");
    server.io.of("/other");
    const a = io(server.url, { WebSocket: WebSocketImpl });
    const b = io(`${server.url}/admin`, { WebSocket: WebSocketImpl });
    const c = io(server.url, { WebSocket: WebSocketImpl }); // same namespace again: new connection
    const d = io(`${server.url}/other`, { multiplex: false, WebSocket: WebSocketImpl });
    try {
      await Promise.all([connected(a), connected(b), connected(c), connected(d)]);
      assert.equal(a.io, b.io);
      assert.notEqual(a.io, c.io);
      assert.notEqual(a.io, d.io);
      assert.equal(a.io.engine!.id, b.io.engine!.id);
    } finally {
      for (const s of [a, b, c, d]) s.disconnect();
    }
  });

  test("query reaches the handshake; the Manager emits ping", async () => {
    const server = await startSocketIo({ pingInterval: 20, pingTimeout: 500 });
    const seen = next<[ServerSocket]>(server.io, "connection");
    const client = connect(`${server.url}?fromUrl=1`, { query: { q: "2" } });
    await connected(client);
    const [serverSocket] = await seen;
    assert.equal(serverSocket.handshake.query.q, "2");
    await next(client.io, "ping");
  });
});
