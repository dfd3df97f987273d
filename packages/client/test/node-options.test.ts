// Node-side Manager options honoured at runtime against real servers: TLS (a self-signed certificate made
// at test time with openssl, trusted through `ca` or `rejectUnauthorized: false`), extraHeaders on polling
// and on the WebSocket upgrade, tryAllTransports, and the maxPayload check of emits (PAYLOAD_TOO_LARGE).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, type IncomingMessage } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { Server } from "socket.io";
import { type ClientError, io } from "../src/index.js";
import { cleanup, connected, next, startSocketIo } from "./helpers.js";

after(cleanup);

const openssl = spawnSync("openssl", ["version"], { encoding: "utf8" });
const noOpenssl = openssl.status !== 0 ? "openssl is not available: cannot make a test certificate" : false;

describe("TLS options (Node)", { skip: noOpenssl }, () => {
  for (const transport of ["polling", "websocket"] as const) {
    test(`${transport}: ca trusts the self-signed server; without it the connection is refused`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "volley-client-tls-"));
      const made = spawnSync(
        "openssl",
        [
          ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1"],
          ...["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
          ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
        ],
        { encoding: "utf8" },
      );
      assert.equal(made.status, 0, made.stderr);
      const key = readFileSync(join(dir, "key.pem"));
      const cert = readFileSync(join(dir, "cert.pem"));
      rmSync(dir, { recursive: true, force: true });
      const https = createHttpsServer({ key, cert });
      const server = new Server(https);
      https.listen(0, "127.0.0.1");
      await once(https, "listening");
      const url = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
      try {
        const trusted = io(url, { forceNew: true, transports: [transport], ca: cert });
        await connected(trusted);
        assert.equal(trusted.io.engine.transport.name, transport);
        trusted.disconnect();

        const lax = io(url, { forceNew: true, transports: [transport], rejectUnauthorized: false });
        await connected(lax);
        lax.disconnect();

        const refused = io(url, { forceNew: true, transports: [transport], reconnection: false });
        const [err] = await next<[Error]>(refused, "connect_error");
        assert.match(err.message, /self[- ]signed/i, "the platform's TLS error is named in the message");
        refused.disconnect();
      } finally {
        https.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  }
});

describe("extraHeaders and tryAllTransports (Node)", () => {
  test("extraHeaders reach the server on polling requests and on the WebSocket upgrade", async () => {
    const server = await startSocketIo();
    const seen: Array<[string, string | undefined]> = [];
    server.http.prependListener("request", (req) =>
      seen.push(["polling", req.headers["x-volley"] as string]),
    );
    server.http.prependListener("upgrade", (req) =>
      seen.push(["websocket", req.headers["x-volley"] as string]),
    );
    const socket = io(server.url, { forceNew: true, extraHeaders: { "x-volley": "yes" } });
    await connected(socket);
    if (socket.io.engine.transport.name !== "websocket") await next(socket.io.engine, "upgrade");
    socket.disconnect();
    assert.ok(seen.some(([t, v]) => t === "polling" && v === "yes"));
    assert.ok(seen.some(([t, v]) => t === "websocket" && v === "yes"));
    assert.ok(seen.every(([, v]) => v === "yes"));
  });

  test("tryAllTransports: a refused WebSocket gives way to polling", async () => {
    const server = await startSocketIo({ transports: ["polling"] });
    const socket = io(server.url, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket", "polling"],
      tryAllTransports: true,
    });
    await connected(socket);
    assert.equal(socket.io.engine.transport.name, "polling");
    socket.disconnect();
  });
});

describe("maxPayload from the handshake", () => {
  test("an emit larger than the server's limit fails at once, naming size and limit", async () => {
    const server = await startSocketIo({ maxHttpBufferSize: 1000 });
    const received: unknown[] = [];
    server.io.on("connection", (s) => {
      s.onAny((...args) => received.push(args.filter((a) => typeof a !== "function")));
      s.on("small", (n: number, ack: (n: number) => void) => ack(n));
    });
    const socket = io(server.url, { forceNew: true, transports: ["websocket"] });
    await connected(socket);
    const big = "x".repeat(2000);
    assert.throws(
      () => socket.emit("big", big),
      (err: ClientError) =>
        err.code === "PAYLOAD_TOO_LARGE" &&
        /2\d\d\d > 1000 bytes/.test(err.message) &&
        (err.data as { maxPayload: number }).maxPayload === 1000,
    );
    await assert.rejects(socket.timeout(5000).emitWithAck("big", big), { code: "PAYLOAD_TOO_LARGE" });
    // The connection is intact and nothing of the refused emits reached the server.
    assert.equal(await socket.emitWithAck("small", 1), 1);
    assert.deepEqual(received, [["small", 1]]);
    socket.disconnect();
  });
});

