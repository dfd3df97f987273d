// Smoke test: our client against our own `volley` server, in every transport mode.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import { Server } from "volley";
import { cleanup, connect, connected, modes, next } from "./helpers.js";

after(cleanup);

describe("client ↔ volley server", () => {
  for (const [mode, opts] of modes) {
    test(`${mode}: auth, events, acks both ways, binary, disconnect`, async () => {
      const http = createServer();
      const server = new Server(http);
      http.listen(0, "127.0.0.1");
      await once(http, "listening");
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
      try {
        server
          .of("/chat")
          .use((socket, nextFn) =>
            socket.handshake.auth.token === "ok" ? nextFn() : nextFn(new Error("unauthorized")),
          );
        const reasons: string[] = [];
        let sawDisconnect!: () => void;
        const serverSaw = new Promise<void>((resolve) => {
          sawDisconnect = resolve;
        });
        server.of("/chat").on("connection", (socket) => {
          socket.on("echo", (...args: unknown[]) => {
            const ack = args.pop() as (...a: unknown[]) => void;
            ack(...args);
          });
          socket.on("disconnect", (reason: string) => {
            reasons.push(reason);
            sawDisconnect();
          });
          socket.emit("welcome", { id: socket.id, buf: Buffer.from([1, 2]) }, (reply: string) =>
            socket.emit("thanks", reply),
          );
        });

        const refused = connect(`${url}/chat`, { ...opts, auth: { token: "no" } });
        const [err] = await next<[Error]>(refused, "connect_error");
        assert.equal(err.message, "unauthorized");

        const client = connect(`${url}/chat`, { ...opts, auth: { token: "ok" } });
        const welcome = new Promise<{ id: string; buf: Buffer }>((resolve) =>
          client.on("welcome", (payload: { id: string; buf: Buffer }, ack: (r: string) => void) => {
            ack("got it");
            resolve(payload);
          }),
        );
        const thanks = next<[string]>(client, "thanks");
        await connected(client);
        const payload = await welcome;
        assert.equal(payload.id, client.id);
        assert.deepEqual([...payload.buf], [1, 2]);
        assert.equal((await thanks)[0], "got it");
        const reply = await client.timeout(2000).emitWithAck("echo", { nested: new Uint8Array([9]) });
        assert.deepEqual([...(reply as { nested: Buffer }).nested], [9]);

        client.disconnect();
        await serverSaw;
        assert.deepEqual(reasons, ["client namespace disconnect"]);
      } finally {
        await new Promise((resolve) => server.close(() => resolve(undefined)));
        http.closeAllConnections();
      }
    });
  }
});
