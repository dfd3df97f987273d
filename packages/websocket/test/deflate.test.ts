// permessage-deflate (RFC 7692): negotiation both ways, threshold, limits on inflated size, bad data.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import { constants, deflateRawSync } from "node:zlib";
import WsWebSocket from "ws";
import { acceptOffer, acceptResponse, clientOffer } from "../src/deflate-negotiation.js";
import { parseExtensions } from "../src/handshake.js";
import { Opcode, prepareMessage, WebSocket } from "../src/index.js";
import {
  closeCodeOf,
  framesUntilClose,
  parseFrames,
  rawConnect,
  rawFrame,
  startServer,
  stopServer,
} from "./helpers.js";

function offers(header: string) {
  return parseExtensions(header)!;
}

/** RFC 7692 §7.2.1: compress with a sync flush and drop the trailing 00 00 ff ff. */
function compress(data: Buffer): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

describe("negotiation (server side)", () => {
  test("plain offer accepted with defaults", () => {
    const accepted = acceptOffer(offers("permessage-deflate"), {})!;
    assert.deepEqual(accepted.response.params, []);
    assert.deepEqual(accepted.params, {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
  });

  test("each parameter is honoured", () => {
    const accepted = acceptOffer(
      offers(
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits",
      ),
      { clientMaxWindowBits: 12 },
    )!;
    assert.deepEqual(accepted.params, {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 12,
    });
    assert.deepEqual(accepted.response.params, [
      ["server_no_context_takeover", true],
      ["client_no_context_takeover", true],
      ["server_max_window_bits", "10"],
      ["client_max_window_bits", "12"],
    ]);
  });

  test("the server's own limits apply without an offer for them", () => {
    const accepted = acceptOffer(offers("permessage-deflate"), {
      serverMaxWindowBits: 11,
      serverNoContextTakeover: true,
    })!;
    assert.deepEqual(accepted.response.params, [
      ["server_no_context_takeover", true],
      ["server_max_window_bits", "11"],
    ]);
    // client_max_window_bits may only be sent when offered (RFC 7692 §7.1.2.2).
    assert.deepEqual(
      acceptOffer(offers("permessage-deflate"), { clientMaxWindowBits: 9 })!.response.params,
      [],
    );
  });

  test("invalid offers are declined and the next one is taken", () => {
    for (const bad of [
      "permessage-deflate; server_max_window_bits",
      "permessage-deflate; server_max_window_bits=7",
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; client_max_window_bits=08",
      "permessage-deflate; server_no_context_takeover=1",
      "permessage-deflate; unknown",
      "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
    ]) {
      assert.equal(acceptOffer(offers(bad), {}), null, bad);
      const fallback = acceptOffer(offers(`${bad}, permessage-deflate; client_max_window_bits=9`), {})!;
      assert.equal(fallback.params.clientMaxWindowBits, 9, bad);
    }
    assert.equal(acceptOffer(offers("x-webkit-deflate-frame"), {}), null);
  });
});

describe("negotiation (client side)", () => {
  test("offer reflects the options", () => {
    assert.deepEqual(clientOffer({}).params, [["client_max_window_bits", true]]);
    assert.deepEqual(
      clientOffer({ serverNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: false })
        .params,
      [
        ["server_no_context_takeover", true],
        ["server_max_window_bits", "10"],
      ],
    );
  });

  test("responses are checked against the offer", () => {
    const response = (header: string) => offers(header)[0]!;
    assert.deepEqual(acceptResponse(response("permessage-deflate; client_max_window_bits=10"), {}), {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 10,
    });
    assert.equal(typeof acceptResponse(response("permessage-deflate; x=1"), {}), "string");
    assert.equal(
      typeof acceptResponse(response("permessage-deflate; server_max_window_bits=12"), {
        serverMaxWindowBits: 10,
      }),
      "string",
    );
    assert.equal(
      typeof acceptResponse(response("permessage-deflate; client_max_window_bits=10"), {
        clientMaxWindowBits: false,
      }),
      "string",
    );
    assert.equal(
      typeof acceptResponse(response("permessage-deflate"), { serverNoContextTakeover: true }),
      "string",
    );
  });
});

describe("on the wire", () => {
  test("threshold: small messages go uncompressed, large ones compressed; compress: false wins", async () => {
    const { wss, port } = await startServer({ perMessageDeflate: { threshold: 100 } });
    wss.on("connection", (ws) => {
      ws.send("small");
      ws.send("large ".repeat(100));
      ws.send("large ".repeat(100), { compress: false });
      ws.sendPrepared(prepareMessage("prepared ".repeat(100)));
      ws.close(1000);
    });
    const { socket, head } = await rawConnect(port, ["Sec-WebSocket-Extensions: permessage-deflate"]);
    assert.match(head, /Sec-WebSocket-Extensions: permessage-deflate/);
    const frames = await framesUntilClose(socket, true);
    assert.deepEqual(
      frames.map((f) => [f.opcode, f.rsv1]),
      [
        [Opcode.Text, false],
        [Opcode.Text, true],
        [Opcode.Text, false],
        [Opcode.Text, false],
        [Opcode.Close, false],
      ],
    );
    assert.ok(frames[1]!.payload.length < 50);
    await stopServer(wss);
  });

  test("a compressed message that inflates past maxPayload closes with 1009 (decompression bomb)", async () => {
    const { wss, port } = await startServer({ perMessageDeflate: true, maxPayload: 16 * 1024 });
    const errors: Error[] = [];
    wss.on("connection", (ws) => ws.on("error", (e: Error) => errors.push(e)));
    const bomb = compress(Buffer.alloc(10 * 1024 * 1024));
    assert.ok(bomb.length < 16 * 1024);
    const { socket } = await rawConnect(port, ["Sec-WebSocket-Extensions: permessage-deflate"]);
    const frames = framesUntilClose(socket);
    socket.write(rawFrame(Opcode.Binary, bomb, { rsv: 4 }));
    assert.equal(closeCodeOf(await frames), 1009);
    assert.match(errors[0]!.message, /maxPayload \(16384 bytes\)/);
    await stopServer(wss);
  });

  test("invalid compressed data closes with 1007; RSV1 on a continuation with 1002", async () => {
    const { wss, port } = await startServer({ perMessageDeflate: true });
    const ext = ["Sec-WebSocket-Extensions: permessage-deflate"];
    const first = await rawConnect(port, ext);
    const firstFrames = framesUntilClose(first.socket);
    first.socket.write(rawFrame(Opcode.Text, Buffer.from([0xff, 0xff, 0xff, 0xff]), { rsv: 4 }));
    assert.equal(closeCodeOf(await firstFrames), 1007);

    const second = await rawConnect(port, ext);
    const secondFrames = framesUntilClose(second.socket);
    second.socket.write(
      Buffer.concat([
        rawFrame(Opcode.Text, compress(Buffer.from("ab")), { rsv: 4, fin: false }),
        rawFrame(Opcode.Continuation, compress(Buffer.from("cd")), { rsv: 4 }),
      ]),
    );
    assert.equal(closeCodeOf(await secondFrames), 1002);
    await stopServer(wss);
  });

  test("compressed invalid UTF-8 text closes with 1007", async () => {
    const { wss, port } = await startServer({ perMessageDeflate: true });
    const { socket } = await rawConnect(port, ["Sec-WebSocket-Extensions: permessage-deflate"]);
    const frames = framesUntilClose(socket);
    socket.write(rawFrame(Opcode.Text, compress(Buffer.from([0x61, 0xc3, 0x28])), { rsv: 4 }));
    assert.equal(closeCodeOf(await frames), 1007);
    await stopServer(wss);
  });

  test("a compressed fragmented message with control frames in between is reassembled", async () => {
    const { wss, port } = await startServer({ perMessageDeflate: true });
    wss.on("connection", (ws) => ws.on("message", (data: Buffer) => ws.close(1000, data.toString())));
    const { socket } = await rawConnect(port, ["Sec-WebSocket-Extensions: permessage-deflate"]);
    const frames = framesUntilClose(socket, true);
    const whole = deflateRawSync(Buffer.from("hello fragmented world"), {
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    const body = whole.subarray(0, whole.length - 4);
    socket.write(
      Buffer.concat([
        rawFrame(Opcode.Text, body.subarray(0, 5), { rsv: 4, fin: false }),
        rawFrame(Opcode.Ping, "x"),
        rawFrame(Opcode.Continuation, body.subarray(5)),
      ]),
    );
    const close = (await frames).find((f) => f.opcode === Opcode.Close)!;
    assert.equal(close.payload.subarray(2).toString(), "hello fragmented world");
    await stopServer(wss);
  });

  test("server_max_window_bits=8 is accepted but our messages then go uncompressed", async () => {
    const { wss, url } = await startServer({ perMessageDeflate: { threshold: 0 } });
    wss.on("connection", (ws) => ws.on("message", (data: Buffer) => ws.send(data)));
    const client = new WsWebSocket(url, { perMessageDeflate: { serverMaxWindowBits: 8, threshold: 0 } });
    await once(client, "open");
    const socket = (client as unknown as { _socket: import("node:net").Socket })._socket;
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    client.send("x".repeat(1000));
    const [reply] = await once(client, "message");
    assert.equal(String(reply), "x".repeat(1000));
    assert.equal(parseFrames(Buffer.concat(chunks))[0]!.rsv1, false);
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  test("our client and server with deflate: many messages keep their order across compressed and not", async () => {
    const { wss, url } = await startServer({ perMessageDeflate: { threshold: 500 } });
    wss.on("connection", (ws) =>
      ws.on("message", (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })),
    );
    const client = new WebSocket(url, { perMessageDeflate: { threshold: 500 } });
    await once(client, "open");
    assert.equal(client.extensions, "permessage-deflate");
    const sent: string[] = [];
    for (let i = 0; i < 50; i++) sent.push(i % 3 === 0 ? `${i}:${"z".repeat(2000)}` : `${i}`);
    const received: string[] = [];
    const done = new Promise<void>((resolve) =>
      client.on("message", (data: Buffer) => {
        received.push(data.toString());
        if (received.length === sent.length) resolve();
      }),
    );
    for (const m of sent) client.send(m);
    await done;
    assert.deepEqual(received, sent);
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });
});
