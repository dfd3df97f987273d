// The opening handshake (RFC 6455 §4): header parsing, and every way a request or response can be bad.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { acceptKey, headerHasToken, parseExtensions, parseProtocols } from "../src/handshake.js";
import { WebSocket, WebSocketError, type WebSocketServer } from "../src/index.js";
import {
  closed,
  rawConnect,
  rawRequest,
  startRawServer,
  startServer,
  stopServer,
  upgradeRequest,
} from "./helpers.js";

describe("handshake helpers", () => {
  test("Sec-WebSocket-Accept of the RFC 6455 §1.3 example", () => {
    assert.equal(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  });

  test("comma lists are matched by token, case-insensitively", () => {
    assert.ok(headerHasToken("keep-alive, Upgrade", "upgrade"));
    assert.ok(headerHasToken("WebSocket", "websocket"));
    assert.ok(!headerHasToken("upgrades", "upgrade"));
    assert.ok(!headerHasToken(undefined, "upgrade"));
  });

  test("subprotocol lists", () => {
    assert.deepEqual([...parseProtocols("chat, superchat")!], ["chat", "superchat"]);
    assert.equal(parseProtocols("chat, chat"), null);
    assert.equal(parseProtocols("a b"), null);
    assert.equal(parseProtocols("a,,b"), null);
  });

  test("extension lists with parameters and quoted values", () => {
    assert.deepEqual(
      parseExtensions('permessage-deflate; client_max_window_bits; server_max_window_bits="10", x'),
      [
        {
          name: "permessage-deflate",
          params: [
            ["client_max_window_bits", true],
            ["server_max_window_bits", "10"],
          ],
        },
        { name: "x", params: [] },
      ],
    );
    for (const bad of ["", ";a", "a;", "a; b=", 'a; b="1', "a,", "a b", 'a; b="x y"']) {
      assert.equal(parseExtensions(bad), null, bad);
    }
  });
});

describe("server handshake", () => {
  let wss: WebSocketServer;
  let port: number;
  let connections = 0;

  before(async () => {
    const started = await startServer({
      perMessageDeflate: true,
      verifyClient: ({ req }) => req.headers["x-deny"] === undefined,
    });
    wss = started.wss;
    port = started.port;
    wss.on("connection", () => connections++);
  });

  after(() => stopServer(wss));

  const valid = upgradeRequest();
  const without = (name: string) =>
    valid
      .split("\r\n")
      .filter((line) => !line.toLowerCase().startsWith(name))
      .join("\r\n");
  const replace = (name: string, line: string) =>
    valid
      .split("\r\n")
      .map((l) => (l.toLowerCase().startsWith(name) ? line : l))
      .join("\r\n");

  const cases: Array<[string, string, number, RegExp]> = [
    ["POST", valid.replace("GET", "POST"), 405, /method/],
    ["HTTP/1.0", valid.replace("HTTP/1.1", "HTTP/1.0"), 400, /HTTP\/1\.1/],
    // Node itself routes a request without Upgrade (or Connection: upgrade) to the plain request path.
    [
      "no Upgrade",
      without("upgrade").replace("Connection: Upgrade", "Connection: close"),
      426,
      /Upgrade Required/,
    ],
    ["Upgrade: h2c", replace("upgrade", "Upgrade: h2c"), 400, /Upgrade/],
    ["Connection: close", replace("connection", "Connection: close"), 426, /Upgrade Required/],
    ["no key", without("sec-websocket-key"), 400, /Key/],
    ["short key", replace("sec-websocket-key", "Sec-WebSocket-Key: AAAA"), 400, /Key/],
    ["version 8", replace("sec-websocket-version", "Sec-WebSocket-Version: 8"), 426, /version/],
    ["no version", without("sec-websocket-version"), 426, /version/],
    [
      "bad subprotocol list",
      valid.replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: a b\r\n\r\n"),
      400,
      /Protocol/,
    ],
    [
      "bad extension list",
      valid.replace("\r\n\r\n", "\r\nSec-WebSocket-Extensions: ;;\r\n\r\n"),
      400,
      /Extensions/,
    ],
    ["verifyClient refuses", valid.replace("\r\n\r\n", "\r\nX-Deny: 1\r\n\r\n"), 401, /Unauthorized/],
  ];
  for (const [name, request, status, reason] of cases) {
    test(`${name} → ${status} with a reason, never a connection`, async () => {
      const before = connections;
      const response = await rawRequest(port, request);
      assert.equal(response.status, status);
      assert.match(response.body, reason);
      if (name.startsWith("version") || name === "no version") {
        assert.match(response.head, /Sec-WebSocket-Version: 13/i);
      }
      assert.equal(connections, before);
    });
  }

  test("a valid request with comma lists and mixed case is accepted", async () => {
    const { socket, head } = await rawConnect(port, []);
    assert.match(head, /^HTTP\/1\.1 101/);
    socket.destroy();
    const request = upgradeRequest()
      .replace("Upgrade: websocket", "Upgrade: WebSocket")
      .replace("Connection: Upgrade", "Connection: keep-alive, UPGRADE");
    const connected = once(wss, "connection");
    const { createConnection } = await import("node:net");
    const raw = createConnection(port, "127.0.0.1");
    raw.write(request);
    const [ws] = (await connected) as [WebSocket];
    ws.terminate();
    raw.destroy();
  });

  test("plain HTTP requests to a port server get 426", async () => {
    const response = await rawRequest(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.equal(response.status, 426);
  });

  test("async verifyClient can reject with its own code and message", async () => {
    const started = await startServer({
      verifyClient: (_info, done) => setImmediate(() => done(false, 403, "go away")),
    });
    const response = await rawRequest(started.port, upgradeRequest());
    assert.equal(response.status, 403);
    assert.equal(response.body, "go away");
    await stopServer(started.wss);
  });

  test("noServer + handleUpgrade, as the engine uses it", async () => {
    const { WebSocketServer: Server } = await import("../src/index.js");
    const wss2 = new Server({
      noServer: true,
      clientTracking: false,
      maxPayload: 100,
      perMessageDeflate: false,
    });
    const http = createServer();
    http.on("upgrade", (req, socket, head) => {
      wss2.handleUpgrade(req, socket, head, (ws) => {
        ws.on("message", (data: Buffer) => ws.send(data));
      });
    });
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
    await once(client, "open");
    client.send("engine");
    assert.equal(String((await once(client, "message"))[0]), "engine");
    assert.equal(wss2.clients.size, 0);
    client.close();
    await once(client, "close");
    wss2.close();
    http.close();
    await once(http, "close");
  });
});

describe("client handshake", () => {
  async function failWith(
    extraResponse: string[],
    options: ConstructorParameters<typeof WebSocket>[2] = {},
  ): Promise<WebSocketError> {
    const { server, url } = await startRawServer((socket) => socket.resume(), extraResponse);
    const client = new WebSocket(url, ["chat"], options);
    const errored = new Promise<WebSocketError>((resolve) => client.on("error", resolve));
    const [code] = await closed(client);
    assert.equal(code, 1006);
    assert.equal(client.readyState, WebSocket.CLOSED);
    server.close();
    await once(server, "close");
    return errored;
  }

  test("a subprotocol that was not offered fails the connection", async () => {
    const error = await failWith(["Sec-WebSocket-Protocol: other"]);
    assert.equal(error.code, "HANDSHAKE_FAILED");
  });

  test("an extension that was not offered fails the connection", async () => {
    const error = await failWith(["Sec-WebSocket-Extensions: x-unknown"]);
    assert.match(error.message, /not offered/);
  });

  test("an invalid permessage-deflate response fails the connection", async () => {
    const error = await failWith(["Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=16"]);
    assert.match(error.message, /server_max_window_bits/);
  });

  test("a wrong Sec-WebSocket-Accept fails the connection", async () => {
    const { createServer: createNetServer } = await import("node:net");
    const server = createNetServer((socket) => {
      socket.on("error", () => {});
      socket.once("data", () => {
        socket.end(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: bogus\r\n\r\n",
        );
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const errored = new Promise<WebSocketError>((resolve) => client.on("error", resolve));
    await closed(client);
    assert.match((await errored).message, /Sec-WebSocket-Accept/);
    server.close();
    await once(server, "close");
  });

  test("a non-101 response fails with its status code", async () => {
    const http = createServer((_req, res) => res.writeHead(404).end());
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`);
    const errored = new Promise<WebSocketError>((resolve) => client.on("error", resolve));
    await closed(client);
    const error = await errored;
    assert.equal(error.statusCode, 404);
    http.close();
    await once(http, "close");
  });

  test("a server that never answers hits handshakeTimeout", async () => {
    const { createServer: createNetServer } = await import("node:net");
    const sockets: Array<{ destroy(): void }> = [];
    const server = createNetServer((socket) => {
      sockets.push(socket);
      socket.on("error", () => {});
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, {
      handshakeTimeout: 30,
    });
    const errored = new Promise<WebSocketError>((resolve) => client.on("error", resolve));
    await closed(client);
    assert.equal((await errored).code, "HANDSHAKE_TIMEOUT");
    for (const s of sockets) s.destroy();
    server.close();
    await once(server, "close");
  });

  test("bad URLs and subprotocol lists throw at once", () => {
    assert.throws(() => new WebSocket("not a url"), WebSocketError);
    assert.throws(() => new WebSocket("ftp://127.0.0.1/"), /scheme/);
    assert.throws(() => new WebSocket("ws://127.0.0.1/#frag"), /fragment/);
    assert.throws(() => new WebSocket("ws://127.0.0.1/", ["a", "a"]), /subprotocol/);
  });

  test("send before open throws NOT_OPEN; close before open reports 1006", async () => {
    const { wss, url } = await startServer();
    const client = new WebSocket(url);
    assert.throws(() => client.send("x"), { code: "NOT_OPEN" });
    client.on("error", () => {});
    client.close();
    assert.equal((await closed(client))[0], 1006);
    await stopServer(wss);
  });
});
