// Blobs (issue 13 item 4): `send(blob)` as ws 8 takes it — read asynchronously, yet in order with the sends
// around it, compressed or not — and `binaryType = "blob"` on receipt. The peer is a real `ws` server.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import { WebSocket } from "@volley/websocket";
import type { WebSocket as WsWebSocket } from "ws";
import { startWsServer, stopServer } from "./helpers.js";

/** Collects the first `count` messages a `ws` server connection receives, as [isBinary, text]. */
async function serverReceives(
  wss: { once(event: "connection", cb: (ws: WsWebSocket) => void): void },
  count: number,
): Promise<Array<[boolean, string]>> {
  const [peer] = (await new Promise((resolve) => wss.once("connection", (ws) => resolve([ws])))) as [
    WsWebSocket,
  ];
  return new Promise((resolve) => {
    const got: Array<[boolean, string]> = [];
    peer.on("message", (data: Buffer, isBinary: boolean) => {
      got.push([isBinary, data.toString()]);
      if (got.length === count) resolve(got);
    });
  });
}

describe("Blob", () => {
  for (const [label, deflate] of [
    ["uncompressed", false],
    ["with permessage-deflate", { threshold: 0 }],
  ] as const) {
    test(`Blob sends keep their order among other sends (${label})`, async () => {
      const { wss, url } = await startWsServer({ perMessageDeflate: deflate !== false });
      const received = serverReceives(wss, 5);
      const client = new WebSocket(url, { perMessageDeflate: deflate });
      await once(client, "open");
      const callbacks: Array<Error | undefined> = [];
      client.send(new Blob(["one"]), (err) => callbacks.push(err));
      client.send("two");
      client.send(new Blob([new Uint8Array([0x74, 0x68]), "ree"]), { binary: false }, (err) =>
        callbacks.push(err),
      );
      client.send(Buffer.from("four"));
      client.send(new Blob([]), (err) => callbacks.push(err));
      assert.ok(client.bufferedAmount >= 3 + 5);
      assert.deepEqual(await received, [
        [true, "one"],
        [false, "two"],
        [false, "three"],
        [true, "four"],
        [true, ""],
      ]);
      assert.deepEqual(
        callbacks.map((err) => err ?? "ok"),
        ["ok", "ok", "ok"],
      );
      client.close();
      await once(client, "close");
      await stopServer(wss);
    });
  }

  test("a Blob sent in fragments (fin: false) arrives as one message", async () => {
    const { wss, url } = await startWsServer();
    const received = serverReceives(wss, 1);
    const client = new WebSocket(url);
    await once(client, "open");
    client.send(new Blob(["frag"]), { fin: false });
    client.send("ment", { fin: false });
    client.send(new Blob(["ed"]), { fin: true });
    assert.deepEqual(await received, [[true, "fragmented"]]);
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  test('binaryType "blob" hands binary messages over as Blobs, text as strings', async () => {
    const { wss, url } = await startWsServer();
    wss.on("connection", (peer) => {
      peer.send(Buffer.from([1, 2, 3]));
      peer.send("text");
    });
    const client = new WebSocket(url);
    client.binaryType = "blob";
    assert.equal(client.binaryType, "blob");
    const messages: unknown[] = [];
    await new Promise<void>((resolve) => {
      client.on("message", (data) => {
        messages.push(data);
        if (messages.length === 2) resolve();
      });
    });
    assert.ok(messages[0] instanceof Blob);
    assert.deepEqual([...new Uint8Array(await (messages[0] as Blob).arrayBuffer())], [1, 2, 3]);
    assert.ok(Buffer.isBuffer(messages[1]), "text stays a Buffer, as in ws");
    assert.equal(String(messages[1]), "text");
    client.close();
    await once(client, "close");
    await stopServer(wss);
  });

  test("a Blob as a ping payload is refused with INVALID_ARGUMENT; after close a Blob send fails as other sends do", async () => {
    const { wss, url } = await startWsServer();
    const client = new WebSocket(url);
    await once(client, "open");
    assert.throws(() => client.ping(new Blob(["x"])), { code: "INVALID_ARGUMENT" });
    client.close();
    await once(client, "close");
    const failed = new Promise<Error | undefined>((resolve) => client.send(new Blob(["12345"]), resolve));
    assert.match(String((await failed)?.message), /WebSocket is not open: readyState 3/);
    await stopServer(wss);
  });
});
