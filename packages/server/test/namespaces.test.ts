// Dynamic namespaces, socket-level acknowledgement timeouts, and the server's constructor forms.
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { io as ioc } from "socket.io-client";
import { Decoder, Encoder, type Packet } from "@volley/protocol";
import { type Namespace, Server, type Socket } from "volley";
import { type Harness, next, setup } from "./helpers.js";

describe("dynamic namespaces", () => {
  let h: Harness;
  let parent: Namespace;
  const created: string[] = [];
  before(async () => {
    h = await setup();
    h.io.sockets.on("new_namespace", (nsp) => created.push(nsp.name));
    parent = h.io.of(/^\/team-\d+$/);
    parent.use((socket, nextFn) =>
      socket.handshake.auth.member ? nextFn() : nextFn(new Error("members only")),
    );
    parent.on("connection", (socket: Socket) => socket.emit("hello", socket.nsp.name));
    h.io
      .of((name, auth, nextFn) => nextFn(null, name === "/fn" && auth.ok === true))
      .on("connection", (socket: Socket) => socket.emit("hello", "fn"));
  });
  after(() => h.cleanup());

  test("a regex creates child namespaces sharing middlewares and listeners", async () => {
    const a = h.client("/team-1", { auth: { member: true } });
    const b = h.client("/team-2", { auth: { member: true } });
    assert.deepEqual(await next(a, "hello"), ["/team-1"]);
    assert.deepEqual(await next(b, "hello"), ["/team-2"]);
    assert.deepEqual(created.sort(), ["/team-1", "/team-2"]);
    const refused = h.client("/team-3", { auth: {} });
    assert.equal((await next<[Error]>(refused, "connect_error"))[0].message, "members only");
    const nomatch = h.client("/team-x");
    assert.equal((await next<[Error]>(nomatch, "connect_error"))[0].message, "Invalid namespace");
    // a broadcast on the parent reaches every child
    const gotA = next(a, "all");
    const gotB = next(b, "all");
    parent.emit("all", 1);
    assert.deepEqual(await gotA, [1]);
    assert.deepEqual(await gotB, [1]);
    assert.equal((await parent.fetchSockets()).length, 2);
  });

  test("a function decides with the auth payload", async () => {
    const ok = h.client("/fn", { auth: { ok: true } });
    assert.deepEqual(await next(ok, "hello"), ["fn"]);
    // once created, a child namespace is served to anyone (as in Socket.IO): ask for another name
    const no = h.client("/fn-2", { auth: { ok: true } });
    assert.equal((await next<[Error]>(no, "connect_error"))[0].message, "Invalid namespace");
  });
});

describe("dynamic namespaces: matchers that fail, answer late, and middlewares added later", () => {
  let h: Harness;
  const errors: string[] = [];
  before(async () => {
    h = await setup();
    h.io.on("error", (err) => errors.push((err as Error).message));
    h.io.of(() => {
      throw new Error("matcher bug");
    });
    h.io.of((_name, _auth, nextFn) => nextFn(new Error("lookup failed"), true));
    h.io.of((name, _auth, nextFn) => setImmediate(() => nextFn(null, name.startsWith("/late-"))));
  });
  after(() => h.cleanup());

  test("a throwing or failing matcher refuses the name; a later matcher may still accept it", async () => {
    const late = h.client("/late-1");
    await next(late, "connect");
    assert.ok(h.io._nsps.has("/late-1"));
    const none = h.client("/other");
    assert.equal((await next<[Error]>(none, "connect_error"))[0].message, "Invalid namespace");
    // the throw is a bug and is reported; next(err) is the matcher's answer and is not
    assert.deepEqual(errors, ["matcher bug", "matcher bug"]);
  });

  test("a middleware added to the parent later applies to existing children", async () => {
    const parent = h.io.of(/^\/shared-\d+$/);
    const first = h.client("/shared-1");
    await next(first, "connect");
    parent.use((_socket, nextFn) => nextFn(Object.assign(new Error("closed now"), { data: { code: 7 } })));
    const second = h.client("/shared-1");
    const [err] = await next<[Error & { data?: unknown }]>(second, "connect_error");
    assert.equal(err.message, "closed now");
    assert.deepEqual(err.data, { code: 7 });
  });
});

