// Protocol violations sent over raw TCP: each gets the right close code, closes that connection only,
// and a second client on the same server keeps working.
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import WsWebSocket from "ws";
import { CloseCode, Opcode, WebSocket, WebSocketError, type WebSocketServer } from "../src/index.js";
import {
  closed,
  closeCodeOf,
  framesUntilClose,
  rawConnect,
  rawFrame,
  startRawServer,
  startServer,
  stopServer,
} from "./helpers.js";

const MAX_PAYLOAD = 1000;

describe("violations against our server", () => {
  let wss: WebSocketServer;
  let port: number;
  let bystander: WsWebSocket;
  const serverErrors: WebSocketError[] = [];

  before(async () => {
    const started = await startServer({ maxPayload: MAX_PAYLOAD });
    wss = started.wss;
    port = started.port;
    wss.on("connection", (ws) => {
      ws.on("error", (error: WebSocketError) => serverErrors.push(error));
      ws.on("message", (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary }));
    });
    bystander = new WsWebSocket(started.url);
    await once(bystander, "open");
  });

  after(async () => {
    bystander.close();
    await once(bystander, "close");
    await stopServer(wss);
  });

  async function expectClose(bytes: Buffer[], code: number, errorCode?: string): Promise<void> {
    const errorsBefore = serverErrors.length;
    const { socket } = await rawConnect(port);
    const frames = framesUntilClose(socket);
    for (const chunk of bytes) socket.write(chunk);
    assert.equal(closeCodeOf(await frames), code);
    if (errorCode !== undefined) {
      assert.equal(serverErrors.length, errorsBefore + 1);
      assert.equal(serverErrors.at(-1)!.code, errorCode);
      assert.equal(serverErrors.at(-1)!.closeCode, code);
    }
    // The bystander is unaffected.
    const reply = once(bystander, "message");
    bystander.send("still here");
    assert.equal(String((await reply)[0]), "still here");
  }

  const P = CloseCode.ProtocolError;
  const cases: Array<[string, Buffer[], number, string]> = [
    ["RSV1 without a negotiated extension", [rawFrame(Opcode.Text, "x", { rsv: 4 })], P, "PROTOCOL_ERROR"],
    ["RSV2 set", [rawFrame(Opcode.Text, "x", { rsv: 2 })], P, "PROTOCOL_ERROR"],
    ["RSV3 set", [rawFrame(Opcode.Binary, "x", { rsv: 1 })], P, "PROTOCOL_ERROR"],
    ...[3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf].map(
      (opcode) =>
        [`reserved opcode ${opcode}`, [rawFrame(opcode, "")], P, "PROTOCOL_ERROR"] as [
          string,
          Buffer[],
          number,
          string,
        ],
    ),
    ["unmasked client frame", [rawFrame(Opcode.Text, "hi", { mask: false })], P, "PROTOCOL_ERROR"],
    ["continuation without a message", [rawFrame(Opcode.Continuation, "x")], P, "PROTOCOL_ERROR"],
    [
      "new message inside a fragmented one",
      [rawFrame(Opcode.Text, "a", { fin: false }), rawFrame(Opcode.Text, "b")],
      P,
      "PROTOCOL_ERROR",
    ],
    ["fragmented ping", [rawFrame(Opcode.Ping, "x", { fin: false })], P, "PROTOCOL_ERROR"],
    ["ping over 125 bytes", [rawFrame(Opcode.Ping, Buffer.alloc(126))], P, "PROTOCOL_ERROR"],
    ["close with a 1-byte payload", [rawFrame(Opcode.Close, Buffer.from([3]))], P, "PROTOCOL_ERROR"],
    [
      "64-bit length with the top bit set",
      [Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4])],
      P,
      "PROTOCOL_ERROR",
    ],
    ["invalid UTF-8 text", [rawFrame(Opcode.Text, Buffer.from([0x61, 0xff, 0x61]))], 1007, "INVALID_UTF8"],
    [
      "UTF-16 surrogate in text",
      [rawFrame(Opcode.Text, Buffer.from([0xed, 0xa0, 0x80]))],
      1007,
      "INVALID_UTF8",
    ],
    ["overlong encoding", [rawFrame(Opcode.Text, Buffer.from([0xc0, 0xaf]))], 1007, "INVALID_UTF8"],
    [
      "text ending inside a character",
      [rawFrame(Opcode.Text, Buffer.from([0x61, 0xe2, 0x82]))],
      1007,
      "INVALID_UTF8",
    ],
    [
      "invalid UTF-8 split across fragments",
      [
        rawFrame(Opcode.Text, Buffer.from([0xe2, 0x82]), { fin: false }),
        rawFrame(Opcode.Continuation, Buffer.from([0x28])),
      ],
      1007,
      "INVALID_UTF8",
    ],
    [
      "invalid UTF-8 close reason",
      [rawFrame(Opcode.Close, Buffer.from([0x03, 0xe8, 0xff, 0xfe]))],
      1007,
      "INVALID_UTF8",
    ],
    [
      "message over maxPayload",
      [rawFrame(Opcode.Binary, Buffer.alloc(MAX_PAYLOAD + 1))],
      1009,
      "MESSAGE_TOO_BIG",
    ],
    [
      "fragments adding up over maxPayload",
      [
        rawFrame(Opcode.Binary, Buffer.alloc(600), { fin: false }),
        rawFrame(Opcode.Continuation, Buffer.alloc(600)),
      ],
      1009,
      "MESSAGE_TOO_BIG",
    ],
  ];
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    cases.push([`close code ${code}`, [rawFrame(Opcode.Close, payload)], P, "PROTOCOL_ERROR"]);
  }

  for (const [name, bytes, code, errorCode] of cases) {
    test(`${name} → ${code}`, () => expectClose(bytes, code, errorCode));
  }

  test("the same violations fed one byte at a time get the same codes", async () => {
    for (const [name, bytes, code] of cases.slice(0, 12)) {
      const oneByOne = [...Buffer.concat(bytes)].map((b) => Buffer.from([b]));
      await assert.doesNotReject(expectClose(oneByOne, code), name);
    }
  });

  test("fail fast: invalid UTF-8 closes before the message is complete", async () => {
    // Only the first of many announced fragments arrives; the server must not wait for the rest.
    await expectClose([rawFrame(Opcode.Text, Buffer.from([0x61, 0xf8]), { fin: false })], 1007);
    // Inside one frame: the header announces 100 bytes, the bad byte arrives among the first few.
    const frame = rawFrame(
      Opcode.Text,
      Buffer.concat([Buffer.from([0x61, 0x62, 0xc3, 0x28]), Buffer.alloc(96, 0x61)]),
    );
    await expectClose([frame.subarray(0, 12)], 1007);
  });

  test("fail fast: an announced length over maxPayload closes before any payload arrives", async () => {
    const header = rawFrame(Opcode.Binary, Buffer.alloc(0), { length: 1 << 20 });
    await expectClose([header], 1009);
  });

  test("valid close codes are accepted and echoed", async () => {
    for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]) {
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code);
      await expectClose([rawFrame(Opcode.Close, payload)], code);
    }
  });

  test("control frames interleaved in a fragmented message do not break it", async () => {
    const { socket } = await rawConnect(port);
    const frames = framesUntilClose(socket);
    socket.write(
      Buffer.concat([
        rawFrame(Opcode.Text, "he", { fin: false }),
        rawFrame(Opcode.Ping, "p1"),
        rawFrame(Opcode.Continuation, "l", { fin: false }),
        rawFrame(Opcode.Pong, "unsolicited"),
        rawFrame(Opcode.Ping, ""),
        rawFrame(Opcode.Continuation, "lo"),
        rawFrame(Opcode.Close, Buffer.from([0x03, 0xe8])),
      ]),
    );
    const received = await frames;
    assert.deepEqual(
      received.map((f) => [f.opcode, f.payload.toString("latin1")]),
      [
        [Opcode.Pong, "p1"],
        [Opcode.Pong, ""],
        [Opcode.Text, "hello"],
        [Opcode.Close, "\x03\xe8"],
      ],
    );
  });

  test("a client that never answers the close handshake is cut off after closeTimeout", async () => {
    const started = await startServer({ closeTimeout: 50 });
    const connected = once(started.wss, "connection");
    const { socket } = await rawConnect(started.port);
    const [ws] = (await connected) as [WebSocket];
    const frames = framesUntilClose(socket);
    // The raw client keeps its side open and never replies with a close frame.
    socket.on("end", () => {});
    ws.close(1000);
    const [code] = await once(ws, "close");
    assert.equal(code, 1006); // no close frame came back
    assert.equal(closeCodeOf(await frames), 1000);
    await stopServer(started.wss);
  });
});

