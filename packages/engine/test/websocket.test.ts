import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { closed, type Fixture, nextSession, rawWebSocket, startEngine, webSocketSession } from "./helpers.js";

describe("websocket transport (raw ws client)", () => {
  let f: Fixture;
  before(async () => {
    f = await startEngine({ pingInterval: 60_000, pingTimeout: 60_000 });
  });
  after(() => f.close());

  test("handshake: the open packet is the first text frame, no upgrades", async () => {
    const connection = nextSession(f.engine);
    const c = await rawWebSocket(f, "");
    const open = (await c.next()) as string;
    assert.equal(open[0], "0");
    const handshake = JSON.parse(open.slice(1));
    assert.deepEqual(handshake.upgrades, []);
    const session = await connection;
    assert.equal(handshake.sid, session.id);
    assert.equal(session.transport.name, "websocket");
    c.ws.close();
    assert.equal((await closed(session))[0], "transport close");
  });

  test("text frames carry '4…', binary frames carry raw bytes, both ways", async () => {
    const { c, session } = await webSocketSession(f);
    const got: unknown[] = [];
    const two = new Promise<void>((resolve) =>
      session.on("message", (m) => {
        got.push(m);
        if (got.length === 2) resolve();
      }),
    );
    c.ws.send("4hi");
    c.ws.send(Buffer.from([1, 2]));
    await two;
    assert.deepEqual(got, ["hi", Buffer.from([1, 2])]);
    session.send("yo");
    session.send(new Uint8Array([3, 4]));
    session.send(new Uint8Array([0, 5, 6, 0]).subarray(1, 3));
    assert.equal(await c.next(), "4yo");
    assert.deepEqual(await c.next(), Buffer.from([3, 4]));
    assert.deepEqual(await c.next(), Buffer.from([5, 6]));
    c.ws.close();
    await closed(session);
  });

  for (const [label, frame] of [
    ["an unknown packet type", "9x"],
    ["an empty text frame", ""],
    ["a base64 packet with bad base64", "b%%%"],
  ] as const) {
    test(`a malformed frame (${label}) closes the session with 'parse error'`, async () => {
      const { c, session } = await webSocketSession(f);
      const reason = closed(session);
      c.ws.send(frame);
      assert.equal((await reason)[0], "parse error");
      await c.closed;
    });
  }

  test("a message over maxHttpBufferSize closes the connection (1009) and the session", async () => {
    const g = await startEngine({ maxHttpBufferSize: 64 });
    const { c, session } = await webSocketSession(g);
    const reason = closed(session);
    c.ws.send(`4${"x".repeat(100)}`);
    assert.equal(await c.closed, 1009);
    assert.match((await reason)[0], /transport (close|error)/);
    await g.close();
  });

  test("a close packet from the client closes with 'transport close'", async () => {
    const { c, session } = await webSocketSession(f);
    const reason = closed(session);
    c.ws.send("1");
    assert.equal((await reason)[0], "transport close");
    await c.closed;
  });

  test("server close flushes what is queued, then closes the connection", async () => {
    const { c, session } = await webSocketSession(f);
    session.send("bye");
    session.close();
    assert.equal(await c.next(), "4bye");
    await c.closed;
  });

  test("send callbacks run after the write; packets of one tick leave in one socket write", async () => {
    const { c, session } = await webSocketSession(f);
    // Count the chunks the stream hands to the kernel: _write (one buffer) or _writev (a corked batch).
    const socket = session.request.socket as unknown as Record<
      "_write" | "_writev",
      (...a: unknown[]) => unknown
    >;
    const original = { _write: socket._write, _writev: socket._writev };
    let writes = 0;
    for (const key of ["_write", "_writev"] as const) {
      const fn = original[key];
      socket[key] = function (this: unknown, ...args: unknown[]) {
        writes++;
        return fn.apply(this, args);
      };
    }
    let acked = 0;
    for (let i = 0; i < 10; i++) session.send(`m${i}`, undefined, () => acked++);
    for (let i = 0; i < 10; i++) assert.equal(await c.next(), `4m${i}`);
    assert.equal(writes, 1);
    assert.equal(acked, 10);
    socket._write = original._write;
    socket._writev = original._writev;
    c.ws.close();
    await closed(session);
  });

  test("heartbeat over websocket: no pong closes with 'ping timeout'", async () => {
    const g = await startEngine({ pingInterval: 20, pingTimeout: 20 });
    const { c, session } = await webSocketSession(g);
    assert.equal(await c.next(), "2");
    assert.equal((await closed(session))[0], "ping timeout");
    await c.closed;
    await g.close();
  });

  test("heartbeat over websocket: pongs keep it open", async () => {
    const g = await startEngine({ pingInterval: 15, pingTimeout: 100 });
    const { c, session } = await webSocketSession(g);
    for (let i = 0; i < 3; i++) {
      assert.equal(await c.next(), "2");
      c.ws.send("3");
    }
    assert.equal(session.readyState, "open");
    c.ws.close();
    await once(session, "close");
    await g.close();
  });

  test("a websocket handshake carries the session cookie and the headers listeners' headers", async () => {
    const g = await startEngine({ cookie: { name: "sticky" } });
    g.engine.on("initial_headers", (headers) => {
      headers["X-Initial"] = "ws";
    });
    const { WebSocket } = await import("ws");
    const ws = new WebSocket(`ws://127.0.0.1:${g.port}/engine.io/?EIO=4&transport=websocket`);
    const upgrade = once(ws, "upgrade");
    const message = once(ws, "message");
    const [res] = (await upgrade) as [import("node:http").IncomingMessage];
    const [open] = (await message) as [Buffer];
    const sid = JSON.parse(open.toString().slice(1)).sid as string;
    assert.deepEqual(res.headers["set-cookie"], [`sticky=${sid}; Path=/; HttpOnly; SameSite=Lax`]);
    assert.equal(res.headers["x-initial"], "ws");
    ws.close();
    await once(ws, "close");
    await g.close();
  });

  test("perMessageDeflate is negotiated and large messages round-trip compressed", async () => {
    const g = await startEngine({ perMessageDeflate: true });
    const { c, session } = await webSocketSession(g);
    assert.match(c.ws.extensions, /permessage-deflate/);
    const big = "compress me ".repeat(1000);
    const got = once(session, "message");
    c.ws.send(`4${big}`);
    assert.deepEqual(await got, [big]);
    session.send(big, { compress: true });
    assert.equal(await c.next(), `4${big}`);
    c.ws.close();
    await closed(session);
    await g.close();
  });

  test("transports: ['polling'] announces no upgrades and refuses websocket with code 0", async () => {
    const g = await startEngine({ transports: ["polling"] });
    const { pollingHandshake } = await import("./helpers.js");
    const { handshake, sid } = await pollingHandshake(g);
    assert.deepEqual(handshake.upgrades, []);
    await assert.rejects(rawWebSocket(g, `&sid=${sid}`), /400/);
    await g.close();
  });

  test("transports: ['websocket'] refuses polling with code 0", async () => {
    const g = await startEngine({ transports: ["websocket"] });
    const { rawRequest } = await import("./helpers.js");
    const res = await rawRequest(g.port, "GET", "/engine.io/?EIO=4&transport=polling");
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.body).code, 0);
    await g.close();
  });
});
