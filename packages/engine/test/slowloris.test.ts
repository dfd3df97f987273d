// hardenHttpServer (issue 11 item 5): slowloris sockets dribbling header bytes are cut at headersTimeout
// with a 408, while a normal client keeps working.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";
import { test } from "node:test";
import { EngineServer, HTTP_HARDENING_DEFAULTS, hardenHttpServer } from "@volley/engine";
import { EngineClient } from "@volley/engine/client";

test("hardenHttpServer: defaults and validation", () => {
  const server = hardenHttpServer(createServer());
  assert.equal(server.headersTimeout, HTTP_HARDENING_DEFAULTS.headersTimeout);
  assert.equal(server.requestTimeout, 30_000);
  assert.equal(server.keepAliveTimeout, 5_000);
  assert.equal(server.maxConnections, 100_000);
  assert.throws(() => hardenHttpServer(createServer(), { headersTimeout: -1 }), /headersTimeout/);
});

test("200 slowloris sockets are cut with 408 at headersTimeout; a normal client keeps working", async () => {
  const headersTimeout = 400;
  const http = hardenHttpServer(createServer(), {
    headersTimeout,
    requestTimeout: 2000,
    connectionsCheckingInterval: 50,
  });
  const engine = new EngineServer({ pingInterval: 60_000, pingTimeout: 60_000 });
  engine.attach(http);
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const { port } = http.address() as AddressInfo;

  const request = "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ";
  const attackers: Array<Promise<{ answer: string; lived: number }>> = [];
  const sockets: Socket[] = [];
  // The attack: one header byte every 20 ms per socket, never finishing the headers.
  const dribble = setInterval(() => {
    for (const socket of sockets) if (!socket.destroyed) socket.write("a");
  }, 20);
  for (let i = 0; i < 200; i++) {
    const socket = connect(port, "127.0.0.1");
    sockets.push(socket);
    const started = performance.now();
    socket.on("error", () => {});
    socket.write(request);
    const received: Buffer[] = [];
    socket.on("data", (c: Buffer) => received.push(c));
    attackers.push(
      new Promise((resolve) =>
        socket.on("close", () =>
          resolve({
            answer: Buffer.concat(received).toString("latin1"),
            lived: performance.now() - started,
          }),
        ),
      ),
    );
  }
  try {
    // Meanwhile a normal client connects, exchanges a message, and leaves.
    const client = new EngineClient(`http://127.0.0.1:${port}`, { transports: ["polling"] });
    const session = await new Promise<import("@volley/engine").EngineSocket>((resolve) =>
      engine.once("connection", resolve),
    );
    const echoed = new Promise((resolve) => client.once("message", resolve));
    session.on("message", (m) => session.send(m));
    await new Promise((resolve) => client.once("open", resolve));
    client.send("still here");
    assert.equal(await echoed, "still here");
    client.close();

    // Bounded: each attacker must be gone well before the default 60 s header timeout of Node.
    const guard = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("attackers still connected after 15 s")), 15_000).unref(),
    );
    const results = await Promise.race([Promise.all(attackers), guard]);
    for (const { answer, lived } of results) {
      assert.match(answer, /^HTTP\/1\.1 408 /);
      assert.ok(lived >= headersTimeout - 50, `cut after ${lived} ms`);
    }
  } finally {
    clearInterval(dribble);
    for (const socket of sockets) socket.destroy();
    await engine.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
});
