import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import type { EngineSocket } from "@volley/engine";
import {
  closed,
  type Fixture,
  nextSession,
  poll,
  pollingHandshake,
  post,
  RS,
  rawRequest,
  startEngine,
  pollingSession,
  waitingPoll,
} from "./helpers.js";

describe("polling transport (raw HTTP)", () => {
  let f: Fixture;
  before(async () => {
    f = await startEngine({ pingInterval: 60_000, pingTimeout: 60_000, closeTimeout: 100 });
  });
  after(() => f.close());

  test("handshake answers the open packet with sid, upgrades, pingInterval, pingTimeout, maxPayload", async () => {
    const connection = nextSession(f.engine);
    const { sid, handshake, body } = await pollingHandshake(f);
    assert.equal(body[0], "0");
    assert.deepEqual(Object.keys(handshake).sort(), [
      "maxPayload",
      "pingInterval",
      "pingTimeout",
      "sid",
      "upgrades",
    ]);
    assert.match(sid, /^[A-Za-z0-9_-]{20}$/);
    assert.deepEqual(handshake.upgrades, ["websocket"]);
    assert.equal(handshake.pingInterval, 60_000);
    assert.equal(handshake.maxPayload, 1e6);
    const session = await connection;
    assert.equal(session.id, sid);
    assert.equal(session.transport.name, "polling");
    assert.equal(session.protocol, 4);
    assert.equal(session.remoteAddress, "127.0.0.1");
    assert.equal(f.engine.sessions.get(sid), session);
    session.close();
    await closed(session);
  });

  test("session ids are unique and unguessable-looking", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add((await pollingHandshake(f)).sid);
    assert.equal(ids.size, 5);
    for (const s of [...f.engine.sessions.values()]) s.close();
  });

  test("messages posted by the client arrive in order, text and base64 binary", async () => {
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const received: unknown[] = [];
    session.on("message", (m) => received.push(m));
    const res = await post(f, sid, `4hello${RS}bAQIDBA==${RS}4é✓`);
    assert.equal(res.status, 200);
    assert.equal(res.body, "ok");
    assert.deepEqual(received, ["hello", Buffer.from([1, 2, 3, 4]), "é✓"]);
    assert.ok(Buffer.isBuffer(received[1]));
    session.close();
    await closed(session);
  });

  test("packets sent in one tick leave together in one response; binary as b+base64", async () => {
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    session.send("a");
    session.send(Buffer.from([255, 0]));
    session.send("c");
    const res = await poll(f, sid);
    assert.equal(res.body, `4a${RS}b/wA=${RS}4c`);
    assert.match(String(res.headers["content-type"]), /text\/plain/);
    session.close();
    await closed(session);
  });

  test("a waiting GET is answered when the server sends", async () => {
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const pending = poll(f, sid);
    await new Promise((r) => setImmediate(r));
    // The poll is waiting: the session is writable now.
    while (!session.writable) await new Promise((r) => setImmediate(r));
    session.send("late");
    assert.equal((await pending).body, "4late");
    session.close();
    await closed(session);
  });

  test("send callbacks run once the response is written; drain follows", async () => {
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    let called = 0;
    session.send("x", undefined, () => called++);
    const drained = once(session, "drain");
    await poll(f, sid);
    await drained;
    assert.equal(called, 1);
    session.close();
    await closed(session);
  });

  test("initialPacket and messages sent in the connection handler come with the handshake", async () => {
    const g = await startEngine({ initialPacket: "welcome" });
    g.engine.on("connection", (s) => s.send("hi"));
    const { body } = await pollingHandshake(g);
    const packets = body.split(RS);
    assert.equal(packets.length, 3);
    assert.equal(packets[1], "4welcome");
    assert.equal(packets[2], "4hi");
    await g.close();
  });

  test("server close: a waiting GET gets the close packet, then the sid is unknown", async () => {
    const { sid, session } = await pollingSession(f);
    const pending = (await waitingPoll(f, sid, session)).answer;
    const reason = closed(session);
    session.close();
    assert.equal((await pending).body, "1");
    assert.deepEqual(await reason, ["forced close", undefined]);
    const after = await poll(f, sid);
    assert.equal(after.status, 400);
    assert.deepEqual(JSON.parse(after.body), { code: 1, message: "Session ID unknown" });
  });

  test("forced close with no GET waiting: queued packets and the close packet go out on the next poll", async () => {
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    session.send("last words");
    const reason = closed(session);
    session.close();
    assert.equal(session.readyState, "closing");
    session.send("dropped");
    assert.equal((await poll(f, sid)).body, `4last words${RS}1`);
    assert.equal((await reason)[0], "forced close");
  });

  test("a close packet from the client closes the session with 'transport close'", async () => {
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const reason = closed(session);
    assert.equal((await post(f, sid, "1")).status, 200);
    assert.equal((await reason)[0], "transport close");
    assert.equal(f.engine.sessions.has(sid), false);
  });

  test("two concurrent GETs: the second gets 400, the first the close packet, the session closes", async () => {
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session: EngineSocket = await connection;
    const reason = closed(session);
    const first = poll(f, sid);
    while (!session.transport.writable) await new Promise((r) => setImmediate(r));
    const second = await poll(f, sid);
    assert.equal(second.status, 400);
    assert.deepEqual(JSON.parse(second.body), { code: 3, message: "Bad request" });
    assert.equal((await first).body, "1");
    assert.equal((await reason)[0], "transport error");
    assert.equal((await poll(f, sid)).status, 400);
  });

  test("two concurrent POSTs: the second gets 400 and the session closes", async () => {
    const connection = nextSession(f.engine);
    const { sid } = await pollingHandshake(f);
    const session = await connection;
    const reason = closed(session);
    // A POST whose body is still arriving holds the data slot.
    const { request } = await import("node:http");
    const slow = request({
      host: "127.0.0.1",
      port: f.port,
      method: "POST",
      path: `/engine.io/?EIO=4&transport=polling&sid=${sid}`,
      agent: false,
      headers: { "Content-Length": "100" },
    });
    slow.on("error", () => {});
    slow.write("4partial");
    const seen = new Promise<void>((resolve) => {
      f.http.once("request", () => setImmediate(resolve));
    });
    await seen;
    const second = await post(f, sid, "4x");
    assert.equal(second.status, 400);
    assert.equal(JSON.parse(second.body).code, 3);
    assert.equal((await reason)[0], "transport error");
    slow.destroy();
  });

  test("a POST body over maxHttpBufferSize is refused with 413 and the session keeps its queue", async () => {
    const g = await startEngine({ maxHttpBufferSize: 100 });
    const connection = nextSession(g.engine);
    const { sid, handshake } = await pollingHandshake(g);
    assert.equal(handshake.maxPayload, 100);
    const session = await connection;
    const messages: unknown[] = [];
    session.on("message", (m) => messages.push(m));
    session.send("kept");
    const big = await post(g, sid, `4${"x".repeat(200)}`);
    assert.equal(big.status, 413);
    assert.deepEqual(JSON.parse(big.body), {
      code: 3,
      message: "payload exceeds maxHttpBufferSize (100 bytes)",
    });
    assert.equal(session.readyState, "open");
    assert.deepEqual(messages, []);
    assert.equal((await poll(g, sid)).body, "4kept");
    assert.equal((await post(g, sid, "4small")).status, 200);
    assert.deepEqual(messages, ["small"]);
    await g.close();
  });

  test("a chunked POST growing past maxHttpBufferSize is refused too", async () => {
    const g = await startEngine({ maxHttpBufferSize: 1000 });
    const { sid } = await pollingHandshake(g);
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port: g.port,
          method: "POST",
          path: `/engine.io/?EIO=4&transport=polling&sid=${sid}`,
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.write(`4${"y".repeat(600)}`);
      req.end("y".repeat(600));
    });
    assert.equal(status, 413);
    assert.equal(g.engine.sessions.get(sid)?.readyState, "open");
    await g.close();
  });

  for (const [label, body] of [
    ["an empty body", ""],
    ["an unknown packet type", "9oops"],
    ["bad base64", "b!!!"],
    ["an empty packet between separators", `4a${RS}${RS}4b`],
  ] as const) {
    test(`malformed POST (${label}) → 400 and the session closes with 'parse error'`, async () => {
      const connection = nextSession(f.engine);
      const { sid } = await pollingHandshake(f);
      const session = await connection;
      const reason = closed(session);
      const messages: unknown[] = [];
      session.on("message", (m) => messages.push(m));
      const res = await post(f, sid, body);
      assert.equal(res.status, 400);
      assert.equal(JSON.parse(res.body).code, 3);
      const [why, description] = await reason;
      assert.equal(why, "parse error");
      assert.equal(typeof description, "string");
      assert.deepEqual(messages, []);
    });
  }

  test("too many packets in one body → parse error (maxPacketsPerPayload)", async () => {
    const g = await startEngine({ maxPacketsPerPayload: 3 });
    const connection = nextSession(g.engine);
    const { sid } = await pollingHandshake(g);
    const session = await connection;
    const reason = closed(session);
    assert.equal((await post(g, sid, ["4a", "4b", "4c", "4d"].join(RS))).status, 400);
    assert.equal((await reason)[0], "parse error");
    await g.close();
  });

  test("requests outside the path are left to the application", async () => {
    const res = await rawRequest(f.port, "GET", "/other?EIO=4&transport=polling");
    assert.equal(res.status, 404);
    assert.equal(res.body, "not engine");
    // Everything under the path is the engine's, as with engine.io (the served client is routed before it).
    const nested = await rawRequest(f.port, "GET", "/engine.io/socket.io.js");
    assert.equal(nested.status, 400);
    assert.equal(JSON.parse(nested.body).code, 0);
  });

  test("the path matches with and without its trailing slash", async () => {
    const res = await rawRequest(f.port, "GET", "/engine.io?EIO=4&transport=polling");
    assert.equal(res.status, 200);
    const sid = JSON.parse(res.body.slice(1)).sid as string;
    f.engine.sessions.get(sid)?.close();
  });
});

