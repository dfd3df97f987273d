// io.metrics() and its Prometheus exposition after a scripted scenario with real clients (the Volley
// client and socket.io-client): a refused handshake, a refused namespace, a client kept on polling,
// one upgrading to websocket, events with acks both ways, an ack timed out on the manual clock, a
// broadcast, disconnects; then a scrape checked value by value and by `promtool check metrics`.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { io as volleyClient, type Socket as VolleySocket } from "@volley/client";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import { type MetricsSnapshot, Server, type Socket, toPrometheus } from "volley";
import { next } from "./helpers.js";
import { ManualClock } from "../../engine/test/manual-clock.js";
import { parseExposition, promtoolCheck } from "./prometheus-text.js";
import { RawClient } from "./raw-client.js";

describe("metrics after a scripted scenario", () => {
  const clock = new ManualClock();
  let http: HttpServer;
  let io: Server;
  let url: string;
  const clients: Array<ClientSocket | VolleySocket> = [];
  let scraped: string;
  let snapshot: MetricsSnapshot;

  before(async () => {
    http = createServer((_req, res) => res.writeHead(404).end());
    io = new Server(http, { clock, metrics: { path: "/metrics" } });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    io.of("/private").use((_socket, next) => next(new Error("not allowed")));
    io.on("connection", (socket: Socket) => {
      socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
    });
    io.of("/chat").on("connection", (socket: Socket) => {
      socket.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
    });

    // 1. A handshake refused by the engine (Engine.IO 3), and a namespace refused by a middleware.
    const refused = await fetch(`${url}/socket.io/?EIO=3&transport=polling`);
    assert.equal(refused.status, 400);
    await refused.text();
    const privateClient = ioc(`${url}/private`, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
    });
    clients.push(privateClient);
    await next(privateClient, "connect_error");

    // 2. socket.io-client kept on polling, and one that upgrades to websocket.
    const polling = ioc(url, { forceNew: true, reconnection: false, transports: ["polling"] });
    clients.push(polling);
    const pollingSide = next<[Socket]>(io, "connection");
    await next(polling, "connect");
    const [pollingSocket] = await pollingSide;
    const upgrading = ioc(url, { forceNew: true, reconnection: false });
    clients.push(upgrading);
    const upgradingSide = next<[Socket]>(io, "connection");
    await next(upgrading, "connect");
    const [upgradingSocket] = await upgradingSide;
    if (upgradingSocket.conn.transport.name !== "websocket") await next(upgradingSocket.conn, "upgrade");

    // 3. The Volley client on websocket only, in /chat.
    const volley = volleyClient(`${url}/chat`, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
    });
    clients.push(volley);
    const volleySide = next<[Socket]>(io.of("/chat"), "connection");
    await next(volley, "connect");
    const [volleySocket] = await volleySide;

    // 4. Events with acks, client → server (3) and server → client (1 answered).
    assert.equal(await polling.emitWithAck("echo", "a"), "a");
    assert.equal(await upgrading.emitWithAck("echo", "b"), "b");
    assert.equal(await volley.emitWithAck("echo", "c"), "c");
    volley.on("ask", (question: string, ack: (a: string) => void) => ack(`${question}!`));
    assert.equal(await volleySocket.emitWithAck("ask", "q"), "q!");

    // 5. An ack nobody answers (the client only looks at it), given up on after 1 s of the manual clock.
    const seen = new Promise<void>((resolve) => {
      polling.onAny((event: string) => {
        if (event === "ignored") resolve();
      });
    });
    const silent = new Promise<Error | null>((resolve) => {
      pollingSocket.timeout(1000).emit("ignored", (err: Error | null) => resolve(err));
    });
    await seen;
    clock.advance(1000);
    const timeoutError = await silent;
    assert.match(String(timeoutError?.message), /timed out/);

    // 6. A broadcast to the two sockets of "/".
    const news = Promise.all([next(polling, "news"), next(upgrading, "news")]);
    io.emit("news", 1);
    await news;

    // 7. Disconnects: the polling client leaves, the server drops the Volley client's socket.
    const pollingGone = next(pollingSocket, "disconnect");
    polling.disconnect();
    await pollingGone;
    const volleyGone = next(volley, "disconnect");
    volleySocket.disconnect();
    await volleyGone;

    snapshot = io.metrics();
    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    scraped = await res.text();
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    await io.close();
  });

  test("the snapshot counts what happened", () => {
    const m = snapshot;
    assert.deepEqual(m.connections, {
      "/": { polling: 0, websocket: 1 },
      "/private": { polling: 0, websocket: 0 },
      "/chat": { polling: 0, websocket: 0 },
    });
    assert.deepEqual(m.engine.handshakes, { polling: 2, websocket: 2 });
    assert.deepEqual(m.engine.refusals, { UNSUPPORTED_PROTOCOL_VERSION: 1 });
    assert.equal(m.engine.upgrades, 1);
    assert.equal(m.engine.upgradeFailures, 0);
    assert.deepEqual(m.connectRefusals, { middleware: 1 });
    assert.equal(m.packetsReceived.CONNECT, 4);
    assert.equal(m.packetsReceived.EVENT, 3);
    assert.equal(m.packetsReceived.ACK, 1);
    assert.equal(m.packetsReceived.DISCONNECT, 1);
    assert.equal(m.packetsSent.CONNECT, 3);
    assert.equal(m.packetsSent.CONNECT_ERROR, 1);
    assert.equal(m.packetsSent.ACK, 3);
    assert.equal(m.packetsSent.EVENT, 2);
    assert.equal(m.packetsSent.DISCONNECT, 1);
    assert.equal(m.broadcasts, 1);
    assert.equal(m.broadcastDeliveries, 2);
    assert.deepEqual(m.acks, { requested: 2, received: 1, timedOut: 1 });
    assert.deepEqual(m.recovery, { attempts: 0, successes: 0 });
    assert.deepEqual(m.disconnects, { "client namespace disconnect": 1, "server namespace disconnect": 1 });
    assert.deepEqual(m.slowConsumers, { volatileDropped: 0, disconnects: 0 });
    assert.deepEqual(m.cluster, {});
    // Every message in and out went through the engine's counters.
    assert.ok(m.engine.messagesReceived >= 9, `messagesReceived ${m.engine.messagesReceived}`);
    assert.ok(m.engine.bytesReceived > m.engine.messagesReceived);
    assert.ok(m.engine.messagesSent >= 12, `messagesSent ${m.engine.messagesSent}`);
    assert.equal(
      m.engine.bufferedBytes.total >= 0 && m.engine.bufferedBytes.max <= m.engine.bufferedBytes.total,
      true,
    );
    // Plain JSON: the same object after a round trip.
    assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
  });

  test("the scrape shows the same values", () => {
    const values = parseExposition(scraped);
    const expect = (series: string, value: number) => assert.equal(values.get(series), value, series);
    expect('volley_connections{namespace="/",transport="websocket"}', 1);
    expect('volley_connections{namespace="/",transport="polling"}', 0);
    expect('volley_engine_handshakes_total{transport="polling"}', 2);
    expect('volley_engine_handshakes_total{transport="websocket"}', 2);
    expect('volley_engine_refusals_total{reason="UNSUPPORTED_PROTOCOL_VERSION"}', 1);
    expect("volley_engine_upgrades_total", 1);
    expect('volley_connect_refusals_total{kind="middleware"}', 1);
    expect('volley_packets_received_total{type="EVENT"}', 3);
    expect('volley_packets_sent_total{type="ACK"}', 3);
    expect("volley_broadcasts_total", 1);
    expect("volley_broadcast_deliveries_total", 2);
    expect("volley_acks_requested_total", 2);
    expect("volley_acks_received_total", 1);
    expect("volley_acks_timed_out_total", 1);
    expect('volley_disconnects_total{reason="client namespace disconnect"}', 1);
    expect('volley_disconnects_total{reason="server namespace disconnect"}', 1);
    expect("volley_slow_consumer_disconnects_total", 0);
    // Scraping is a plain HTTP request: it is not counted as an engine request.
    assert.ok(!scraped.includes("volley_cluster_"), "no cluster families without a cluster adapter");
  });

  test("promtool accepts the exposition", async () => {
    await promtoolCheck(scraped);
  });

  test("the path answers GET and HEAD only; other paths are the application's", async () => {
    const head = await fetch(`${url}/metrics`, { method: "HEAD" });
    assert.equal(head.status, 200);
    const post = await fetch(`${url}/metrics`, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    await post.text();
    const other = await fetch(`${url}/metrics-not`);
    assert.equal(other.status, 404);
    await other.text();
  });
});

