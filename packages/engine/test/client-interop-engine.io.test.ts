// Our Engine.IO client against the official engine.io server: every transport mode, text and binary both
// ways, ordering across an upgrade, heartbeats, close reasons and the client-side limits.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import { EngineClient, type EngineClientOptions, type WebSocketConstructor } from "@volley/engine/client";
import {
  attach,
  type Server as EngineIoServer,
  type ServerOptions,
  type Socket as EngineIoSocket,
} from "engine.io";
import { WebSocketServer } from "ws";

// Our own @volley/websocket is the Node default; until its client exists, `ws` stands in (same API).
async function nodeWebSocket(): Promise<WebSocketConstructor | undefined> {
  try {
    const mod = (await import("@volley/websocket" as string)) as { WebSocket?: WebSocketConstructor };
    if (mod.WebSocket) return undefined; // the client's own default will load it
  } catch {
    // not written yet
  }
  return (await import("ws")).WebSocket as unknown as WebSocketConstructor;
}
const WebSocketImpl = await nodeWebSocket();

interface Harness {
  url: string;
  engine: EngineIoServer;
  http: HttpServer;
  close(): Promise<void>;
}

const open: Harness[] = [];
after(async () => {
  for (const h of open) await h.close();
});

async function startServer(opts: ServerOptions = {}): Promise<Harness> {
  const http = createServer();
  const engine = attach(http, opts);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const { port } = http.address() as AddressInfo;
  let closed = false;
  const harness: Harness = {
    url: `http://127.0.0.1:${port}`,
    engine,
    http,
    async close() {
      if (closed) return;
      closed = true;
      engine.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
  open.push(harness);
  return harness;
}

function connect(url: string, opts: EngineClientOptions = {}): EngineClient {
  return new EngineClient(url, { WebSocket: WebSocketImpl, ...opts });
}

async function opened(client: EngineClient): Promise<void> {
  if (client.readyState === "open") return;
  await new Promise<void>((resolve, reject) => {
    client.once("open", resolve);
    client.once("error", reject);
  });
}

function nextConnection(engine: EngineIoServer): Promise<EngineIoSocket> {
  return new Promise((resolve) => engine.once("connection", resolve));
}

function collect<T>(
  emitter: { on(event: string, fn: (data: T) => void): unknown },
  event: string,
  count: number,
) {
  const items: T[] = [];
  return new Promise<T[]>((resolve) => {
    emitter.on(event, (data: T) => {
      items.push(data);
      if (items.length === count) resolve(items);
    });
  });
}

function closed(client: EngineClient): Promise<[string, unknown]> {
  return new Promise((resolve) =>
    client.once("close", (reason, description) => resolve([reason, description])),
  );
}

const modes: Array<[string, EngineClientOptions]> = [
  ["polling only", { transports: ["polling"] }],
  ["websocket only", { transports: ["websocket"] }],
  ["polling with upgrade", { transports: ["polling", "websocket"] }],
];

for (const [mode, opts] of modes) {
  describe(`engine client ↔ engine.io (${mode})`, () => {
    test("handshake, text and binary both ways, close reasons on both sides", async () => {
      const server = await startServer();
      const serverSocketP = nextConnection(server.engine);
      const client = connect(server.url, opts);
      await opened(client);
      const serverSocket = await serverSocketP;
      assert.equal(client.id, serverSocket.id);
      assert.equal(client.transport.name, opts.transports![0]);
      if (mode === "polling with upgrade" && client.transport.name !== "websocket") {
        await new Promise((resolve) => client.once("upgrade", resolve));
      }

      const fromClient = collect<string | Buffer>(serverSocket, "message", 3);
      client.send("hello ✓");
      client.send(new Uint8Array([1, 2, 3, 255]));
      client.send(new Uint8Array([9, 8, 7]).buffer);
      const [text, bin, ab] = await fromClient;
      assert.equal(text, "hello ✓");
      assert.deepEqual([...(bin as Buffer)], [1, 2, 3, 255]);
      assert.deepEqual([...(ab as Buffer)], [9, 8, 7]);

      const fromServer = collect<string | Buffer>(client, "message", 2);
      serverSocket.send("héllo");
      serverSocket.send(Buffer.from([0, 1, 254]));
      const [text2, bin2] = await fromServer;
      assert.equal(text2, "héllo");
      assert.ok(Buffer.isBuffer(bin2), "binary arrives as a Buffer in Node");
      assert.deepEqual([...(bin2 as Buffer)], [0, 1, 254]);

      const serverClosed = new Promise<string>((resolve) => serverSocket.once("close", resolve));
      const clientClosed = closed(client);
      client.close();
      assert.equal((await clientClosed)[0], "io client disconnect");
      assert.equal(client.readyState, "closed");
      assert.equal(await serverClosed, "transport close");
    });

    test("server-initiated close gives `transport close`", async () => {
      const server = await startServer();
      const serverSocketP = nextConnection(server.engine);
      const client = connect(server.url, opts);
      await opened(client);
      const serverSocket = await serverSocketP;
      const clientClosed = closed(client);
      serverSocket.close();
      assert.equal((await clientClosed)[0], "transport close");
    });

    test("server answers pings: the session stays open across several heartbeats", async () => {
      // A generous pingTimeout: a loaded machine must not turn a late pong into a hang of this test.
      const server = await startServer({ pingInterval: 20, pingTimeout: 5000 });
      const client = connect(server.url, opts);
      const pings = collect<void>(client, "ping", 4);
      await opened(client);
      const outcome = await Promise.race([
        pings.then(() => "4 pings"),
        closed(client).then(([reason]) => `closed first: ${reason}`),
      ]);
      assert.equal(outcome, "4 pings");
      assert.equal(client.readyState, "open");
      const clientClosed = closed(client);
      client.close();
      await clientClosed;
    });
  });
}

describe("engine client: upgrade", () => {
  test("many messages in order, both ways, during an upgrade", async () => {
    const server = await startServer();
    const serverSocketP = nextConnection(server.engine);
    const client = connect(server.url);
    await opened(client);
    const serverSocket = await serverSocketP;
    assert.equal(client.transport.name, "polling");
    const N = 300;
    const atServer = collect<string>(serverSocket, "message", N);
    const atClient = collect<string>(client, "message", N);
    const upgraded = new Promise((resolve) => client.once("upgrade", resolve));
    // Spread the sends over many turns so some go before, some during and some after the upgrade.
    for (let i = 0; i < N; i++) {
      client.send(`c${i}`);
      serverSocket.send(`s${i}`);
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await upgraded;
    assert.equal(client.transport.name, "websocket");
    assert.deepEqual(
      await atServer,
      Array.from({ length: N }, (_, i) => `c${i}`),
    );
    assert.deepEqual(
      await atClient,
      Array.from({ length: N }, (_, i) => `s${i}`),
    );
    client.close();
  });

  test("upgrade: false stays on polling; rememberUpgrade starts the next session on websocket", async () => {
    const server = await startServer();
    const stay = connect(server.url, { upgrade: false });
    await opened(stay);
    // One full heartbeat-free round trip proves no probe happened: echo a message.
    const conn = await new Promise<EngineIoSocket>((resolve) => {
      if (server.engine.clientsCount > 0) resolve(Object.values(server.engine.clients)[0] as EngineIoSocket);
      else server.engine.once("connection", resolve);
    });
    conn.on("message", (data: string) => conn.send(data));
    stay.send("echo");
    await once(stay as never, "message");
    assert.equal(stay.transport.name, "polling");
    assert.equal(stay.upgrades.length, 1, "the server offered websocket");
    stay.close();

    const first = connect(server.url, { rememberUpgrade: true });
    await new Promise((resolve) => first.once("upgrade", resolve));
    first.close();
    assert.equal(EngineClient.priorWebsocketSuccess, true);
    const second = connect(server.url, { rememberUpgrade: true });
    assert.equal(second.transport.name, "websocket");
    await opened(second);
    second.close();
  });
});

describe("engine client: options and limits", () => {
  test("path, query and extraHeaders reach the server", async () => {
    const server = await startServer({ path: "/custom" });
    const serverSocketP = nextConnection(server.engine);
    const client = connect(`${server.url}?fromUrl=1`, {
      path: "/custom",
      query: { token: "abc" },
      extraHeaders: { "x-volley": "yes" },
      transports: ["polling"],
    });
    await opened(client);
    const serverSocket = await serverSocketP;
    const req = serverSocket.request;
    const query = new URL(req.url!, "http://x").searchParams;
    assert.equal(query.get("token"), "abc");
    assert.equal(query.get("fromUrl"), "1");
    assert.equal(query.get("EIO"), "4");
    assert.ok(query.get("t"), "polling requests carry a timestamp");
    assert.equal(req.headers["x-volley"], "yes");
    client.close();
  });

  test("polling bodies are split to respect the server's maxPayload", async () => {
    const server = await startServer({ maxHttpBufferSize: 1000 });
    const serverSocketP = nextConnection(server.engine);
    const client = connect(server.url, { transports: ["polling"] });
    await opened(client);
    assert.equal(client.maxPayload, 1000);
    const serverSocket = await serverSocketP;
    const received = collect<string>(serverSocket, "message", 10);
    // 10 × 300 bytes in one turn: one body would exceed 1000 bytes and be refused with 413.
    for (let i = 0; i < 10; i++) client.send(String(i).repeat(300));
    const messages = await received;
    assert.deepEqual(
      messages.map((m) => m[0]),
      ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    );
    assert.equal(client.readyState, "open");
    client.close();
  });

  test("forceBase64 sends binary as base64 text over websocket", async () => {
    const server = await startServer();
    const serverSocketP = nextConnection(server.engine);
    const client = connect(server.url, { transports: ["websocket"], forceBase64: true });
    await opened(client);
    const serverSocket = await serverSocketP;
    const raw = new Promise<unknown>((resolve) =>
      serverSocket.once("packet", (packet: { data: unknown }) => resolve(packet.data)),
    );
    const message = once(serverSocket, "message");
    client.send(new Uint8Array([5, 6, 7]));
    assert.deepEqual([...((await message)[0] as Buffer)], [5, 6, 7]);
    await raw;
    client.close();
  });

  test("send callbacks run once the data is written", async () => {
    const server = await startServer();
    const client = connect(server.url, { transports: ["polling"] });
    await opened(client);
    await new Promise<void>((resolve) => client.send("x", {}, resolve));
    client.close();
  });

  test("an unreachable server: `error` then close `transport error`", async () => {
    const server = await startServer();
    const url = server.url;
    await server.close();
    for (const transports of [["polling"], ["websocket"]] as const) {
      const client = connect(url, { transports: [...transports] });
      const error = new Promise((resolve) => client.once("error", resolve));
      const [reason] = await closed(client);
      assert.equal(reason, "transport error");
      const err = (await error) as { code: string };
      assert.equal(err.code, transports[0] === "polling" ? "POLL_ERROR" : "WEBSOCKET_ERROR");
    }
  });

  test("an empty transports list is an error, not a crash", async () => {
    const client = new EngineClient("http://127.0.0.1:1", { transports: [] });
    const err = await new Promise<{ code: string }>((resolve) => client.once("error", resolve));
    assert.equal(err.code, "NO_TRANSPORTS");
    assert.equal(client.readyState, "closed");
  });

  test("an invalid URI throws a coded error", () => {
    assert.throws(() => new EngineClient("http://[bad", {}), { code: "INVALID_URI" });
  });
});

describe("engine client: heartbeat timeout", () => {
  // A server that completes the handshake and then never pings: the client must give up by itself.
  async function silentServer(handshake: string) {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    wss.on("connection", (ws) => ws.send(handshake));
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const { port } = http.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      async close() {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        await new Promise((resolve) => http.close(resolve));
      },
    };
  }
  const open = (interval: number, timeout: number) =>
    `0${JSON.stringify({ sid: "s1", upgrades: [], pingInterval: interval, pingTimeout: timeout, maxPayload: 1e6 })}`;

  test("no ping within pingInterval + pingTimeout closes with `ping timeout` (short intervals)", async () => {
    const server = await silentServer(open(20, 20));
    const client = connect(server.url, { transports: ["websocket"] });
    await opened(client);
    const [reason] = await closed(client);
    assert.equal(reason, "ping timeout");
    await server.close();
  });

  test("the deadline is pingInterval + pingTimeout, on injected timers", async () => {
    const server = await silentServer(open(25000, 20000));
    const scheduled: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
    let now = 0;
    const timers = {
      setTimeout: (fn: () => void, ms: number) => {
        const t = { fn, ms, cleared: false };
        scheduled.push(t);
        return t;
      },
      clearTimeout: (t: unknown) => {
        if (t) (t as { cleared: boolean }).cleared = true;
      },
      now: () => now,
    };
    const client = connect(server.url, { transports: ["websocket"], timers });
    await opened(client);
    const live = scheduled.filter((t) => !t.cleared);
    assert.equal(live.length, 1);
    assert.equal(live[0]!.ms, 45000);
    assert.equal(client.hasPingExpired(), false);
    now = 45001;
    const reason = closed(client);
    assert.equal(client.hasPingExpired(), true, "a missed deadline is noticed without the timer");
    assert.equal((await reason)[0], "ping timeout");
    await server.close();
  });

  test("a malformed open packet is a HANDSHAKE_ERROR", async () => {
    const server = await silentServer('0{"nope":1}');
    const client = connect(server.url, { transports: ["websocket"] });
    const err = await new Promise<{ code: string }>((resolve) => client.once("error", resolve));
    assert.equal(err.code, "HANDSHAKE_ERROR");
    assert.equal(client.readyState, "closed");
    await server.close();
  });
});
