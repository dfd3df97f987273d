// Our server against the official socket.io-client, in each transport mode.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Socket } from "volley";
import { type Harness, MODES, next, setup } from "./helpers.js";

for (const mode of MODES) {
  describe(`socket.io-client (${mode})`, () => {
    let h: Harness;
    before(async () => {
      h = await setup({ pingInterval: 2000, pingTimeout: 2000 }, mode);
      h.io.on("connection", (socket: Socket) => {
        socket.on("echo", (...args: unknown[]) => {
          const ack =
            typeof args[args.length - 1] === "function"
              ? (args.pop() as (...a: unknown[]) => void)
              : undefined;
          if (ack) ack(...args);
          else socket.emit("echo", ...args);
        });
        socket.on("ask-back", async (question: string, done: (a: unknown) => void) => {
          const answer = await socket.timeout(5000).emitWithAck("question", question);
          done(answer);
        });
      });
      h.io.of("/admin").use((socket, next) => {
        if (socket.handshake.auth.token === "secret") next();
        else {
          const err = new Error("unauthorized") as Error & { data?: unknown };
          err.data = { reason: "bad token" };
          next(err);
        }
      });
      h.io.of("/admin").on("connection", (socket: Socket) => {
        socket.emit("welcome", socket.nsp.name, socket.handshake.auth);
      });
    });
    after(() => h.cleanup());

    test("connects; the socket ids match on both sides", async () => {
      const serverSide = next<[Socket]>(h.io, "connection");
      const client = h.client();
      await next(client, "connect");
      const [socket] = await serverSide;
      assert.equal(socket.id, client.id);
      assert.ok(socket.rooms.has(socket.id));
      assert.equal(socket.handshake.address, "127.0.0.1");
      assert.equal(typeof socket.handshake.issued, "number");
      assert.equal(socket.handshake.query.EIO, "4");
      client.disconnect();
    });

    test("events with several arguments, both ways", async () => {
      const client = h.client();
      await next(client, "connect");
      const echoed = next(client, "echo");
      client.emit("echo", 1, "two", { three: [3] }, null, true);
      assert.deepEqual(await echoed, [1, "two", { three: [3] }, null, true]);
      client.disconnect();
    });

    test("acks from client to server and from server to client", async () => {
      const client = h.client();
      client.on("question", (q: string, cb: (a: string) => void) => cb(`answer to ${q}`));
      await next(client, "connect");
      assert.deepEqual(await client.emitWithAck("echo", "a", 2), "a");
      assert.equal(await client.timeout(5000).emitWithAck("ask-back", "life"), "answer to life");
      client.disconnect();
    });

    test("binary nested in objects, both ways", async () => {
      const client = h.client();
      await next(client, "connect");
      const payload = {
        file: { name: "x.bin", body: Buffer.from([1, 2, 3]) },
        parts: [Buffer.from("ab"), 7],
      };
      const echoed = next<[typeof payload]>(client, "echo");
      client.emit("echo", payload);
      const [got] = await echoed;
      assert.equal(got.file.name, "x.bin");
      assert.deepEqual(Buffer.from(got.file.body as unknown as ArrayBuffer), Buffer.from([1, 2, 3]));
      assert.deepEqual(Buffer.from(got.parts[0] as unknown as ArrayBuffer), Buffer.from("ab"));
      assert.equal(got.parts[1], 7);
      client.disconnect();
    });

    test("namespace with auth, and middleware rejection with message and data", async () => {
      const ok = h.client("/admin", { auth: { token: "secret" } });
      const [nspName, auth] = await next<[string, unknown]>(ok, "welcome");
      assert.equal(nspName, "/admin");
      assert.deepEqual(auth, { token: "secret" });
      const bad = h.client("/admin", { auth: { token: "nope" } });
      const [err] = await next<[Error & { data?: unknown }]>(bad, "connect_error");
      assert.equal(err.message, "unauthorized");
      assert.deepEqual(err.data, { reason: "bad token" });
      ok.disconnect();
      bad.disconnect();
    });

    test("unknown namespace is refused", async () => {
      const client = h.client("/nope");
      const [err] = await next<[Error]>(client, "connect_error");
      assert.equal(err.message, "Invalid namespace");
      client.disconnect();
    });
  });
}
