// Debug logs (issue 14, item 1): DEBUG patterns as Socket.IO users know them, switched at run time
// with enableDebug, and what each layer prints for a scripted scenario with real clients — never a
// payload. One test starts a child process with DEBUG set, as an operator would.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { after, afterEach, before, describe, test } from "node:test";
import { io as volleyClient } from "@volley/client";
import { io as ioc } from "socket.io-client";
import { createDebug, enableDebug, isDebugEnabled, Server, type Socket, setDebugOutput } from "volley";
import { next } from "./helpers.js";
import { ManualClock } from "../../engine/test/manual-clock.js";
import { RawClient } from "./raw-client.js";

describe("DEBUG patterns", () => {
  afterEach(() => {
    enableDebug("");
    setDebugOutput(undefined);
  });

  test("wildcards, lists separated by commas or spaces, exclusions", () => {
    enableDebug("volley*");
    assert.equal(isDebugEnabled("volley:engine"), true);
    assert.equal(isDebugEnabled("volley:server:packet"), true);
    assert.equal(isDebugEnabled("socket.io:server"), false);
    enableDebug("volley:*,-volley:server:packet");
    assert.equal(isDebugEnabled("volley:server"), true);
    assert.equal(isDebugEnabled("volley:server:packet"), false);
    enableDebug("volley:engine  volley:websocket");
    assert.equal(isDebugEnabled("volley:engine"), true);
    assert.equal(isDebugEnabled("volley:websocket"), true);
    assert.equal(isDebugEnabled("volley:engine:upgrade"), false, "no implicit sub-namespaces");
    enableDebug("*,-volley:engine*");
    assert.equal(isDebugEnabled("volley:engine:heartbeat"), false);
    assert.equal(isDebugEnabled("volley:redis"), true);
    enableDebug("volley:a.b");
    assert.equal(isDebugEnabled("volley:aXb"), false, "regex characters are literal");
    enableDebug("");
    assert.equal(isDebugEnabled("volley:engine"), false);
  });

  test("loggers made before a change follow it; lines are formatted only when enabled", () => {
    const logger = createDebug("volley:test");
    assert.equal(logger.enabled, false);
    const lines: string[] = [];
    setDebugOutput((line) => lines.push(line));
    logger.log("not printed %s", "x");
    enableDebug("volley:test");
    assert.equal(logger.enabled, true);
    logger.log("%s=%d %j 100%% %s", "a", 42, { b: [1] }, "extra", 7);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z volley:test a=42 \{"b":\[1\]\} 100% extra 7$/,
    );
    assert.equal(logger.extend("sub").namespace, "volley:test:sub");
    enableDebug("-volley:test");
    assert.equal(logger.enabled, false);
  });
});

