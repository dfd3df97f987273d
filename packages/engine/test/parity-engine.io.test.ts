// engine.io parity (issue 13 items 5–7): the same raw sequences against the real `engine.io` server and
// ours, and the API engine.io users call.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, IncomingMessage, type Server, ServerResponse } from "node:http";
import { type AddressInfo, Socket as NetSocket } from "node:net";
import { describe, test } from "node:test";
import { EngineServer, type EngineSocket } from "@volley/engine";
import { Server as ReferenceServer } from "engine.io";
import { Socket as ReferenceClient } from "engine.io-client";
import { RS, rawRequest, rawWebSocket, startEngine } from "./helpers.js";

interface Target {
  name: string;
  port: number;
  /** Resolves once the server holds a GET of this session (nothing to send). */
  parked(sid: string): Promise<void>;
  close(): Promise<void>;
}

async function listen(http: Server): Promise<number> {
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return (http.address() as AddressInfo).port;
}

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

async function ours(): Promise<Target> {
  const f = await startEngine({ pingInterval: 60_000, pingTimeout: 60_000 });
  return {
    name: "volley",
    port: f.port,
    async parked(sid) {
      for (let i = 0; i < 10_000 && !f.engine.sessions.get(sid)?.transport.writable; i++) await turns(1);
    },
    close: () => f.close(),
  };
}

