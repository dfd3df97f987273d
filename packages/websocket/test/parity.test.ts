// Issue 13 items 1–3: ws drop-in parity fixes (queued frames before the close frame, BFINAL inflate
// reset, close/terminate from `upgrade`, no pooled socket after a non-101 answer).
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { constants, deflateRawSync } from "node:zlib";
import WsWebSocket from "ws";
import { Opcode, WebSocket } from "../src/index.js";
import {
  closed,
  rawConnect,
  rawFrame,
  startRawServer,
  startServer,
  startWsServer,
  stopServer,
} from "./helpers.js";

const big = "compress me ".repeat(20_000);

test("close frame from the peer while a reply is being compressed: the reply, then the close frame, then the end (ws client)", async () => {
  const { wss, url } = await startServer({ perMessageDeflate: true });
  wss.on("connection", (ws) => ws.on("message", () => ws.send(big)));
  const client = new WsWebSocket(url, { perMessageDeflate: true });
  await once(client, "open");
  const replies: string[] = [];
  client.on("message", (data) => replies.push(String(data)));
  // The close frame reaches the server in the same read as the message, while zlib works on the reply.
  client.send("bye");
  client.close(1000, "done");
  const [code, reason] = (await once(client, "close")) as [number, Buffer];
  assert.equal(code, 1000, "the server's close frame arrived (not 1006)");
  assert.equal(String(reason), "done");
  assert.deepEqual(replies, [big]);
  await stopServer(wss);
});

test("close() while messages are being compressed: all of them, then the close frame (our server to ws)", async () => {
  const { wss, url } = await startServer({ perMessageDeflate: true });
  wss.on("connection", (ws) => {
    for (let i = 0; i < 5; i++) ws.send(`${i}:${big}`);
    ws.close(4000, "server done");
  });
  const client = new WsWebSocket(url, { perMessageDeflate: true });
  const replies: string[] = [];
  client.on("message", (data) => replies.push(String(data).slice(0, 2)));
  const [code] = (await once(client, "close")) as [number, Buffer];
  assert.equal(code, 4000);
  assert.deepEqual(replies, ["0:", "1:", "2:", "3:", "4:"]);
  await stopServer(wss);
});

test("close() while our client compresses, against a ws server: the message then the close", async () => {
  const { wss, url } = await startWsServer({ perMessageDeflate: true });
  const received: string[] = [];
  wss.on("connection", (ws) => ws.on("message", (data) => received.push(String(data).slice(0, 5))));
  const client = new WebSocket(url, { perMessageDeflate: true });
  await once(client, "open");
  client.send(big);
  client.close(1000);
  const [code] = await closed(client);
  assert.equal(code, 1000);
  assert.deepEqual(received, [big.slice(0, 5)]);
  await stopServer(wss);
});

/** A message compressed to its end: the DEFLATE data closes with a final block (BFINAL=1). */
function finalBlock(text: string): Buffer {
  return deflateRawSync(Buffer.from(text));
}
function syncFlushed(text: string): Buffer {
  const out = deflateRawSync(Buffer.from(text), { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

test("RFC 7692: a message ending with a BFINAL=1 block does not break the next ones (server side)", async () => {
  const { wss, port } = await startServer({ perMessageDeflate: true });
  const connected = once(wss, "connection") as Promise<[WebSocket]>;
  const { socket } = await rawConnect(port, ["Sec-WebSocket-Extensions: permessage-deflate"]);
  const [ws] = await connected;
  const received: string[] = [];
  const done = new Promise<void>((resolve) =>
    ws.on("message", (data) => {
      received.push(String(data));
      if (received.length === 4) resolve();
    }),
  );
  socket.write(rawFrame(Opcode.Text, finalBlock("first, final"), { rsv: 4 }));
  socket.write(rawFrame(Opcode.Text, syncFlushed("second"), { rsv: 4 }));
  socket.write(rawFrame(Opcode.Text, finalBlock("third, final"), { rsv: 4 }));
  socket.write(rawFrame(Opcode.Text, finalBlock("fourth, final"), { rsv: 4 }));
  await done;
  assert.deepEqual(received, ["first, final", "second", "third, final", "fourth, final"]);
  socket.destroy();
  await stopServer(wss);
});

test("RFC 7692: a message ending with a BFINAL=1 block does not break the next ones (client side)", async () => {
  const { server, url } = await startRawServer(
    (socket) => {
      socket.write(rawFrame(Opcode.Text, finalBlock("one"), { rsv: 4, mask: false }));
      socket.write(rawFrame(Opcode.Text, syncFlushed("two"), { rsv: 4, mask: false }));
      socket.write(rawFrame(Opcode.Text, finalBlock("three"), { rsv: 4, mask: false }));
    },
    ["Sec-WebSocket-Extensions: permessage-deflate"],
  );
  const client = new WebSocket(url, { perMessageDeflate: true });
  const received: string[] = [];
  await new Promise<void>((resolve) =>
    client.on("message", (data) => {
      received.push(String(data));
      if (received.length === 3) resolve();
    }),
  );
  assert.deepEqual(received, ["one", "two", "three"]);
  client.terminate();
  await closed(client);
  server.close();
});

test("close() or terminate() inside an upgrade listener: no open, close 1006", async () => {
  const { wss, url } = await startServer();
  for (const method of ["close", "terminate"] as const) {
    const client = new WebSocket(url);
    let opened = false;
    client.on("open", () => {
      opened = true;
    });
    client.on("upgrade", () => client[method]());
    client.on("error", () => {});
    const [code] = await closed(client);
    assert.equal(code, 1006);
    assert.equal(opened, false, `${method}() in upgrade must prevent open`);
    assert.equal(client.readyState, WebSocket.CLOSED);
  }
  await stopServer(wss);
});

test("after a non-101 keep-alive answer the socket is not pooled: server.close() finishes", async () => {
  const server = createServer((_req, res) => {
    res.writeHead(403, { "Content-Length": 2, Connection: "keep-alive" });
    res.end("no");
  });
  server.on("upgrade", (_req, socket) => {
    socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nno");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const errors: Error[] = [];
  client.on("error", (error) => errors.push(error));
  await closed(client);
  assert.equal(errors.length, 1);
  const serverClosed = once(server, "close");
  server.close();
  await serverClosed;
});
