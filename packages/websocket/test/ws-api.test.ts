// Issue 13 item 4: the wider `ws` API, checked against the real `ws` package where there is a peer.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { test } from "node:test";
import WsWebSocket, { WebSocketServer as WsServer } from "ws";
import { createWebSocketStream, WebSocket, WebSocketServer } from "../src/index.js";
import { closed, startRawServer, startServer, startWsServer, stopServer } from "./helpers.js";

test("send/ping/pong with numbers and empty data, as ws: numbers as text, undefined as an empty binary message", async () => {
  const { wss, url } = await startWsServer();
  const received: Array<[string, boolean]> = [];
  const pings: string[] = [];
  const done = new Promise<void>((resolve) =>
    wss.on("connection", (ws) => {
      ws.on("ping", (data) => pings.push(String(data)));
      ws.on("message", (data, isBinary) => {
        received.push([String(data), isBinary]);
        if (received.length === 4) resolve();
      });
    }),
  );
  const client = new WebSocket(url);
  await once(client, "open");
  client.ping(42);
  client.send(42);
  client.send(undefined);
  client.send("");
  client.send(Buffer.alloc(0));
  await done;
  assert.deepEqual(received, [
    ["42", false],
    ["", true],
    ["", false],
    ["", true],
  ]);
  assert.deepEqual(pings, ["42"]);
  client.close();
  await closed(client);
  await stopServer(wss);
});

test("after close: send's callback gets ws's error message, and bufferedAmount counts the data when no socket was ever made", async () => {
  const { wss, url } = await startServer();
  const client = new WebSocket(url);
  await once(client, "open");
  client.close();
  const error = await new Promise<Error | undefined>((resolve) => client.send("late", resolve));
  assert.equal(error?.message, "WebSocket is not open: readyState 2 (CLOSING)");
  await closed(client);
  const [wsMessage] = await new Promise<[string]>((resolve) => {
    const peer = new WsWebSocket(url);
    peer.on("open", () => {
      peer.close();
      peer.send("late", (err) => resolve([err!.message]));
    });
  });
  assert.equal(error?.message, wsMessage, "the same message as ws");

  // Never connected: the bytes are counted, as ws does.
  const never = new WebSocket("ws://127.0.0.1:1");
  never.on("error", () => {});
  never.close();
  await closed(never);
  never.send("12345");
  assert.equal(never.bufferedAmount, 5);
  await stopServer(wss);
});

test("pause()/resume()/isPaused hold messages back and release them (to a ws server)", async () => {
  const { wss, url } = await startWsServer();
  wss.on("connection", (ws) => ws.on("message", (data) => ws.send(data)));
  const client = new WebSocket(url);
  await once(client, "open");
  const received: string[] = [];
  client.on("message", (data) => received.push(String(data)));
  client.pause();
  assert.equal(client.isPaused, true);
  const pong = once(client, "pong");
  // A ping's pong is held too: once the ws server answers it, everything before it is in the socket.
  client.send("a");
  client.send("b");
  client.ping();
  // While paused nothing is read, so the pong cannot arrive: give the round trip a turn via a second client.
  const probe = new WsWebSocket(url);
  await once(probe, "open");
  probe.send("probe");
  await once(probe, "message");
  assert.deepEqual(received, []);
  client.resume();
  assert.equal(client.isPaused, false);
  await pong;
  assert.deepEqual(received, ["a", "b"]);
  probe.close();
  client.close();
  await closed(client);
  await stopServer(wss);
});

test("createWebSocketStream: pipe through a ws echo server; end() closes without a code (1005), as ws's does", async () => {
  const { wss, url } = await startWsServer();
  const serverClosed = new Promise<number>((resolve) =>
    wss.on("connection", (ws) => {
      ws.on("message", (data) => ws.send(String(data).toUpperCase()));
      ws.on("close", (code) => resolve(code));
    }),
  );
  const client = new WebSocket(url);
  const duplex = createWebSocketStream(client, { encoding: "utf8" });
  const chunks: string[] = [];
  duplex.on("data", (chunk: string) => {
    chunks.push(chunk);
    if (chunks.length === 2) duplex.end();
  });
  duplex.write("hello");
  duplex.write("world");
  await once(duplex, "end");
  assert.deepEqual(chunks, ["HELLO", "WORLD"]);
  assert.equal(await serverClosed, 1005);
  await stopServer(wss);
});

test("createWebSocketStream with stream.pipeline on our server side, ws as the client", async () => {
  const { wss, url } = await startServer();
  wss.on("connection", (ws) => {
    const duplex = createWebSocketStream(ws);
    void pipeline(duplex, duplex).catch(() => {});
  });
  const peer = new WsWebSocket(url);
  await once(peer, "open");
  peer.send(Buffer.from("echo me"));
  const [data] = (await once(peer, "message")) as [Buffer];
  assert.equal(String(data), "echo me");
  peer.close();
  await once(peer, "close");
  await stopServer(wss);
});