describe("agent, transportOptions, autoUnref (Node)", () => {
  for (const transport of ["polling", "websocket"] as const) {
    test(`${transport}: the given agent opens the connections`, async () => {
      const server = await startSocketIo();
      let opened = 0;
      class CountingAgent extends Agent {
        override createConnection(...args: Parameters<Agent["createConnection"]>) {
          opened++;
          return super.createConnection(...args);
        }
      }
      const agent = new CountingAgent();
      const socket = io(server.url, { forceNew: true, transports: [transport], agent });
      await connected(socket);
      socket.disconnect();
      agent.destroy();
      assert.ok(opened >= 1, `the agent opened ${opened} connections`);
    });

    test(`${transport}: autoUnref lets the process exit while connected`, async () => {
      const server = await startSocketIo();
      const child = spawn(
        process.execPath,
        [
          "--conditions=volley-source",
          "--import",
          "tsx",
          fileURLToPath(new URL("./fixtures/auto-unref-child.ts", import.meta.url)),
          server.url,
          transport,
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk;
      });
      const [code] = await once(child, "exit");
      assert.equal(out, `connected ${transport}\n`);
      assert.equal(code, 0, "exited by itself, connected");
    });
  }

  test("transportOptions: headers for polling only stay off the WebSocket upgrade", async () => {
    const server = await startSocketIo();
    const seen: Array<[string, string | undefined]> = [];
    server.http.prependListener("request", (req) =>
      seen.push(["polling", req.headers["x-polling"] as string]),
    );
    server.http.prependListener("upgrade", (req) =>
      seen.push(["websocket", req.headers["x-polling"] as string]),
    );
    const socket = io(server.url, {
      forceNew: true,
      transportOptions: { polling: { extraHeaders: { "x-polling": "1" } } },
    });
    await connected(socket);
    if (socket.io.engine.transport.name !== "websocket") await next(socket.io.engine, "upgrade");
    socket.disconnect();
    assert.ok(seen.filter(([t]) => t === "polling").every(([, v]) => v === "1"));
    assert.deepEqual(
      seen.filter(([t]) => t === "websocket"),
      [["websocket", undefined]],
    );
  });
});

describe("withCredentials (Node): a cookie jar", () => {
  test("a cookie the server sets is sent back on later polls, the upgrade and the next connection", async () => {
    const server = await startSocketIo();
    // As a load balancer's stickiness cookie: set on the handshake answer.
    server.io.engine.on("initial_headers", (headers: Record<string, string>) => {
      headers["set-cookie"] = "sticky=node-1; Path=/; HttpOnly";
    });
    const seen: Array<[string, string | undefined]> = [];
    const plainSeen: Array<string | undefined> = [];
    const record = (transport: string) => (req: IncomingMessage) =>
      req.url!.includes("who=plain")
        ? plainSeen.push(req.headers.cookie)
        : seen.push([transport, req.headers.cookie]);
    server.http.prependListener("request", record("polling"));
    server.http.prependListener("upgrade", record("websocket"));
    const socket = io(server.url, { forceNew: true, withCredentials: true, reconnectionDelay: 5 });
    await connected(socket);
    if (socket.io.engine.transport.name !== "websocket") await next(socket.io.engine, "upgrade");
    assert.equal(seen[0]![1], undefined, "nothing to send on the first handshake");
    assert.ok(seen.slice(1).length > 0);
    assert.ok(
      seen.slice(1).every(([, cookie]) => cookie === "sticky=node-1"),
      JSON.stringify(seen),
    );
    // A new connection of the same Manager (reconnection) sends it from its first request.
    const count = seen.length;
    socket.io.engine.close();
    await next(socket, "connect");
    assert.equal(seen[count]![1], "sticky=node-1");
    socket.disconnect();

    // Without withCredentials: never sent.
    const plain = io(server.url, { forceNew: true, transports: ["polling"], query: { who: "plain" } });
    await connected(plain);
    plain.disconnect();
    assert.ok(plainSeen.length >= 2);
    assert.ok(plainSeen.every((cookie) => cookie === undefined));
  });
});
