// Compress once, send to many (issue 16 item 5): with server_no_context_takeover every message is deflated
// from an empty context, so one deflated frame is valid on every such connection. Real `ws` clients decode
// it, interleaved with per-connection compressed messages, at the default and a smaller negotiated window.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import { createRequire, syncBuiltinESMExports } from "node:module";
import type * as zlib from "node:zlib";
import WsClient from "ws";
import { prepareMessage, type WebSocket, type WebSocketServer } from "../src/index.js";
import { startServer, stopServer } from "./helpers.js";

const JSON_4K = JSON.stringify(
  Array.from({ length: 60 }, (_, i) => ({ id: i, name: `user-${i}`, online: i % 3 === 0, score: i * 7 })),
);

interface Peer {
  client: WsClient;
  messages: string[];
  /** Bytes the client read off its socket so far. */
  bytesRead(): number;
}

async function connect(
  url: string,
  perMessageDeflate: WsClient.ClientOptions["perMessageDeflate"],
): Promise<Peer> {
  const client = new WsClient(url, { perMessageDeflate });
  const messages: string[] = [];
  client.on("message", (data: Buffer) => messages.push(data.toString()));
  await once(client, "open");
  return {
    client,
    messages,
    bytesRead: () => (client as unknown as { _socket: { bytesRead: number } })._socket.bytesRead,
  };
}

async function serverSides(wss: WebSocketServer, count: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  while (sockets.length < count) {
    const [ws] = (await once(wss, "connection")) as [WebSocket];
    sockets.push(ws);
  }
  return sockets;
}

function until(peer: Peer, count: number): Promise<void> {
  return new Promise((resolve) => {
    if (peer.messages.length >= count) resolve();
    else peer.client.on("message", () => peer.messages.length >= count && resolve());
  });
}

describe("shared compression of prepared messages", () => {
  test("one deflate for every recipient; each decodes it between its own compressed messages", async () => {
    const { wss, url } = await startServer({
      perMessageDeflate: { serverNoContextTakeover: true, threshold: 256 },
    });
    const sides = serverSides(wss, 3);
    const peers = await Promise.all([
      connect(url, true),
      connect(url, { serverMaxWindowBits: 10 }),
      connect(url, { serverNoContextTakeover: true }),
    ]);
    const servers = await sides;
    const deflateCalls = countDeflateRawSync();
    try {
      for (const [i, ws] of servers.entries()) ws.send(`own ${i} ${JSON_4K}`);
      const prepared = prepareMessage(JSON_4K, { compress: true });
      for (const ws of servers) ws.sendPrepared(prepared);
      for (const [i, ws] of servers.entries()) ws.send(`again ${i} ${JSON_4K}`);
      const small = prepareMessage("tiny", { compress: true });
      for (const ws of servers) ws.sendPrepared(small);
      await Promise.all(peers.map((p) => until(p, 4)));
      for (const [i, peer] of peers.entries()) {
        assert.deepEqual(peer.messages, [`own ${i} ${JSON_4K}`, JSON_4K, `again ${i} ${JSON_4K}`, "tiny"]);
      }
      // Two window sizes among the three connections (15 twice, 10 once): two deflates in all, and none
      // for the message under the threshold.
      assert.equal(deflateCalls.count, 2);
      // And it was compressed on the wire: 3 × 4 KB messages plus the shared one took well under 4 × 4 KB.
      for (const peer of peers)
        assert.ok(peer.bytesRead() < 2 * JSON_4K.length, `read ${peer.bytesRead()} bytes`);
    } finally {
      deflateCalls.restore();
      for (const p of peers) p.client.close();
      await stopServer(wss);
    }
  });

  test("without server_no_context_takeover, or without compress, the uncompressed frame is sent", async () => {
    for (const [perMessageDeflate, compress] of [
      [{ threshold: 0 }, true],
      [{ serverNoContextTakeover: true, threshold: 0 }, false],
    ] as const) {
      const { wss, url } = await startServer({ perMessageDeflate });
      const sides = serverSides(wss, 1);
      const peer = await connect(url, true);
      const [ws] = await sides;
      const before = peer.bytesRead();
      ws!.sendPrepared(prepareMessage(JSON_4K, { compress }));
      ws!.send(JSON_4K);
      await until(peer, 2);
      assert.deepEqual(peer.messages, [JSON_4K, JSON_4K]);
      // The prepared frame went as it is (4 KB), the per-connection one compressed.
      const read = peer.bytesRead() - before;
      assert.ok(read > JSON_4K.length && read < 2 * JSON_4K.length, `read ${read} bytes`);
      peer.client.close();
      await stopServer(wss);
    }
  });
});

/** Counts zlib.deflateRawSync calls (the shared compressor's only zlib entry point) until restored. */
function countDeflateRawSync(): { count: number; restore(): void } {
  const zlibExports = createRequire(import.meta.url)("node:zlib") as typeof zlib;
  const original = zlibExports.deflateRawSync;
  const counter = {
    count: 0,
    restore() {
      zlibExports.deflateRawSync = original;
      syncBuiltinESMExports();
    },
  };
  zlibExports.deflateRawSync = ((...args: Parameters<typeof original>) => {
    counter.count++;
    return original(...args);
  }) as typeof original;
  // The live bindings of `import { deflateRawSync } from "node:zlib"` follow the CommonJS exports.
  syncBuiltinESMExports();
  return counter;
}
