// The Manager's packet hooks (`manager.hooks`, src/packet-hook.ts), the seam the add-ons use: in list
// order, a hook sees each packet before it is written (and may change it), each packet received before the
// Sockets (and may drop it: the later hooks and the Sockets never see it), and the connection's close before
// the Manager's `close` event.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Packet } from "@volley/protocol";
import type { OutPacket, PacketHook } from "../src/packet-hook.js";
import { cleanup, connect, connected, next, startSocketIo } from "./helpers.js";

after(cleanup);

const CONNECT = 0;
const EVENT = 2;

/** A hook that writes what it sees into `log`, under `name`. */
function loggingHook(name: string, log: string[], drop?: (packet: Packet) => boolean): PacketHook {
  return {
    writing: (packet: OutPacket) => log.push(`${name} writing ${packet.type}`),
    received(packet: Packet) {
      const event = packet.type === EVENT ? ` ${(packet.data as unknown[])[0]}` : "";
      log.push(`${name} received ${packet.type}${event}`);
      return drop?.(packet) ?? false;
    },
    closed: () => log.push(`${name} closed`),
  };
}

test("hooks see packets written, received and the close in order, before the Sockets", async () => {
  const { url, io: server } = await startSocketIo();
  const auths: unknown[] = [];
  server.on("connection", (s) => {
    auths.push(s.handshake.auth);
    s.emit("secret", 1);
    s.emit("hello", 2);
  });
  const socket = connect(url, { autoConnect: false, transports: ["websocket"], auth: { user: "u" } });
  const log: string[] = [];
  const first = loggingHook("first", log);
  // A hook may change a packet before it is encoded: the server sees the CONNECT it left.
  first.writing = (packet) => {
    log.push(`first writing ${packet.type}`);
    if (packet.type === CONNECT) packet.data = { ...(packet.data as object), via: "hook" };
  };
  const dropping = loggingHook("dropping", log, (packet) => (packet.data as unknown[])?.[0] === "secret");
  socket.io.hooks.push(first, dropping, loggingHook("last", log));
  socket.onAny((event) => log.push(`socket ${event}`));
  socket.io.on("close", () => log.push("manager close"));

  const hello = next(socket, "hello"); // it may come in the same turn as the CONNECT answer
  socket.connect();
  await hello;
  assert.deepEqual(auths, [{ user: "u", via: "hook" }]);

  socket.io.disconnect();
  assert.deepEqual(log, [
    "first writing 0",
    "dropping writing 0",
    "last writing 0",
    "first received 0",
    "dropping received 0",
    "last received 0",
    // `secret` goes no further than the hook that drops it.
    "first received 2 secret",
    "dropping received 2 secret",
    "first received 2 hello",
    "dropping received 2 hello",
    "last received 2 hello",
    "socket hello",
    "first closed",
    "dropping closed",
    "last closed",
    "manager close",
  ]);
});

test("manager.write() goes through the hooks too, and refuses a packet over the server's maxPayload", async () => {
  const { url } = await startSocketIo({ maxHttpBufferSize: 1000 });
  const socket = connect(url, { transports: ["websocket"] });
  await connected(socket);
  const written: unknown[] = [];
  socket.io.hooks.push({
    writing: (packet) => written.push(packet.data),
    received: () => false,
    closed: () => {},
  });
  assert.equal(socket.io.write({ type: EVENT, nsp: "/", data: ["small"] }), undefined);
  const err = socket.io.write({ type: EVENT, nsp: "/", data: ["large", "x".repeat(2000)] });
  assert.equal(err?.code, "PAYLOAD_TOO_LARGE");
  // Every write is seen, also one then refused (see PacketHook.writing).
  assert.deepEqual(
    written.map((data) => (data as unknown[])[0]),
    ["small", "large"],
  );
});
