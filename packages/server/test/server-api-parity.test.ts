// Issue 13 items 8 and 12: `new Server(port)` answers 404 elsewhere, `close()` then `listen()` restarts,
// and the rest of socket.io's Server API: path(), serveClient(), connectTimeout(), adapter(), bind(),
// attach()/listen() with the full options (attach's win; construction-only ones are a TypeError).
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, request, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, test } from "node:test";
import { EngineServer } from "@volley/engine";
import { Server as SioServer } from "socket.io";
import { io as ioc, type Socket as ClientSocket } from "socket.io-client";
import { Adapter, Server } from "volley";
import { next } from "./helpers.js";
import { ManualClock } from "../../engine/test/manual-clock.js";
import { RawClient } from "./raw-client.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => {
        body += c.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function listening(http: HttpServer): Promise<number> {
  if (!http.listening) await once(http, "listening");
  return (http.address() as AddressInfo).port;
}

const opened: Array<{ close(): unknown }> = [];
function client(port: number, opts: Record<string, unknown> = {}): ClientSocket {
  const socket = ioc(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false, ...opts });
  opened.push(socket);
  return socket;
}

afterEach(() => {
  for (const c of opened.splice(0)) c.close();
});

describe("new Server(port) and restarts (item 8)", () => {
  test("paths it does not serve get 404, as from socket.io (instead of hanging)", async () => {
    const sio = new SioServer(0 as never);
    const io = new Server(0, { httpLimits: { requestTimeout: 5_000 } });
    try {
      for (const server of [sio, io]) {
        const port = await listening(server.httpServer as HttpServer);
        const reply = await get(port, "/not-socket-io");
        assert.equal(reply.status, 404);
      }
      const port = await listening(io.httpServer as HttpServer);
      const handshake = await get(port, "/socket.io/?EIO=4&transport=polling");
      assert.equal(handshake.status, 200);
    } finally {
      sio.close();
      await io.close();
    }
  });

  test("io.close() then io.listen() serves again (a port of its own)", async () => {
    const io = new Server();
    io.on("connection", (socket) => socket.emit("hello", "run"));
    io.listen(0);
    const first = client(await listening(io.httpServer as HttpServer), { transports: ["websocket"] });
    assert.deepEqual(await next(first, "hello"), ["run"]);
    const left = next(first, "disconnect");
    await io.close();
    await left;
    io.listen(0);
    const second = client(await listening(io.httpServer as HttpServer));
    assert.deepEqual(await next(second, "hello"), ["run"]);
    await io.close();
  });

  test("io.close() gives the application's server back as it was; attaching it again works", async () => {
    const http = createServer((_req, res) => res.writeHead(404).end("application 404"));
    const io = new Server(http, { transports: ["polling"] });
    io.on("connection", (socket) => socket.emit("hello", 1));
    http.listen(0, "127.0.0.1");
    const port = await listening(http);
    assert.deepEqual(await next(client(port), "hello"), [1]);
    const upgradeListeners = http.listenerCount("upgrade");
    await io.close();
    assert.equal(http.listening, false);
    assert.equal(http.listenerCount("request"), 1, "only the application's handler");
    assert.ok(
      http.listenerCount("upgrade") < upgradeListeners,
      "the closed engine's upgrade handler is gone",
    );
    io.attach(http);
    http.listen(port, "127.0.0.1");
    await listening(http);
    assert.deepEqual(await next(client(port), "hello"), [1]);
    assert.equal((await get(port, "/other")).body, "application 404");
    await io.close();
  });

  test("attach() while close() is under way is refused with a clear error", async () => {
    const io = new Server();
    io.listen(0);
    await listening(io.httpServer as HttpServer);
    const closing = io.close();
    assert.throws(() => io.listen(0), /closing/);
    await closing;
  });
});

