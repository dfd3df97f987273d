// The connection object: corked writes, back-pressure, broadcasts, argument checks, browser-style API.
import assert from "node:assert/strict";
import { once } from "node:events";
import type { IncomingMessage } from "node:http";
import { test } from "node:test";
import { Opcode, prepareMessage, WebSocket, WebSocketError } from "../src/index.js";
import { closed, framesUntilClose, rawConnect, startServer, stopServer } from "./helpers.js";

async function serverPair(options: Parameters<typeof startServer>[0] = {}) {
  const started = await startServer(options);
  const connected = once(started.wss, "connection") as Promise<[WebSocket, IncomingMessage]>;
  const client = new WebSocket(started.url);
  await once(client, "open");
  const [ws, req] = await connected;
  return { ...started, client, ws, req };
}

test("frames sent in one tick leave in one socket write", async () => {
  const { wss, client, ws, req } = await serverPair();
  const socket = req.socket as unknown as {
    _writev: (...args: unknown[]) => void;
    _write: (...args: unknown[]) => void;
  };
  let writes = 0;
  const writev = socket._writev.bind(socket);
  const write = socket._write.bind(socket);
  socket._writev = (...args) => {
    writes++;
    writev(...args);
  };
  socket._write = (...args) => {
    writes++;
    write(...args);
  };
  const received: string[] = [];
  const all = new Promise<void>((resolve) =>
    client.on("message", (data: Buffer) => {
      received.push(data.toString());
      if (received.length === 20) resolve();
    }),
  );
  for (let i = 0; i < 20; i++) ws.send(`m${i}`);
  await all;
  assert.equal(writes, 1);
  assert.deepEqual(
    received,
    Array.from({ length: 20 }, (_, i) => `m${i}`),
  );
  client.close();
  await once(client, "close");
  await stopServer(wss);
});

test("frames to several connections in one tick: each connection's leave in one write of its own", async () => {
  const started = await startServer({});
  const sides: Array<{ client: WebSocket; ws: WebSocket; writes: number; received: string[] }> = [];
  for (let i = 0; i < 3; i++) {
    const connected = once(started.wss, "connection") as Promise<[WebSocket, IncomingMessage]>;
    const client = new WebSocket(started.url);
    await once(client, "open");
    const [ws, req] = await connected;
    const side = { client, ws, writes: 0, received: [] as string[] };
    const socket = req.socket as unknown as {
      _writev: (...args: unknown[]) => void;
      _write: (...args: unknown[]) => void;
    };
    const writev = socket._writev.bind(socket);
    const write = socket._write.bind(socket);
    socket._writev = (...args) => {
      side.writes++;
      writev(...args);
    };
    socket._write = (...args) => {
      side.writes++;
      write(...args);
    };
    sides.push(side);
  }
  const all = sides.map(
    (side) =>
      new Promise<void>((resolve) =>
        side.client.on("message", (data: Buffer) => {
          side.received.push(data.toString());
          if (side.received.length === 6) resolve();
        }),
      ),
  );
  // Interleaved, as a broadcast loop does it, plain sends and prepared frames mixed.
  for (let m = 0; m < 3; m++) {
    const prepared = prepareMessage(`b${m}`);
    for (const side of sides) {
      side.ws.sendPrepared(prepared);
      side.ws.send(`s${m}`);
    }
  }
  await Promise.all(all);
  for (const side of sides) {
    assert.equal(side.writes, 1);
    assert.deepEqual(side.received, ["b0", "s0", "b1", "s1", "b2", "s2"]);
    side.client.close();
    await once(side.client, "close");
  }
  await stopServer(started.wss);
});

test("bufferedAmount grows while the peer does not read, and drain fires when it does", async () => {
  const { wss, port } = await startServer({ maxPayload: 0 });
  const connected = once(wss, "connection") as Promise<[WebSocket]>;
  const { socket } = await rawConnect(port);
  socket.pause();
  const [ws] = await connected;
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < 32; i++) ws.send(chunk);
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(ws.bufferedAmount > 1 << 20, `bufferedAmount ${ws.bufferedAmount}`);
  const drained = once(ws, "drain");
  socket.resume();
  await drained;
  assert.ok(ws.bufferedAmount < 32 << 20);
  socket.destroy();
  await closed(ws);
  await stopServer(wss);
});

test("prepareMessage + sendPrepared reach many connections with the same bytes", async () => {
  const { wss, url } = await startServer();
  const clients = await Promise.all(
    Array.from({ length: 5 }, async () => {
      const c = new WebSocket(url);
      await once(c, "open");
      return c;
    }),
  );
  const prepared = prepareMessage("broadcast");
  const replies = clients.map((c) => once(c, "message"));
  for (const ws of wss.clients) ws.sendPrepared(prepared);
  for (const [data, isBinary] of await Promise.all(replies)) {
    assert.equal(String(data), "broadcast");
    assert.equal(isBinary, false);
  }
  for (const c of clients) c.close();
  await Promise.all(clients.map((c) => closed(c)));
  await stopServer(wss);
});