describe("polling options", () => {
  test("httpCompression gzips responses above the threshold", async () => {
    const g = await startEngine({ httpCompression: { threshold: 100 } });
    const connection = nextSession(g.engine);
    const { sid } = await pollingHandshake(g);
    const session = await connection;
    session.send("z".repeat(500));
    const res = await rawRequest(g.port, "GET", `/engine.io/?EIO=4&transport=polling&sid=${sid}`, undefined, {
      "Accept-Encoding": "gzip, deflate",
    });
    assert.equal(res.headers["content-encoding"], "gzip");
    assert.equal(gunzipSync(res.raw).toString(), `4${"z".repeat(500)}`);
    session.send("small");
    const small = await rawRequest(
      g.port,
      "GET",
      `/engine.io/?EIO=4&transport=polling&sid=${sid}`,
      undefined,
      {
        "Accept-Encoding": "gzip",
      },
    );
    assert.equal(small.headers["content-encoding"], undefined);
    assert.equal(small.body, "4small");
    await g.close();
  });

  test("cookie sets the sid cookie on the handshake", async () => {
    const g = await startEngine({ cookie: { name: "io", sameSite: "strict" } });
    const res = await rawRequest(g.port, "GET", "/engine.io/?EIO=4&transport=polling");
    const sid = JSON.parse(res.body.slice(1)).sid as string;
    assert.deepEqual(res.headers["set-cookie"], [`io=${sid}; Path=/; HttpOnly; SameSite=Strict`]);
    await g.close();
  });

  test("initial_headers and headers listeners edit polling responses", async () => {
    const g = await startEngine({ cookie: true });
    g.engine.on("initial_headers", (headers, req) => {
      assert.ok(req.url?.includes("transport=polling"));
      assert.match(String(headers["Set-Cookie"]), /^io=/);
      headers["X-Initial"] = "yes";
    });
    g.engine.on("headers", (headers) => {
      headers["X-Every"] = "1";
    });
    const first = await rawRequest(g.port, "GET", "/engine.io/?EIO=4&transport=polling");
    assert.equal(first.headers["x-initial"], "yes");
    assert.equal(first.headers["x-every"], "1");
    assert.match(String(first.headers["set-cookie"]), /^io=.*; Path=\/; HttpOnly; SameSite=Lax$/);
    const sid = JSON.parse(first.body.slice(1)).sid as string;
    g.engine.sessions.get(sid)!.send("m");
    const next = await rawRequest(g.port, "GET", `/engine.io/?EIO=4&transport=polling&sid=${sid}`);
    assert.equal(next.headers["x-initial"], undefined);
    assert.equal(next.headers["x-every"], "1");
    await g.close();
  });

  test("cors: preflight answered with 204, allowed origin reflected with credentials", async () => {
    const g = await startEngine({
      cors: { origin: ["https://app.example"], credentials: true, methods: ["GET", "POST"], maxAge: 600 },
    });
    const pre = await rawRequest(g.port, "OPTIONS", "/engine.io/?EIO=4&transport=polling", undefined, {
      Origin: "https://app.example",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type",
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers["access-control-allow-origin"], "https://app.example");
    assert.equal(pre.headers["access-control-allow-credentials"], "true");
    assert.equal(pre.headers["access-control-allow-methods"], "GET,POST");
    assert.equal(pre.headers["access-control-allow-headers"], "content-type");
    assert.equal(pre.headers["access-control-max-age"], "600");
    const ok = await rawRequest(g.port, "GET", "/engine.io/?EIO=4&transport=polling", undefined, {
      Origin: "https://app.example",
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers["access-control-allow-origin"], "https://app.example");
    const other = await rawRequest(g.port, "GET", "/engine.io/?EIO=4&transport=polling", undefined, {
      Origin: "https://evil.example",
    });
    assert.equal(other.headers["access-control-allow-origin"], undefined);
    // Errors carry the CORS headers too, so the browser can read them.
    const bad = await rawRequest(g.port, "GET", "/engine.io/?EIO=4&transport=nope", undefined, {
      Origin: "https://app.example",
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers["access-control-allow-origin"], "https://app.example");
    await g.close();
  });

  test("cors origin as a function", async () => {
    const g = await startEngine({
      cors: { origin: (origin, cb) => setImmediate(() => cb(null, origin === "https://ok.example")) },
    });
    const yes = await rawRequest(g.port, "GET", "/engine.io/?EIO=4&transport=polling", undefined, {
      Origin: "https://ok.example",
    });
    assert.equal(yes.headers["access-control-allow-origin"], "https://ok.example");
    const no = await rawRequest(g.port, "GET", "/engine.io/?EIO=4&transport=polling", undefined, {
      Origin: "https://no.example",
    });
    assert.equal(no.headers["access-control-allow-origin"], undefined);
    await g.close();
  });

  test("invalid options are refused with a TypeError naming the option", async () => {
    const { EngineServer } = await import("@volley/engine");
    assert.throws(() => new EngineServer({ pingInterval: -1 }), /pingInterval/);
    assert.throws(() => new EngineServer({ maxHttpBufferSize: Number.NaN }), /maxHttpBufferSize/);
    assert.throws(() => new EngineServer({ transports: ["carrier-pigeon" as "polling"] }), /transports/);
    assert.throws(() => new EngineServer({ path: "engine" }), /path/);
    assert.throws(() => new EngineServer({ flushSliceMs: 0 }), /flushSliceMs/);
  });
});
