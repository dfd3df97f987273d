// Interop with the real peer `ws`, both ways: our server ↔ `ws` client, `ws` server ↔ our client.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import WsWebSocket, { type WebSocketServer as WsServer } from "ws";
import {
  type ClientOptions,
  type PerMessageDeflateOptions,
  WebSocket,
  type WebSocketServer,
} from "../src/index.js";
import { startServer, startWsServer, stopServer } from "./helpers.js";

type AnySocket = {
  send(data: unknown, options?: { binary?: boolean; fin?: boolean; compress?: boolean }): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
};

/** Echo server: sends every message back as it came (text as text, binary as binary). */
function echo(wss: WebSocketServer | WsServer): void {
  (wss as unknown as { on(e: string, l: (ws: AnySocket) => void): void }).on("connection", (ws) => {
    ws.on("message", ((data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })) as never);
  });
}

async function roundTrip(
  client: AnySocket,
  data: string | Buffer,
  options?: { fin?: boolean },
): Promise<[Buffer, boolean]> {
  const reply = once(client as never, "message") as Promise<[Buffer, boolean]>;
  client.send(data, options);
  return reply;
}

const MESSAGES: Array<[string, string | Buffer]> = [
  ["text", "héllo wörld ✓ 😀"],
  ["binary", Buffer.from([0, 1, 2, 254, 255])],
  ["empty text", ""],
  ["empty binary", Buffer.alloc(0)],
  ["125 bytes", Buffer.alloc(125, 7)],
  ["126 bytes", Buffer.alloc(126, 7)],
  ["65535 bytes", Buffer.alloc(65535, 7)],
  ["65536 bytes", Buffer.alloc(65536, 7)],
];

