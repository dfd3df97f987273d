// allowEIO3: the real socket.io-client@2 (Engine.IO 3, Socket.IO protocol 4) against our server, in each
// transport mode: the implicit main namespace, events, acks, binary, broadcasts, namespaces with a query,
// middleware refusals as the plain values v2 clients expect, and disconnects both ways.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createRequire } from "node:module";
import { after, before, describe, test } from "node:test";
import type { EngineSocket } from "@volley/engine";
import type { Socket } from "volley";
import { type Harness, MODES, next, setup, type TransportMode } from "./helpers.js";
import { ManualClock } from "../../engine/test/manual-clock.js";

const require = createRequire(import.meta.url);

/** The slice of socket.io-client@2's socket these tests use (the package ships no types). */
interface V2Socket {
  id: string;
  connected: boolean;
  io: { engine: { transport: { name: string }; close(): void } };
  on(event: string, listener: (...args: never[]) => void): V2Socket;
  once(event: string, listener: (...args: never[]) => void): V2Socket;
  emit(event: string, ...args: unknown[]): V2Socket;
  disconnect(): V2Socket;
  close(): V2Socket;
}
const ioV2 = require("socket.io-client-v2") as (url: string, opts?: Record<string, unknown>) => V2Socket;

function v2Transports(mode: TransportMode): Record<string, unknown> {
  if (mode === "polling") return { transports: ["polling"] };
  if (mode === "websocket") return { transports: ["websocket"] };
  return { transports: ["polling", "websocket"], upgrade: true };
}

/** The engine session reached the transport the mode ends on (an upgrade may still be under way). */
async function settled(conn: EngineSocket, mode: TransportMode): Promise<void> {
  if (mode === "upgrade" && conn.transport.name !== "websocket") await once(conn, "upgrade");
}

for (const mode of MODES) {
  describe(`socket.io-client@2 with allowEIO3 (${mode})`, () => {
    let h: Harness;
    const clients: V2Socket[] = [];
    const client = (nsp = "/", opts: Record<string, unknown> = {}): V2Socket => {
      const socket = ioV2(`${h.url}${nsp}`, {
        forceNew: true,
        reconnection: false,
        ...v2Transports(mode),
        ...opts,
      });
      clients.push(socket);
      return socket;
    };

    before(async () => {
      h = await setup({ allowEIO3: true }, mode);
      h.io.on("connection", (socket: Socket) => {
        socket.on("echo", (...args: unknown[]) => {
          const ack =
            typeof args[args.length - 1] === "function"
              ? (args.pop() as (...a: unknown[]) => void)
              : undefined;
          if (ack) ack(...args);
          else socket.emit("echo", ...args);
        });
        socket.on("ask-back", async (question: unknown, done: (a: unknown) => void) => {
          done(await socket.timeout(5000).emitWithAck("question", question));
        });
      });
      h.io.of("/admin").use((socket, next) => {
        const token = socket.handshake.auth.token;
        if (token === "secret") next();
        else if (token === "with-data") {
          const err = new Error("unauthorized") as Error & { data?: unknown };
          err.data = { reason: "bad token" };
          next(err);
        } else next(new Error("unauthorized"));
      });
      h.io.of("/admin").on("connection", (socket: Socket) => {
        socket.emit("welcome", socket.nsp.name, { ...socket.handshake.auth });
      });
    });
    after(async () => {
      for (const c of clients) c.close();
      await h.cleanup();
    });

    test("is in the main namespace without asking; the engine session speaks protocol 3", async () => {
      const serverSide = next<[Socket]>(h.io, "connection");
      const c = client("/", { query: { user: "ada" } });
      await next(c, "connect");
      const [socket] = await serverSide;
      assert.equal(socket.conn.protocol, 3);
      assert.equal(socket.handshake.query.EIO, "3");
      assert.equal(socket.handshake.query.user, "ada");
      // Protocol 4 CONNECT carries no sid: the v2 client names itself after the engine session.
      assert.equal(c.id, socket.conn.id);
      await settled(socket.conn, mode);
      assert.equal(c.io.engine.transport.name, mode === "polling" ? "polling" : "websocket");
      c.close();
    });

    test("events and acks both ways, text and binary", async () => {
      const serverSide = next<[Socket]>(h.io, "connection");
      const c = client();
      await next(c, "connect");
      const [socket] = await serverSide;
      await settled(socket.conn, mode);

      c.emit("echo", "héllo €😀", { n: 1, list: [1, "two"] });
      assert.deepEqual(await next(c, "echo"), ["héllo €😀", { n: 1, list: [1, "two"] }]);

      const acked = await new Promise<unknown[]>((resolve) =>
        c.emit("echo", "with ack", Buffer.from([1, 2, 3]), (...args: unknown[]) => resolve(args)),
      );
      assert.equal(acked[0], "with ack");
      assert.deepEqual(Buffer.from(acked[1] as Buffer), Buffer.from([1, 2, 3]));

      c.emit("echo", { nested: Buffer.from([0, 255, 7]) }, Buffer.alloc(0));
      const [binary, empty] = await next<[{ nested: Buffer }, Buffer]>(c, "echo");
      assert.deepEqual(Buffer.from(binary.nested), Buffer.from([0, 255, 7]));
      assert.equal(Buffer.from(empty).length, 0);

      // The server asks, the v2 client answers its ack.
      c.on("question", (q: string, answer: (a: string) => void) => answer(`${q}!`));
      const reply = await new Promise((resolve) => c.emit("ask-back", "why", resolve));
      assert.equal(reply, "why!");
      c.close();
    });

    test("broadcasts reach v2 and v5 clients alike (text and binary, encoded once)", async () => {
      const serverSide = next<[Socket]>(h.io, "connection");
      const legacy = client();
      await next(legacy, "connect");
      const [legacySocket] = await serverSide;
      await settled(legacySocket.conn, mode);
      const modern = h.client();
      await next(modern, "connect");
      const got = Promise.all([next(legacy, "news"), next(modern, "news")]);
      h.io.emit("news", "tick", Buffer.from("bytes"), { deep: [Buffer.from([9])] });
      for (const [text, bytes, deep] of (await got) as Array<[string, Buffer, { deep: Buffer[] }]>) {
        assert.equal(text, "tick");
        assert.equal(Buffer.from(bytes).toString(), "bytes");
        assert.deepEqual(Buffer.from(deep.deep[0]!), Buffer.from([9]));
      }
      legacy.close();
      modern.disconnect();
    });

    test("a namespace with a query: the query is the socket's auth", async () => {
      const c = client("/admin", { query: { token: "secret" } });
      const [name, auth] = await next<[string, Record<string, unknown>]>(c, "welcome");
      assert.equal(name, "/admin");
      assert.equal(auth.token, "secret");
      assert.equal(c.connected, true);
      c.close();
    });

    test("a middleware refusal reaches the client as a plain string, or as err.data", async () => {
      const refused = client("/admin", { query: { token: "wrong" } });
      assert.deepEqual(await next(refused, "error"), ["unauthorized"]);
      const withData = client("/admin", { query: { token: "with-data" } });
      assert.deepEqual(await next(withData, "error"), [{ reason: "bad token" }]);
      const unknown = client("/nowhere");
      assert.deepEqual(await next(unknown, "error"), ["Invalid namespace"]);
      refused.close();
      withData.close();
      unknown.close();
    });

    test("disconnect: by the client, and by the server", async () => {
      let serverSide = next<[Socket]>(h.io, "connection");
      let c = client();
      await next(c, "connect");
      let [socket] = await serverSide;
      await settled(socket.conn, mode);
      const gone = next<[string]>(socket, "disconnect");
      c.disconnect();
      assert.equal((await gone)[0], "client namespace disconnect");

      serverSide = next<[Socket]>(h.io, "connection");
      c = client();
      await next(c, "connect");
      [socket] = await serverSide;
      await settled(socket.conn, mode);
      const clientGone = next<[string]>(c, "disconnect");
      socket.disconnect(true);
      assert.equal((await clientGone)[0], "io server disconnect");
    });
  });
}