describe("violations against our client", () => {
  async function clientCloseCode(
    send: Buffer[],
  ): Promise<{ sent: number | null; reported: number; error?: Error }> {
    let frames!: Promise<import("./helpers.js").ParsedFrame[]>;
    const { server, url } = await startRawServer((socket) => {
      frames = framesUntilClose(socket);
      for (const chunk of send) socket.write(chunk);
    });
    const client = new WebSocket(url);
    let error: Error | undefined;
    client.on("error", (e: Error) => {
      error = e;
    });
    const [reported] = await closed(client);
    const sent = closeCodeOf(await frames);
    server.close();
    await once(server, "close");
    return { sent, reported, error };
  }

  test("masked server frame → 1002", async () => {
    const result = await clientCloseCode([rawFrame(Opcode.Text, "hi", { mask: true })]);
    assert.equal(result.sent, 1002);
    assert.equal(result.reported, 1006);
    assert.ok(result.error instanceof WebSocketError);
  });

  test("invalid UTF-8 from the server → 1007", async () => {
    const result = await clientCloseCode([rawFrame(Opcode.Text, Buffer.from([0xff]), { mask: false })]);
    assert.equal(result.sent, 1007);
  });

  test("message over the client's maxPayload → 1009", async () => {
    const result = await clientCloseCode([rawFrame(Opcode.Binary, Buffer.alloc(2 << 20), { mask: false })]);
    assert.equal(result.sent, 1009);
    assert.match(result.error!.message, /maxPayload \(1048576 bytes\)/);
  });

  test("RSV1 without deflate → 1002", async () => {
    const result = await clientCloseCode([rawFrame(Opcode.Text, "x", { mask: false, rsv: 4 })]);
    assert.equal(result.sent, 1002);
  });
});