describe("socket.io's Server API (item 12)", () => {
  test("path(v) before listen: trailing slash dropped, clients connect there; later changes are refused", async () => {
    const io = new Server();
    assert.equal(io.path(), "/socket.io");
    assert.equal(io.path("/custom/"), io);
    assert.equal(io.path(), "/custom");
    io.listen(0);
    const port = await listening(io.httpServer as HttpServer);
    const socket = client(port, { path: "/custom" });
    await next(socket, "connect");
    assert.throws(() => io.path("/elsewhere"), /once attached/);
    await io.close();
    const used = new Server();
    void used.engine;
    assert.throws(() => used.path("/x"), TypeError);
    await used.close();
  });

  test("serveClient(v) switches the served client at once", async () => {
    const io = new Server();
    assert.equal(io.serveClient(), true);
    io.listen(0);
    const port = await listening(io.httpServer as HttpServer);
    assert.notEqual((await get(port, "/socket.io/socket.io.js")).status, 400);
    io.serveClient(false);
    assert.equal(io.serveClient(), false);
    // Without the client the path is the engine's, which refuses it (as socket.io's does).
    assert.equal((await get(port, "/socket.io/socket.io.js")).status, 400);
    io.serveClient(true);
    assert.notEqual((await get(port, "/socket.io/socket.io.js")).status, 400);
    await io.close();
  });

  test("connectTimeout(v): a session that joins no namespace in time is closed (on the server clock)", async () => {
    const clock = new ManualClock();
    const io = new Server({ clock });
    assert.equal(io.connectTimeout(), 45_000);
    assert.equal(io.connectTimeout(500), io);
    assert.equal(io.connectTimeout(), 500);
    assert.throws(() => io.connectTimeout(-1), TypeError);
    io.listen(0);
    const port = await listening(io.httpServer as HttpServer);
    const raw = new RawClient(port);
    await raw.wait((m) => m.startsWith("0{"));
    clock.advance(499);
    assert.equal(raw.ws.readyState, raw.ws.OPEN);
    clock.advance(1);
    await raw.closed();
    await io.close();
  });

  test("adapter(v): getter, and every namespace gets the new adapter (the old one closed)", async () => {
    const closed: string[] = [];
    class Recording extends Adapter {
      override close(): void {
        closed.push(this.nsp.name);
      }
    }
    class Next extends Adapter {}
    const io = new Server({ adapter: Recording });
    const admin = io.of("/admin");
    assert.equal(io.adapter(), Recording);
    assert.equal(io.adapter(Next), io);
    assert.equal(io.adapter(), Next);
    assert.ok(io.of("/").adapter instanceof Next);
    assert.ok(admin.adapter instanceof Next);
    assert.deepEqual(closed.sort(), ["/", "/admin"]);
    assert.throws(() => io.adapter("nope" as never), TypeError);
    await io.close();
  });

  test("bind(engine): an EngineServer the application attached itself", async () => {
    const http = createServer();
    const engine = new EngineServer({ path: "/socket.io/" });
    engine.attach(http);
    const io = new Server();
    assert.equal(io.bind(engine), io);
    assert.equal(io.engine, engine);
    io.on("connection", (socket) => socket.emit("bound", true));
    http.listen(0, "127.0.0.1");
    const socket = client(await listening(http));
    assert.deepEqual(await next(socket, "bound"), [true]);
    assert.throws(() => io.bind({} as never), TypeError);
    await io.close();
    http.close();
    const attached = new Server();
    attached.listen(0);
    assert.throws(() => attached.bind(new EngineServer()), /before attach/);
    await attached.close();
  });

  test("attach(srv, opts) honours every option; they win over the constructor's", async () => {
    const http = createServer((_req, res) => res.writeHead(404).end("application 404"));
    const io = new Server({ pingInterval: 5_000, path: "/ignored" });
    io.attach(http, {
      path: "/rt",
      cors: { origin: "http://app.example", credentials: true },
      pingInterval: 1_234,
      connectTimeout: 9_000,
      maxHttpBufferSize: 4_096,
    });
    http.listen(0, "127.0.0.1");
    const port = await listening(http);
    assert.equal(io.path(), "/rt");
    assert.equal(io.connectTimeout(), 9_000);
    const open = await get(port, "/rt/?EIO=4&transport=polling", { Origin: "http://app.example" });
    assert.equal(open.status, 200);
    const handshake = JSON.parse(open.body.slice(1));
    assert.equal(handshake.pingInterval, 1_234);
    assert.equal(handshake.maxPayload, 4_096);
    assert.equal(open.headers["access-control-allow-origin"], "http://app.example");
    assert.equal(open.headers["access-control-allow-credentials"], "true");
    assert.equal((await get(port, "/ignored/?EIO=4&transport=polling")).body, "application 404");
    const socket = client(port, { path: "/rt" });
    await next(socket, "connect");
    await io.close();
  });

  test("listen(port, opts) too; construction-only options are a TypeError and leave the server as it was", async () => {
    const io = new Server();
    assert.throws(
      () => io.listen(0, { connectionStateRecovery: true, parser: undefined, maxChildNamespaces: 3 }),
      (err: Error) =>
        err instanceof TypeError &&
        /connectionStateRecovery, maxChildNamespaces can only be given to new Server\(\)/.test(err.message),
    );
    assert.throws(() => io.listen(0, { pingInterval: -5 }), TypeError);
    assert.equal(io.httpServer, undefined, "nothing attached");
    io.listen(0, { host: "127.0.0.1", transports: ["websocket"] });
    const port = await listening(io.httpServer as HttpServer);
    assert.equal((io.httpServer!.address() as AddressInfo).address, "127.0.0.1");
    const polling = await get(port, "/socket.io/?EIO=4&transport=polling");
    assert.equal(polling.status, 400, "transports from listen() apply");
    const socket = client(port, { transports: ["websocket"] });
    await next(socket, "connect");
    await io.close();
  });

  test("engine options at attach after io.engine was used: a TypeError, not a silent new engine", async () => {
    const io = new Server();
    io.engine.on("connection_error", () => {});
    assert.throws(() => io.attach(createServer(), { pingInterval: 1_000 }), /io\.engine was already used/);
    // Server-level options need no new engine and still apply.
    const http = createServer();
    io.attach(http, { connectTimeout: 1_000 });
    assert.equal(io.connectTimeout(), 1_000);
    await io.close();
  });
});