describe("socket.io-client@2 heartbeat (manual clock)", () => {
  for (const mode of ["polling", "websocket"] as const) {
    test(`no ping for pingInterval + pingTimeout: "ping timeout" on the server (${mode})`, async (t) => {
      const clock = new ManualClock();
      const h = await setup({ allowEIO3: true, clock }, mode); // 25000 + 20000
      t.after(() => h.cleanup());
      const serverSide = next<[Socket]>(h.io, "connection");
      const c = ioV2(`${h.url}/`, { forceNew: true, reconnection: false, ...v2Transports(mode) });
      t.after(() => c.close());
      await next(c, "connect");
      const [socket] = await serverSide;
      const reason = next<[string]>(socket, "disconnect");
      const clientSide = next<[string]>(c, "disconnect");
      // On polling, wait for the client's GET to be parked: it then receives the close packet (otherwise the
      // next GET meets an unknown sid and the client reports "transport error").
      while (!socket.conn.transport.writable) await new Promise((r) => setImmediate(r));
      // The client's own ping timer runs on real time and is 25 s away: the server hears nothing.
      clock.advance(44_999);
      assert.equal(socket.connected, true);
      clock.advance(1);
      assert.equal((await reason)[0], "ping timeout");
      assert.equal((await clientSide)[0], "transport close");
    });
  }
});

describe("socket.io-client@2 without allowEIO3", () => {
  for (const mode of MODES) {
    test(`is refused as engine.io refuses it (${mode})`, async (t) => {
      const h = await setup({}, mode);
      t.after(() => h.cleanup());
      let connections = 0;
      h.io.on("connection", () => connections++);
      const errors: Array<{ code: number; message: string }> = [];
      h.io.engine.on("connection_error", (err) => errors.push(err));
      const c = ioV2(`${h.url}/`, { forceNew: true, reconnection: false, ...v2Transports(mode) });
      t.after(() => c.close());
      await next(c, "connect_error");
      assert.equal(connections, 0);
      assert.deepEqual(
        errors.map((e) => [e.code, e.message]),
        [[5, "Unsupported protocol version"]],
      );
    });
  }
});