describe("socket acknowledgements with a deadline", () => {
  let h: Harness;
  let socket: Socket;
  before(async () => {
    h = await setup();
    const s = next<[Socket]>(h.io, "connection");
    const client = h.client();
    client.on("answer", (x: number, cb: (y: number) => void) => cb(x * 2));
    client.on("silent", () => {});
    await next(client, "connect");
    [socket] = await s;
  });
  after(() => h.cleanup());

  test("emitWithAck resolves; timeout().emit gets (null, value)", async () => {
    assert.equal(await socket.emitWithAck("answer", 21), 42);
    const [err, value] = await new Promise<[Error | null, number]>((resolve) =>
      socket.timeout(5000).emit("answer", 1, (e: Error | null, v: number) => resolve([e, v])),
    );
    assert.equal(err, null);
    assert.equal(value, 2);
  });

  test("no answer: the timeout error", async () => {
    await assert.rejects(socket.timeout(30).emitWithAck("silent"), /operation has timed out/);
    const [err] = await new Promise<[Error | null]>((resolve) =>
      socket.timeout(30).emit("silent", (e: Error | null) => resolve([e])),
    );
    assert.match(String(err?.message), /timed out/);
  });
});

describe("server construction", () => {
  test("new Server() then listen(port) creates and closes its own http server", async () => {
    const io = new Server();
    io.listen(0, { host: "127.0.0.1" });
    const http = io.httpServer!;
    await once(http, "listening");
    const port = (http.address() as { port: number }).port;
    io.on("connection", (socket: Socket) => socket.emit("hi"));
    const client = ioc(`http://127.0.0.1:${port}`, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
    });
    await next(client, "hi");
    client.disconnect();
    await io.close();
    assert.equal(http.listening, false);
  });

  test("a custom path", async () => {
    const h = await setup({ path: "/rt" });
    h.io.on("connection", (socket: Socket) => socket.emit("hi"));
    const client = h.client("/", { path: "/rt" });
    await next(client, "hi");
    await h.cleanup();
  });

  test("a custom parser is used both ways", async () => {
    let encoded = 0;
    let decoded = 0;
    class CountingEncoder extends Encoder {
      override encode(packet: Packet) {
        encoded++;
        return super.encode(packet);
      }
    }
    class CountingDecoder extends Decoder {
      override add(chunk: string | Uint8Array | ArrayBuffer) {
        decoded++;
        return super.add(chunk);
      }
    }
    const h = await setup({ parser: { Encoder: CountingEncoder, Decoder: CountingDecoder } });
    h.io.on("connection", (socket: Socket) => socket.on("ping", (cb: (x: string) => void) => cb("pong")));
    const client = h.client();
    await next(client, "connect");
    assert.equal(await client.emitWithAck("ping"), "pong");
    assert.ok(encoded >= 2 && decoded >= 2, `${encoded} ${decoded}`);
    await h.cleanup();
  });

  test("cleanupEmptyChildNamespaces drops a dynamic child when its last socket leaves", async () => {
    const h = await setup({ cleanupEmptyChildNamespaces: true });
    const connected = next<[Socket]>(h.io.of(/^\/tmp-\d+$/), "connection");
    const client = h.client("/tmp-1");
    const [socket] = await connected;
    assert.ok(h.io._nsps.has("/tmp-1"));
    const gone = next(socket, "disconnect");
    client.disconnect();
    await gone;
    assert.equal(h.io._nsps.has("/tmp-1"), false);
    // a refused connection leaves no empty namespace behind either
    h.io.of(/^\/locked-\d+$/).use((_socket, nextFn) => nextFn(new Error("locked")));
    const refused = h.client("/locked-1");
    await next(refused, "connect_error");
    assert.equal(h.io._nsps.has("/locked-1"), false);
    await h.cleanup();
  });

  test("bad options are refused with an error naming the option", () => {
    assert.throws(() => new Server({ connectTimeout: -1 }), /connectTimeout/);
    assert.throws(() => new Server({ path: "nope" }), /path/);
    assert.throws(
      () => new Server({ connectionStateRecovery: { maxDisconnectionDuration: 0 } }),
      /maxDisconnectionDuration/,
    );
  });
});

test("io.namespaces() lists the live namespaces, dynamic children included, as a copy", async () => {
  const h = await setup();
  try {
    h.io.of("/static");
    h.io.of(/^\/child-\d+$/);
    const client = h.client("/child-7");
    await next(client, "connect");
    const names = h.io.namespaces().map((nsp) => nsp.name);
    assert.deepEqual(names, ["/", "/static", "/child-7"]);
    // A copy: changing it changes nothing in the server.
    h.io.namespaces().length = 0;
    assert.equal(h.io.namespaces().length, 3);
    // When the child's last socket has left on the server side, the child is no longer listed.
    const child = h.io.namespaces().find((nsp) => nsp.name === "/child-7")!;
    const gone = once([...child.sockets.values()][0]!, "disconnect");
    client.disconnect();
    await gone;
    assert.deepEqual(
      h.io.namespaces().map((nsp) => nsp.name),
      ["/", "/static"],
    );
  } finally {
    await h.cleanup();
  }
});