describe("our server ↔ ws client", () => {
  test("messages of every kind and length come back identical", async () => {
    const { wss, url } = await startServer();
    echo(wss);
    const client = new WsWebSocket(url);
    await once(client, "open");
    for (const [name, data] of MESSAGES) {
      const [reply, isBinary] = await roundTrip(client, data);
      assert.equal(isBinary, typeof data !== "string", name);
      assert.deepEqual(reply, Buffer.from(data), name);
    }
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  test("16 MB message with maxPayload raised on both sides", async () => {
    const big = 16 * 1024 * 1024;
    const { wss, url } = await startServer({ maxPayload: big + 1 });
    echo(wss);
    const client = new WsWebSocket(url, { maxPayload: big + 1 });
    await once(client, "open");
    const data = Buffer.alloc(big, 0x61);
    data[big - 1] = 0x62;
    const [reply, isBinary] = await roundTrip(client, data);
    assert.equal(isBinary, true);
    assert.equal(reply.length, big);
    assert.ok(reply.equals(data));
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  test("fragmented messages from ws are reassembled", async () => {
    const { wss, url } = await startServer();
    echo(wss);
    const client = new WsWebSocket(url);
    await once(client, "open");
    const reply = once(client, "message");
    client.send("frag", { fin: false });
    client.ping("in between");
    client.send("men", { fin: false });
    client.send("ted", { fin: true });
    const [data, isBinary] = await reply;
    assert.equal(isBinary, false);
    assert.equal(data.toString(), "fragmented");
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  test("ping and pong both ways, automatic pong with the same payload", async () => {
    const { wss, url } = await startServer();
    const serverSide = once(wss, "connection");
    const client = new WsWebSocket(url);
    await once(client, "open");
    const [ws] = (await serverSide) as [WebSocket];
    const pong = once(client, "pong");
    client.ping("abc");
    assert.equal(((await pong)[0] as Buffer).toString(), "abc");
    const serverPong = once(ws, "pong");
    const clientPing = once(client, "ping");
    ws.ping(Buffer.from("xyz"));
    assert.equal(((await clientPing)[0] as Buffer).toString(), "xyz");
    assert.equal(((await serverPong)[0] as Buffer).toString(), "xyz");
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  for (const [code, reason] of [
    [1000, "normal"],
    [1001, ""],
    [3000, "registered"],
    [4999, "ü".repeat(61)],
  ] as const) {
    test(`close ${code} from either side reaches the other with its reason`, async () => {
      const { wss, url } = await startServer();
      let serverWs!: WebSocket;
      wss.on("connection", (ws) => {
        serverWs = ws;
      });
      // Client closes.
      const client = new WsWebSocket(url);
      await once(client, "open");
      const serverClosed = once(serverWs, "close");
      client.close(code, reason);
      const [serverCode, serverReason] = (await serverClosed) as [number, Buffer];
      assert.equal(serverCode, code);
      assert.equal(serverReason.toString(), reason);
      assert.equal((await once(client, "close"))[0], code);
      // Server closes.
      const client2 = new WsWebSocket(url);
      await once(client2, "open");
      const clientClosed = once(client2, "close");
      serverWs.close(code, reason);
      const [clientCode, clientReason] = (await clientClosed) as [number, Buffer];
      assert.equal(clientCode, code);
      assert.equal(clientReason.toString(), reason);
      if (serverWs.readyState !== WebSocket.CLOSED) await once(serverWs, "close");
      await stopServer(wss);
    });
  }

  test("close without a code is reported as 1005", async () => {
    const { wss, url } = await startServer();
    const serverSide = once(wss, "connection");
    const client = new WsWebSocket(url);
    await once(client, "open");
    const [ws] = (await serverSide) as [WebSocket];
    const closed = once(ws, "close");
    client.close();
    assert.equal((await closed)[0], 1005);
    await once(client, "close");
    await stopServer(wss);
  });

  test("subprotocols: first offered by default, handleProtocols decides otherwise", async () => {
    const { wss, url } = await startServer();
    const client = new WsWebSocket(url, ["chat", "superchat"]);
    await once(client, "open");
    assert.equal(client.protocol, "chat");
    client.close();
    await once(client, "close");
    await stopServer(wss);

    const second = await startServer({ handleProtocols: (protocols) => (protocols.has("b") ? "b" : false) });
    const serverSide = once(second.wss, "connection");
    const client2 = new WsWebSocket(second.url, ["a", "b"]);
    await once(client2, "open");
    const [ws] = (await serverSide) as [WebSocket];
    assert.equal(client2.protocol, "b");
    assert.equal(ws.protocol, "b");
    client2.close();
    await once(client2, "close");
    await stopServer(second.wss);
  });

  test("a server attached to an existing http server and path", async () => {
    const { createServer } = await import("node:http");
    const http = createServer();
    const { WebSocketServer: Server } = await import("../src/index.js");
    const wss = new Server({ server: http, path: "/ws" });
    echo(wss);
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    const port = (http.address() as { port: number }).port;
    const client = new WsWebSocket(`ws://127.0.0.1:${port}/ws?x=1`);
    await once(client, "open");
    assert.equal((await roundTrip(client, "hi"))[0].toString(), "hi");
    const wrong = new WsWebSocket(`ws://127.0.0.1:${port}/other`);
    wrong.on("error", () => {});
    const [req, res] = (await once(wrong, "unexpected-response")) as [
      { destroy(): void },
      { statusCode: number; resume(): void },
    ];
    assert.equal(res.statusCode, 400);
    res.resume();
    req.destroy();
    client.close();
    await once(client, "close");
    await stopServer(wss);
    http.close();
    await once(http, "close");
  });

  const deflateCases: Array<[string, PerMessageDeflateOptions, Record<string, unknown>, RegExp]> = [
    ["defaults", {}, {}, /^permessage-deflate$/],
    ["server_no_context_takeover", {}, { serverNoContextTakeover: true }, /server_no_context_takeover/],
    ["client_no_context_takeover", {}, { clientNoContextTakeover: true }, /client_no_context_takeover/],
    ["server_max_window_bits", {}, { serverMaxWindowBits: 10 }, /server_max_window_bits=10/],
    ["client_max_window_bits", { clientMaxWindowBits: 11 }, {}, /client_max_window_bits=11/],
    ["server-imposed server_max_window_bits", { serverMaxWindowBits: 12 }, {}, /server_max_window_bits=12/],
    [
      "server-imposed no context takeover",
      { serverNoContextTakeover: true, clientNoContextTakeover: true },
      {},
      /server_no_context_takeover; client_no_context_takeover/,
    ],
  ];
  for (const [name, serverOptions, clientOptions, expected] of deflateCases) {
    test(`permessage-deflate: ${name}`, async () => {
      const { wss, url } = await startServer({ perMessageDeflate: { threshold: 0, ...serverOptions } });
      echo(wss);
      const client = new WsWebSocket(url, { perMessageDeflate: { threshold: 0, ...clientOptions } });
      const upgrade = once(client, "upgrade");
      await once(client, "open");
      const [res] = (await upgrade) as [{ headers: Record<string, string> }];
      assert.match(res.headers["sec-websocket-extensions"]!, expected);
      const text = "compress me ".repeat(2000);
      for (let i = 0; i < 3; i++) {
        const written = (client as unknown as { _socket: { bytesRead: number } })._socket.bytesRead;
        const [reply] = await roundTrip(client, text);
        assert.equal(reply.toString(), text);
        const received =
          (client as unknown as { _socket: { bytesRead: number } })._socket.bytesRead - written;
        assert.ok(received < text.length / 4, `reply was compressed (${received} bytes on the wire)`);
      }
      const [binary] = await roundTrip(client, Buffer.alloc(70000, 3));
      assert.ok(binary.equals(Buffer.alloc(70000, 3)));
      client.close();
      await once(client, "close");
      await stopServer(wss);
    });
  }

  test("permessage-deflate: offers are declined when the server disables it", async () => {
    const { wss, url } = await startServer();
    const client = new WsWebSocket(url, { perMessageDeflate: true });
    await once(client, "open");
    assert.equal(client.extensions, "");
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });
});

describe("ws server ↔ our client", () => {
  test("messages of every kind and length come back identical", async () => {
    const { wss, url } = await startWsServer();
    echo(wss);
    const client = new WebSocket(url);
    await once(client, "open");
    for (const [name, data] of MESSAGES) {
      const [reply, isBinary] = await roundTrip(client, data);
      assert.equal(isBinary, typeof data !== "string", name);
      assert.deepEqual(reply, Buffer.from(data), name);
    }
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  test("16 MB message with maxPayload raised on both sides", async () => {
    const big = 16 * 1024 * 1024;
    const { wss, url } = await startWsServer({ maxPayload: big + 1 });
    echo(wss);
    const client = new WebSocket(url, { maxPayload: big + 1 });
    await once(client, "open");
    const data = Buffer.alloc(big, 0x61);
    data[0] = 0x62;
    const [reply] = await roundTrip(client, data);
    assert.equal(reply.length, big);
    assert.ok(reply.equals(data));
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  test("fragmented sends are reassembled by ws, with a ping in between", async () => {
    const { wss, url } = await startWsServer();
    echo(wss);
    const client = new WebSocket(url);
    await once(client, "open");
    const reply = once(client, "message");
    client.send(Buffer.from([1, 2]), { fin: false });
    client.ping();
    client.send(Buffer.from([3]), { fin: false });
    client.send(Buffer.from([4]), { fin: true });
    const [data, isBinary] = (await reply) as [Buffer, boolean];
    assert.equal(isBinary, true);
    assert.deepEqual([...data], [1, 2, 3, 4]);
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  test("fragmented messages from ws are reassembled by our client", async () => {
    const { wss, url } = await startWsServer();
    wss.on("connection", (ws) => {
      ws.send("a", { fin: false });
      ws.ping("p");
      ws.send("b", { fin: false });
      ws.send("c", { fin: true });
    });
    const client = new WebSocket(url);
    const [data, isBinary] = (await once(client, "message")) as [Buffer, boolean];
    assert.equal(isBinary, false);
    assert.equal(data.toString(), "abc");
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  test("ping/pong both ways", async () => {
    const { wss, url } = await startWsServer();
    const serverSide = once(wss, "connection");
    const client = new WebSocket(url);
    await once(client, "open");
    const [ws] = (await serverSide) as [WsWebSocket];
    const pong = once(client, "pong");
    client.ping("from client");
    assert.equal(((await pong)[0] as Buffer).toString(), "from client");
    const serverPong = once(ws, "pong");
    ws.ping("from server");
    assert.equal(((await serverPong)[0] as Buffer).toString(), "from server");
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  for (const [code, reason] of [
    [1000, "done"],
    [1011, "oops"],
    [4000, "custom"],
  ] as const) {
    test(`close ${code} both ways`, async () => {
      const { wss, url } = await startWsServer();
      let serverWs!: WsWebSocket;
      wss.on("connection", (ws) => {
        serverWs = ws;
      });
      const client = new WebSocket(url);
      await once(client, "open");
      const serverClosed = once(serverWs, "close");
      client.close(code, reason);
      const [serverCode, serverReason] = (await serverClosed) as [number, Buffer];
      assert.equal(serverCode, code);
      assert.equal(serverReason.toString(), reason);
      const [clientCode] = await once(client, "close");
      assert.equal(clientCode, code);

      const client2 = new WebSocket(url);
      await once(client2, "open");
      const closeEvent = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
        client2.onclose = resolve;
      });
      serverWs.close(code, reason);
      const event = await closeEvent;
      assert.equal(event.code, code);
      assert.equal(event.reason, reason);
      assert.equal(event.wasClean, true);
      await stopServer(wss);
    });
  }

  test("subprotocols: the server's choice is reported, an unoffered one is refused", async () => {
    const { wss, url } = await startWsServer({ handleProtocols: (set) => (set.has("v2") ? "v2" : false) });
    const client = new WebSocket(url, ["v1", "v2"]);
    await once(client, "open");
    assert.equal(client.protocol, "v2");
    client.close();
    await once(client, "close");
    await stopServer(wss);

    const rogue = await startWsServer({ handleProtocols: () => "other" });
    const client2 = new WebSocket(rogue.url, ["v1"]);
    const closed = new Promise<number>((resolve) => client2.on("close", resolve));
    const [error] = (await once(client2, "error")) as [Error & { code: string }];
    assert.equal(error.code, "HANDSHAKE_FAILED");
    assert.match(error.message, /subprotocol/);
    assert.equal(await closed, 1006);
    await stopServer(rogue.wss);
  });

  test("browser-style API: binaryType arraybuffer, onmessage, onopen", async () => {
    const { wss, url } = await startWsServer();
    echo(wss);
    const client = new WebSocket(url);
    client.binaryType = "arraybuffer";
    await new Promise((resolve) => {
      client.onopen = resolve;
    });
    const received: unknown[] = [];
    const done = new Promise<void>((resolve) => {
      client.onmessage = (event) => {
        received.push(event.data);
        if (received.length === 2) resolve();
      };
    });
    client.send("text");
    client.send(new Uint8Array([9, 8, 7]));
    await done;
    assert.equal(received[0], "text");
    assert.ok(received[1] instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(received[1] as ArrayBuffer)], [9, 8, 7]);
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  const deflateCases: Array<[string, ClientOptions["perMessageDeflate"], Record<string, unknown>, RegExp]> = [
    ["defaults", { threshold: 0 }, {}, /^permessage-deflate/],
    [
      "server_no_context_takeover requested",
      { threshold: 0, serverNoContextTakeover: true },
      {},
      /server_no_context_takeover/,
    ],
    [
      "client_no_context_takeover offered",
      { threshold: 0, clientNoContextTakeover: true },
      {},
      /client_no_context_takeover/,
    ],
    [
      "server_max_window_bits requested",
      { threshold: 0, serverMaxWindowBits: 10 },
      {},
      /server_max_window_bits=10/,
    ],
    [
      "client_max_window_bits imposed by the server",
      { threshold: 0 },
      { clientMaxWindowBits: 9 },
      /client_max_window_bits=9/,
    ],
    [
      "no context takeover imposed by the server",
      { threshold: 0 },
      { serverNoContextTakeover: true, clientNoContextTakeover: true },
      /server_no_context_takeover; client_no_context_takeover/,
    ],
  ];
  for (const [name, clientOptions, serverOptions, expected] of deflateCases) {
    test(`permessage-deflate: ${name}`, async () => {
      const { wss, url } = await startWsServer({ perMessageDeflate: { threshold: 0, ...serverOptions } });
      let serverExtensions = "";
      wss.on("connection", (ws, req) => {
        serverExtensions = String(req.headers["sec-websocket-extensions"]);
        ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
      });
      const client = new WebSocket(url, { perMessageDeflate: clientOptions });
      await once(client, "open");
      assert.match(client.extensions, expected);
      assert.match(serverExtensions, /permessage-deflate/);
      const text = "squeeze this ".repeat(3000);
      for (let i = 0; i < 3; i++) {
        const [reply] = await roundTrip(client, text);
        assert.equal(reply.toString(), text);
      }
      client.close();
      await once(client, "close");
      await stopServer(wss);
    });
  }

  test("permessage-deflate: our compressed frames are really compressed (bytes on the wire)", async () => {
    const { wss, url } = await startWsServer({ perMessageDeflate: true });
    const sockets: Array<{ bytesRead: number }> = [];
    wss.on("connection", (ws, req) => {
      sockets.push(req.socket);
      ws.on("message", (data) => ws.send(String(data.length)));
    });
    const client = new WebSocket(url, { perMessageDeflate: { threshold: 100 } });
    await once(client, "open");
    const before = sockets[0]!.bytesRead;
    const [reply] = await roundTrip(client, "z".repeat(100_000));
    assert.equal(reply.toString(), "100000");
    assert.ok(sockets[0]!.bytesRead - before < 5000);
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });
});