async function reference(): Promise<Target> {
  const http = createServer();
  const engine = new ReferenceServer({ pingInterval: 60_000, pingTimeout: 60_000 });
  engine.attach(http);
  const port = await listen(http);
  return {
    name: "engine.io",
    port,
    async parked(sid) {
      const clients = (engine as unknown as { clients: Record<string, { transport: { writable: boolean } }> })
        .clients;
      for (let i = 0; i < 10_000 && !clients[sid]?.transport.writable; i++) await turns(1);
    },
    async close() {
      engine.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

describe("polling answers as engine.io's", () => {
  for (const make of [reference, ours]) {
    test(`${make.name}: the client's close packet answers its parked GET with a noop; Cache-Control: no-store`, async () => {
      const target = await make();
      try {
        const first = await rawRequest(target.port, "GET", "/engine.io/?EIO=4&transport=polling");
        assert.equal(first.headers["cache-control"], "no-store");
        const sid = JSON.parse(first.body.split(RS)[0]!.slice(1)).sid as string;
        const path = `/engine.io/?EIO=4&transport=polling&sid=${sid}`;
        const parked = rawRequest(target.port, "GET", path);
        await target.parked(sid);
        const closing = await rawRequest(target.port, "POST", path, "1", { "Content-Type": "text/plain" });
        assert.equal(closing.status, 200);
        const answer = await parked;
        assert.equal(answer.body, "6");
        assert.equal(answer.headers["cache-control"], "no-store");
      } finally {
        await target.close();
      }
    });
  }
});

describe("engine.io server behaviour", () => {
  test("a second websocket on an upgraded session is accepted, then closed (no HTTP 400)", async () => {
    const f = await startEngine({ pingInterval: 60_000, pingTimeout: 60_000 });
    try {
      const first = await rawWebSocket(f, "");
      const sid = JSON.parse(((await first.next()) as string).slice(1)).sid as string;
      const second = await rawWebSocket(f, `&sid=${sid}`); // rejects on a non-101 answer
      await second.closed;
      assert.equal(f.engine.sessions.get(sid)?.readyState, "open");
      first.ws.terminate();
    } finally {
      await f.close();
    }
  });

  test("closing the http.Server closes the sessions, and listen() again serves again", async () => {
    const http = createServer();
    const engine = new EngineServer();
    engine.attach(http);
    const port = await listen(http);
    await rawRequest(port, "GET", "/engine.io/?EIO=4&transport=polling");
    assert.equal(engine.clientsCount, 1);
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    assert.equal(engine.clientsCount, 0);
    http.listen(port, "127.0.0.1");
    await once(http, "listening");
    const again = await rawRequest(port, "GET", "/engine.io/?EIO=4&transport=polling");
    assert.equal(again.status, 200);
    const ws = await rawWebSocket({ port } as never, "");
    assert.match((await ws.next()) as string, /^0\{/);
    ws.ws.terminate();
    await engine.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  test("attach({ destroyUpgrade: false }) leaves foreign upgrades to their owner", async () => {
    const http = createServer();
    const engine = new EngineServer();
    engine.attach(http, { destroyUpgrade: false, destroyUpgradeTimeout: 1 });
    // Another upgrade listener answers after the engine's timeout would have destroyed the socket.
    http.on("upgrade", (req: IncomingMessage, socket) => {
      if (!req.url?.startsWith("/other")) return;
      setTimeout(() => socket.end("HTTP/1.1 418 Teapot\r\nConnection: close\r\n\r\n"), 50);
    });
    const port = await listen(http);
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port,
        path: "/other",
        headers: { Connection: "Upgrade", Upgrade: "x" },
        agent: false,
      });
      req.on("response", (res) => resolve(res.statusCode ?? 0));
      req.on("error", reject);
      req.end();
    });
    assert.equal(status, 418);
    await engine.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
});

describe("engine.io API", () => {
  test("use() middlewares run on polling and websocket requests; next(err) refuses; one may answer", async () => {
    const f = await startEngine({ pingInterval: 60_000, pingTimeout: 60_000 });
    try {
      const errors: string[] = [];
      f.engine.on("connection_error", (e) => errors.push(String(e.context.name)));
      f.engine.use((req, _res, next) => {
        (req as IncomingMessage & { user?: string }).user = req.headers["x-user"] as string | undefined;
        next();
      });
      f.engine.use((req, res, next) => {
        if (req.headers["x-user"] === "denied") next(new Error("no"));
        else if (req.headers["x-user"] === "teapot") res.writeHead(418).end();
        else next();
      });
      const seen: Array<string | undefined> = [];
      f.engine.on("connection", (s: EngineSocket) => seen.push((s.request as { user?: string }).user));
      assert.equal(
        (
          await rawRequest(f.port, "GET", "/engine.io/?EIO=4&transport=polling", undefined, {
            "X-User": "ann",
          })
        ).status,
        200,
      );
      const denied = await rawRequest(f.port, "GET", "/engine.io/?EIO=4&transport=polling", undefined, {
        "X-User": "denied",
      });
      assert.equal(denied.status, 400);
      assert.equal(
        (
          await rawRequest(f.port, "GET", "/engine.io/?EIO=4&transport=polling", undefined, {
            "X-User": "teapot",
          })
        ).status,
        418,
      );
      const { WebSocket } = await import("ws");
      const ws = new WebSocket(`ws://127.0.0.1:${f.port}/engine.io/?EIO=4&transport=websocket`, {
        headers: { "X-User": "bob" },
      });
      await once(ws, "open");
      const teapot = new WebSocket(`ws://127.0.0.1:${f.port}/engine.io/?EIO=4&transport=websocket`, {
        headers: { "X-User": "teapot" },
      });
      teapot.on("error", () => {});
      const [, res] = (await once(teapot, "unexpected-response")) as [unknown, IncomingMessage];
      assert.equal(res.statusCode, 418);
      res.destroy();
      assert.deepEqual(seen, ["ann", "bob"]);
      assert.deepEqual(errors, ["MIDDLEWARE_FAILURE"]);
      ws.terminate();
    } finally {
      await f.close();
    }
  });

  test("send(data, cb), opts, httpServer, upgrades()", async () => {
    const f = await startEngine({ pingInterval: 60_000, pingTimeout: 60_000 });
    try {
      assert.equal(f.engine.httpServer, f.http);
      assert.equal(f.engine.opts.pingInterval, 60_000);
      assert.deepEqual(f.engine.upgrades("polling"), ["websocket"]);
      assert.deepEqual(f.engine.upgrades("websocket"), []);
      const connection = once(f.engine, "connection");
      const client = new ReferenceClient(f.origin, { transports: ["websocket"] });
      const [session] = (await connection) as [EngineSocket];
      const received = once(client as never, "message");
      await new Promise<void>((resolve) => session.send("with cb", resolve));
      assert.deepEqual(await received, ["with cb"]);
      // An empty message ("4", no data) echoed back goes out empty instead of throwing, as with engine.io.
      const echoed = once(client as never, "message");
      session.send(undefined as unknown as string);
      assert.deepEqual(await echoed, [undefined]); // "4": engine.io-client hands over no data
      client.close();
    } finally {
      await f.close();
    }
  });

  test("an exception thrown by a connection listener reaches the caller, not a 400 + connection_error", () => {
    const engine = new EngineServer();
    const errors: unknown[] = [];
    engine.on("connection_error", (e) => errors.push(e));
    engine.on("connection", () => {
      throw new Error("app bug");
    });
    const req = new IncomingMessage(new NetSocket());
    req.method = "GET";
    req.url = "/engine.io/?EIO=4&transport=polling";
    const res = new ServerResponse(req);
    assert.throws(() => engine.handleRequest(req, res), /app bug/);
    assert.deepEqual(errors, []);
    void engine.close();
  });
});

describe("connection_error as engine.io emits it", () => {
  interface Seen {
    code: number;
    message: string;
    context: Record<string, unknown>;
    status: number;
    body: unknown;
  }

  /** The same bad requests against a server; what its connection_error listener and the client saw. */
  async function badRequests(
    engine: { on(event: "connection_error", cb: (e: Seen) => void): unknown },
    port: number,
  ): Promise<Seen[]> {
    const seen: Seen[] = [];
    let last: Seen | undefined;
    engine.on("connection_error", (e) => {
      last = { code: e.code, message: e.message, context: { ...e.context }, status: 0, body: undefined };
    });
    const sid = JSON.parse(
      (await rawRequest(port, "GET", "/engine.io/?EIO=4&transport=polling")).body.split(RS)[0]!.slice(1),
    ).sid as string;
    const requests: Array<[string, string]> = [
      ["GET", "/engine.io/?EIO=4&transport=carrier-pigeon"],
      ["GET", "/engine.io/?EIO=4&transport=polling&sid=nope"],
      ["POST", "/engine.io/?EIO=4&transport=polling"],
      ["GET", "/engine.io/?EIO=4&transport=websocket"],
      ["GET", "/engine.io/?EIO=3&transport=polling"],
      ["GET", `/engine.io/?EIO=4&transport=websocket&sid=${sid}`],
    ];
    for (const [method, path] of requests) {
      last = undefined;
      const res = await rawRequest(port, method, path, method === "POST" ? "4x" : undefined);
      assert.ok(last, `${method} ${path}: no connection_error`);
      seen.push({ ...(last as Seen), status: res.status, body: JSON.parse(res.body) });
    }
    return seen;
  }

  test("codes, messages, context and answers match engine.io's for the same bad requests", async () => {
    const http = createServer();
    const reference = new ReferenceServer({ allowRequest: (req, cb) => cb(null, req.method !== "PUT") });
    reference.attach(http);
    const port = await listen(http);
    const f = await startEngine({ allowRequest: (req, cb) => cb(null, req.method !== "PUT") });
    try {
      const theirs = await badRequests(reference as never, port);
      const mine = await badRequests(f.engine as never, f.port);
      assert.deepEqual(mine, theirs);
    } finally {
      reference.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await f.close();
    }
  });

  test("allowRequest refusals: code 4, 403, the message, and context { message }", async () => {
    const f = await startEngine({ allowRequest: (_req, cb) => cb("not you", false) });
    try {
      const errors: Array<{ code: number; message: string; context: unknown }> = [];
      f.engine.on("connection_error", (e) =>
        errors.push({ code: e.code, message: e.message, context: e.context }),
      );
      const res = await rawRequest(f.port, "GET", "/engine.io/?EIO=4&transport=polling");
      assert.equal(res.status, 403);
      assert.deepEqual(JSON.parse(res.body), { code: 4, message: "not you" });
      assert.deepEqual(errors, [{ code: 4, message: "not you", context: { message: "not you" } }]);
    } finally {
      await f.close();
    }
  });
});

describe("generateId", () => {
  test("an async generateId is awaited (polling and websocket); a rejection refuses with ID_GENERATION_ERROR", async () => {
    let n = 0;
    class CustomIds extends EngineServer {
      protected override async generateId(req: IncomingMessage): Promise<string> {
        await new Promise((resolve) => setImmediate(resolve));
        if (req.headers["x-fail"]) throw new Error("no id today");
        return `custom-${++n}`;
      }
    }
    const http = createServer();
    const engine = new CustomIds({ cookie: true }).attach(http);
    const port = await listen(http);
    try {
      const errors: unknown[] = [];
      engine.on("connection_error", (e) => errors.push(e.context.name));
      const polling = await rawRequest(port, "GET", "/engine.io/?EIO=4&transport=polling");
      assert.equal(JSON.parse(polling.body.split(RS)[0]!.slice(1)).sid, "custom-1");
      assert.match(String(polling.headers["set-cookie"]), /io=custom-1/);
      const client = new ReferenceClient(`http://127.0.0.1:${port}`, { transports: ["websocket"] });
      await once(client as never, "open");
      assert.equal(client.id, "custom-2");
      client.close();
      const failed = await rawRequest(port, "GET", "/engine.io/?EIO=4&transport=polling", undefined, {
        "X-Fail": "1",
      });
      assert.equal(failed.status, 400);
      assert.deepEqual(errors, ["ID_GENERATION_ERROR"]);
    } finally {
      await engine.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  });
});

describe("path matching as engine.io", () => {
  async function statuses(port: number): Promise<number[]> {
    const paths = [
      "/engine.io/?EIO=4&transport=polling",
      "/engine.io/default/?EIO=4&transport=polling",
      "/engine.io?EIO=4&transport=polling",
      "/engine.iox/?EIO=4&transport=polling",
      "/other/?EIO=4&transport=polling",
    ];
    const out: number[] = [];
    for (const path of paths) out.push((await rawRequest(port, "GET", path)).status);
    return out;
  }

  for (const addTrailingSlash of [true, false]) {
    test(`addTrailingSlash: ${addTrailingSlash}: the same paths are served as by engine.io`, async () => {
      const app = (_req: IncomingMessage, res: ServerResponse) => res.writeHead(404).end();
      const refHttp = createServer(app);
      const reference = new ReferenceServer();
      reference.attach(refHttp, { addTrailingSlash } as never);
      const refPort = await listen(refHttp);
      const ourHttp = createServer(app);
      const engine = new EngineServer({ addTrailingSlash }).attach(ourHttp);
      const ourPort = await listen(ourHttp);
      try {
        const theirs = await statuses(refPort);
        const mine = await statuses(ourPort);
        // One difference by design: with the slash added, Volley also serves the bare path ("/engine.io").
        if (addTrailingSlash) theirs[2] = 200;
        assert.deepEqual(mine, theirs);
        const client = new ReferenceClient(`http://127.0.0.1:${ourPort}`, { addTrailingSlash });
        await once(client as never, "open");
        client.close();
      } finally {
        reference.close();
        await engine.close();
        for (const h of [refHttp, ourHttp]) {
          h.closeAllConnections();
          await new Promise<void>((resolve) => h.close(() => resolve()));
        }
      }
    });
  }
});