test("client options: auth, finishRequest, createConnection", async () => {
  const seen: Array<{ authorization?: string; extra?: string }> = [];
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on("connection", (_ws, req) =>
    seen.push({ authorization: req.headers.authorization, extra: req.headers["x-extra"] as string }),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  let created = 0;
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, {
    auth: "alice:secret",
    finishRequest: (req) => {
      req.setHeader("X-Extra", "1");
      req.end();
    },
    createConnection: (options: { port?: number | string | null; host?: string | null }) => {
      created++;
      return connect(Number(options.port), options.host ?? "127.0.0.1");
    },
  });
  await once(client, "open");
  assert.equal(created, 1);
  assert.deepEqual(seen, [
    { authorization: `Basic ${Buffer.from("alice:secret").toString("base64")}`, extra: "1" },
  ]);
  client.close();
  await closed(client);
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  server.close();
  await once(server, "close");
});

test("ws+unix: URLs reach a server on a Unix domain socket (ws's server, and ws's client to ours)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "volley-ws-"));
  const socketPath = join(dir, "s.sock");
  const server = createServer();
  const wss = new WsServer({ server });
  const paths: string[] = [];
  wss.on("connection", (ws, req) => {
    paths.push(req.url ?? "");
    ws.on("message", (data) => ws.send(data));
  });
  server.listen(socketPath);
  await once(server, "listening");
  const client = new WebSocket(`ws+unix:${socketPath}:/chat?room=1`);
  await once(client, "open");
  const reply = once(client, "message");
  client.send("over unix");
  assert.equal(String((await reply)[0]), "over unix");
  assert.deepEqual(paths, ["/chat?room=1"]);
  client.close();
  await closed(client);
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  server.close();
  await once(server, "close");
  rmSync(dir, { recursive: true, force: true });
});

test("clientTracking: false keeps no clients set entries", async () => {
  const { wss, url } = await startServer({ clientTracking: false });
  const connected = once(wss, "connection");
  const client = new WebSocket(url);
  await once(client, "open");
  await connected;
  assert.equal(wss.clients.size, 0);
  client.close();
  await closed(client);
  await stopServer(wss);
});

test("generateMask fills each frame's masking key (zeros here: the payload goes out as it is)", async () => {
  const received: Buffer[] = [];
  let gotFrame = () => {};
  const frameArrived = new Promise<void>((resolve) => {
    gotFrame = resolve;
  });
  const { server, url } = await startRawServer((socket) => {
    socket.on("data", (chunk: Buffer) => {
      received.push(chunk);
      if (Buffer.concat(received).length >= 2 + 4 + 5) gotFrame();
    });
    socket.resume();
  });
  const client = new WebSocket(url, { perMessageDeflate: false, generateMask: (mask) => mask.fill(0) });
  client.on("open", () => client.send("hello"));
  await frameArrived;
  const frame = Buffer.concat(received);
  assert.equal(frame[1]! & 0x80, 0x80, "still flagged as masked");
  assert.deepEqual([...frame.subarray(2, 6)], [0, 0, 0, 0]);
  assert.equal(frame.subarray(6, 11).toString(), "hello");
  client.terminate();
  await closed(client);
  server.close();
});

/** A server whose `/loop` redirects to itself, `/old` to `/new`, and `/new` accepts WebSockets. */
async function redirectingServer() {
  const server = createServer();
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    if (req.url === "/new") {
      wss.handleUpgrade(req, socket, head, (ws) => ws.on("message", (data) => ws.send(data)));
      return;
    }
    const location = req.url === "/loop" ? "/loop" : "/new";
    socket.end(
      `HTTP/1.1 302 Found\r\nLocation: ${location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return { server, wss, base: `ws://127.0.0.1:${port}` };
}

test("followRedirects/maxRedirects: follows 3xx like ws (redirect event, new url), stops at the limit, off by default", async () => {
  const { server, wss, base } = await redirectingServer();
  const client = new WebSocket(`${base}/old`, { followRedirects: true });
  const redirects: string[] = [];
  client.on("redirect", (url: string) => redirects.push(url));
  await once(client, "open");
  assert.deepEqual(redirects, [`${base}/new`]);
  assert.equal(client.url, `${base}/new`);
  const peer = new WsWebSocket(`${base}/old`, { followRedirects: true });
  await once(peer, "open");
  assert.equal(client.url, peer.url, "the same final url as ws");
  peer.close();
  client.close();
  await closed(client);

  const looping = new WebSocket(`${base}/loop`, { followRedirects: true, maxRedirects: 3 });
  const loopErrors: Error[] = [];
  looping.on("error", (error) => loopErrors.push(error));
  let loopRedirects = 0;
  looping.on("redirect", () => loopRedirects++);
  assert.equal((await closed(looping))[0], 1006);
  assert.equal(loopRedirects, 3);
  assert.equal(loopErrors[0]?.message, "Maximum redirects exceeded");

  const notFollowing = new WebSocket(`${base}/old`);
  const errors: Error[] = [];
  notFollowing.on("error", (error) => errors.push(error));
  await closed(notFollowing);
  assert.equal(errors[0]?.message, "Unexpected server response: 302");
  const wsErrors: Error[] = [];
  const wsPeer = new WsWebSocket(`${base}/old`);
  wsPeer.on("error", (error) => wsErrors.push(error));
  await closed(wsPeer);
  assert.equal(errors[0]?.message, wsErrors[0]?.message, "ws's message");

  for (const ws of wss.clients) ws.terminate();
  server.close();
  await once(server, "close");
});