describe("what each layer prints", () => {
  const clock = new ManualClock();
  let http: HttpServer;
  let io: Server;
  let url: string;
  let port: number;
  const lines: string[] = [];

  before(async () => {
    setDebugOutput((line) => lines.push(line));
    enableDebug("volley*");
    http = createServer();
    io = new Server(http, { clock, pingInterval: 1000, pingTimeout: 500 });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    port = (http.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
    io.of("/private").use((_socket, next) => next(new Error("not allowed")));
    io.on("connection", (socket: Socket) => {
      socket.on("secret", (_value: unknown, ack: (v: string) => void) => ack("ok"));
    });
  });

  after(async () => {
    enableDebug("");
    setDebugOutput(undefined);
    await io.close();
  });

  const find = (pattern: RegExp): string | undefined => lines.find((line) => pattern.test(line));

  test("a refused handshake, with its reason", async () => {
    const res = await fetch(`${url}/socket.io/?EIO=3&transport=polling`);
    await res.text();
    assert.ok(
      find(
        / volley:engine refused GET \/socket\.io\/\?EIO=3&transport=polling: Unsupported protocol version \(UNSUPPORTED_PROTOCOL_VERSION\)$/,
      ),
      lines.join("\n"),
    );
  });

  test("handshake, upgrade, packets in and out (type, namespace, size), no payload, disconnect reason", async () => {
    const client = ioc(url, { forceNew: true, reconnection: false });
    const joined = next<[Socket]>(io, "connection");
    await next(client, "connect");
    const [socket] = await joined;
    if (socket.conn.transport.name !== "websocket") await next(socket.conn, "upgrade");
    const sid = socket.conn.id;
    assert.equal(await client.emitWithAck("secret", "hunter2-payload"), "ok");
    const gone = next(socket, "disconnect");
    const closed = next(socket.conn, "close");
    client.disconnect();
    await gone;
    await closed;
    assert.ok(
      find(new RegExp(` volley:engine handshake ${sid} on polling from 127\\.0\\.0\\.1$`)),
      lines.join("\n"),
    );
    assert.ok(find(/ volley:websocket handshake accepted: \/socket\.io\/\?EIO=4&transport=websocket&sid=/));
    assert.ok(find(new RegExp(` volley:engine:upgrade ${sid}: upgraded to websocket$`)));
    assert.ok(find(new RegExp(` volley:server socket ${socket.id} connected to / on polling \\(${sid}\\)$`)));
    assert.ok(find(new RegExp(` volley:server:packet ${sid} < CONNECT / \\(\\d+ bytes\\)$`)));
    assert.ok(find(new RegExp(` volley:server:packet ${sid} < EVENT / id 0 \\(\\d+ bytes\\)$`)));
    assert.ok(find(new RegExp(` volley:server:packet ${sid} > ACK / id 0 \\(\\d+ bytes\\)$`)));
    assert.ok(find(new RegExp(` volley:server socket ${socket.id} left /: client namespace disconnect$`)));
    assert.ok(find(new RegExp(` volley:engine ${sid} closed on websocket: transport close$`)));
    assert.deepEqual(
      lines.filter((line) => line.includes("hunter2")),
      [],
      "payloads are never printed",
    );
  });

  test("a namespace refused by a middleware", async () => {
    const client = volleyClient(`${url}/private`, {
      forceNew: true,
      reconnection: false,
      transports: ["websocket"],
    });
    await next(client, "connect_error");
    client.disconnect();
    assert.ok(find(/ volley:server CONNECT to \/private refused by a middleware: not allowed$/));
  });

  test("a missed heartbeat", async () => {
    const raw = new RawClient(port);
    raw.autoPong = false;
    const joined = next<[Socket]>(io, "connection");
    await raw.connect();
    const [socket] = await joined;
    const sid = socket.conn.id;
    const gone = next(socket, "disconnect");
    clock.advance(1000 + 500);
    await gone;
    await raw.close();
    assert.ok(find(new RegExp(` volley:engine:heartbeat ${sid}: heartbeat missed`)));
    assert.ok(find(new RegExp(` volley:server socket ${socket.id} left /: ping timeout$`)));
  });

  test("nothing is printed once the patterns are cleared", async () => {
    enableDebug("");
    const before = lines.length;
    const res = await fetch(`${url}/socket.io/?EIO=3&transport=polling`);
    await res.text();
    const client = ioc(url, { forceNew: true, reconnection: false, transports: ["websocket"] });
    await next(client, "connect");
    client.disconnect();
    assert.equal(lines.length, before);
  });
});

test("DEBUG in the environment of a process, with an exclusion", async () => {
  const fixture = fileURLToPath(new URL("./fixtures/debug-child.ts", import.meta.url));
  const child = spawn(process.execPath, ["--conditions=volley-source", "--import", "tsx", fixture], {
    env: { ...process.env, DEBUG: "volley*,-volley:server*" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const [code] = await once(child, "exit");
  assert.equal(code, 0, stderr);
  assert.match(
    stderr,
    / volley:engine refused GET .*: Unsupported protocol version \(UNSUPPORTED_PROTOCOL_VERSION\)/,
  );
  assert.match(stderr, / volley:engine handshake \S+ on websocket from 127\.0\.0\.1/);
  assert.doesNotMatch(stderr, / volley:server/);
});