test("argument checks: close codes, reason length, control payloads; send after close reports NOT_OPEN", async () => {
  const { wss, client } = await serverPair();
  assert.throws(() => client.close(1005), WebSocketError);
  assert.throws(() => client.close(1006), { code: "INVALID_ARGUMENT" });
  assert.throws(() => client.close(2000), { code: "INVALID_ARGUMENT" });
  assert.throws(() => client.close(1000, "x".repeat(124)), /123 bytes/);
  assert.throws(() => client.ping(Buffer.alloc(126)), /125 bytes/);
  client.close(4001, "bye");
  assert.equal(client.readyState, WebSocket.CLOSING);
  const error = await new Promise<Error | undefined>((resolve) => client.send("late", resolve));
  assert.equal((error as WebSocketError).code, "NOT_OPEN");
  const [code, reason] = await closed(client);
  assert.equal(code, 4001);
  assert.equal(reason.toString(), "bye");
  assert.equal(client.readyState, WebSocket.CLOSED);
  await stopServer(wss);
});

test("terminate closes at once with 1006 on both sides", async () => {
  const { wss, client, ws } = await serverPair();
  const serverClosed = closed(ws);
  client.terminate();
  assert.equal((await closed(client))[0], 1006);
  assert.equal((await serverClosed)[0], 1006);
  await stopServer(wss);
});

test("binaryType fragments and arraybuffer; addEventListener with once", async () => {
  const { wss, port } = await startServer();
  const connected = once(wss, "connection") as Promise<[WebSocket]>;
  const { socket } = await rawConnect(port);
  const [ws] = await connected;
  ws.binaryType = "fragments";
  const message = once(ws, "message");
  const { rawFrame } = await import("./helpers.js");
  socket.write(rawFrame(Opcode.Binary, "ab", { fin: false }));
  socket.write(rawFrame(Opcode.Continuation, "cd"));
  const [fragments] = (await message) as [Buffer[]];
  // An array of pieces whose concatenation is the message (small frames are gathered together).
  assert.ok(Array.isArray(fragments));
  assert.equal(Buffer.concat(fragments).toString(), "abcd");
  ws.binaryType = "arraybuffer";
  const events: unknown[] = [];
  ws.addEventListener("message", (event: { data: unknown }) => events.push(event.data), { once: true });
  const second = once(ws, "message");
  socket.write(rawFrame(Opcode.Text, "text"));
  await second;
  socket.write(rawFrame(Opcode.Text, "ignored"));
  await once(ws, "message");
  assert.deepEqual(events, ["text"]);
  const frames = framesUntilClose(socket, true);
  ws.close();
  assert.equal((await frames).at(-1)!.opcode, Opcode.Close);
  await stopServer(wss);
});

test("frames that arrive with the upgrade request (head) are delivered after connection", async () => {
  const { wss, port } = await startServer();
  const { rawFrame, upgradeRequest } = await import("./helpers.js");
  const received = new Promise<string>((resolve) =>
    wss.on("connection", (ws: WebSocket) => ws.on("message", (data: Buffer) => resolve(data.toString()))),
  );
  const { connect } = await import("node:net");
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  socket.write(Buffer.concat([Buffer.from(upgradeRequest()), rawFrame(Opcode.Text, "early")]));
  assert.equal(await received, "early");
  socket.destroy();
  await stopServer(wss);
});

test("a large server message leaves as header + the caller's payload in one writev, not concatenated", async () => {
  const { wss, client, ws, req } = await serverPair();
  const socket = req.socket as unknown as {
    _writev: (chunks: Array<{ chunk: Buffer }>, cb: () => void) => void;
    _write: (chunk: Buffer, encoding: string, cb: () => void) => void;
  };
  const writes: Buffer[][] = [];
  const writev = socket._writev.bind(socket);
  const write = socket._write.bind(socket);
  socket._writev = (chunks, cb) => {
    writes.push(chunks.map((c) => c.chunk));
    writev(chunks, cb);
  };
  socket._write = (chunk, encoding, cb) => {
    writes.push([chunk]);
    write(chunk, encoding, cb);
  };
  const payload = Buffer.alloc(65536, 0x61);
  const received = once(client, "message") as Promise<[Buffer, boolean]>;
  ws.send(payload);
  const [data, isBinary] = await received;
  assert.ok(data.equals(payload));
  assert.equal(isBinary, true);
  assert.equal(writes.length, 1);
  assert.equal(writes[0]!.length, 2);
  assert.equal(writes[0]![0]!.length, 10, "2 + 8 bytes of header for a 64 KB payload");
  assert.equal(writes[0]![1], payload, "the payload is the caller's buffer itself");
  client.close();
  await once(client, "close");
  await stopServer(wss);
});
