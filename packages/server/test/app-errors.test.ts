// Exceptions in application code (sync throws, rejected async listeners and middlewares) are reported,
// never thrown into the engine or left as unhandled rejections.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Socket } from "volley";
import { countdown, type Harness, next, setup } from "./helpers.js";

let h: Harness;
const reported: string[] = [];
const seen = countdown(4);

before(async () => {
  h = await setup();
  h.io.on("error", (err) => {
    reported.push((err as Error).message);
    seen.tick();
  });
  h.io.on("connection", (socket: Socket) => {
    socket.on("sync-throw", () => {
      throw new Error("sync");
    });
    socket.on("async-reject", async () => {
      throw new Error("async");
    });
    throw new Error("in connection handler");
  });
  h.io.of("/async-mw").use(async () => {
    throw new Error("middleware rejected");
  });
});
after(() => h.cleanup());

test("throws and rejections go to io.on('error'); the connection and the process carry on", async () => {
  const client = h.client();
  await next(client, "connect");
  client.emit("sync-throw");
  client.emit("async-reject");
  const mw = h.client("/async-mw");
  const [err] = await next<[Error]>(mw, "connect_error");
  assert.equal(err.message, "middleware rejected");
  // the sync throw inside the socket's listener goes to the socket first: no listener there, so to io
  client.emit("async-reject");
  await seen.done;
  assert.deepEqual(reported.slice(0, 4).sort(), ["async", "async", "in connection handler", "sync"]);
  assert.equal(client.connected, true);
});