describe("metrics", () => {
  test("off by default: the path is the application's", async () => {
    const http = createServer((_req, res) => res.writeHead(404).end("app"));
    const io = new Server(http);
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const res = await fetch(`http://127.0.0.1:${(http.address() as AddressInfo).port}/metrics`);
    assert.equal(res.status, 404);
    assert.equal(await res.text(), "app");
    await io.close();
  });

  test("a bad path is refused when the server is made", () => {
    assert.throws(() => new Server({ metrics: { path: "metrics" } }), /metrics\.path must start with "\/"/);
  });

  test("recovery: attempts and successes", async () => {
    const http = createServer();
    const io = new Server(http, { connectionStateRecovery: true });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const client = ioc(url, { forceNew: true, transports: ["websocket"], reconnectionDelay: 10 });
    try {
      const first = next<[Socket]>(io, "connection");
      await next(client, "connect");
      const [socket] = await first;
      // The connection breaks (not a namespace disconnect): the client comes back with its session.
      const again = next<[Socket]>(io, "connection");
      socket.conn.close();
      const [restored] = await again;
      assert.equal(restored.recovered, true);
      const m = io.metrics();
      assert.deepEqual(m.recovery, { attempts: 1, successes: 1 });
      assert.deepEqual(m.disconnects, { "forced close": 1 });
      assert.match(toPrometheus(m), /^volley_recovery_successes_total 1$/m);
    } finally {
      client.disconnect();
      await io.close();
    }
  });

  test("slow consumer: volatile packets dropped, then the session closed over maxBufferedBytes", async () => {
    const http = createServer();
    const io = new Server(http, { maxBufferedBytes: 4 * 1024 * 1024, writableHighWaterMark: 64 * 1024 });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const raw = new RawClient((http.address() as AddressInfo).port);
    try {
      const joined = next<[Socket]>(io, "connection");
      await raw.connect();
      const [socket] = await joined;
      // The client stops reading: the kernel buffers fill, then the session's queue.
      raw.stopReading();
      const chunk = "x".repeat(256 * 1024);
      for (let i = 0; i < 400 && socket.conn.writable; i++) {
        socket.emit("fill", chunk);
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(socket.conn.writable, false, "the connection filled up");
      socket.volatile.emit("dropped");
      io.volatile.emit("dropped too");
      assert.equal(io.metrics().slowConsumers.volatileDropped, 2);
      const gone = next<[string]>(socket, "disconnect");
      for (let i = 0; i < 400 && socket.connected; i++) socket.emit("fill", chunk);
      assert.deepEqual(await gone, ["slow consumer", { maxBufferedBytes: 4 * 1024 * 1024 }]);
      const m = io.metrics();
      assert.deepEqual(m.slowConsumers, { volatileDropped: 2, disconnects: 1 });
      assert.equal(m.engine.closes["slow consumer"], 1);
      assert.equal(m.disconnects["slow consumer"], 1);
      const values = parseExposition(toPrometheus(m));
      assert.equal(values.get("volley_slow_consumer_disconnects_total"), 1);
      assert.equal(values.get("volley_volatile_dropped_total"), 2);
    } finally {
      await raw.close();
      await io.close();
    }
  });

  test("label values are escaped", async () => {
    const http = createServer();
    const io = new Server(http);
    io.of('/we"ird\\name\nx');
    const text = toPrometheus(io.metrics());
    assert.ok(
      text.includes('namespace="/we\\"ird\\\\name\\nx"'),
      text.split("\n").filter((l) => l.includes("we"))[0],
    );
    await promtoolCheck(text);
    await io.close();
  });
});
