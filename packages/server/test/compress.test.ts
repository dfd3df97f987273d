// The `compress` flag on the wire: a raw WebSocket client reads the RSV1 bit of every frame
// (RFC 7692 §6) to see whether the server deflated the message.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { Server, type ServerOptions, type Socket } from "volley";
import { WebSocketServer } from "ws";
import { RawFrameClient } from "./raw-frames.js";

const BIG = "a".repeat(4000); // above the default deflate threshold (1024 bytes)

async function withServer(
  opts: ServerOptions,
  run: (io: Server, socket: Socket, client: RawFrameClient) => Promise<void>,
): Promise<void> {
  const http = createServer();
  const io = new Server(http, { serveClient: false, ...opts });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const client = new RawFrameClient((http.address() as AddressInfo).port);
  try {
    const connection = once(io, "connection");
    const id = await client.connect();
    const [socket] = (await connection) as [Socket];
    assert.equal(socket.id, id);
    await run(io, socket, client);
  } finally {
    await client.close();
    await io.close();
  }
}

/** Emits through `send`, then reads the next frame: whether it was deflated, and its text. */
async function frameOf(client: RawFrameClient, send: () => void): Promise<[boolean, string]> {
  send();
  const frame = await client.next();
  return [frame.compressed, frame.text];
}

const event = (name: string, data: string) => `42${JSON.stringify([name, data])}`;

describe("compress flag", () => {
  test("broadcasts: unset shares one uncompressed frame; compress(true) deflates; compress(false) never does", async () => {
    await withServer({ perMessageDeflate: true }, async (io, socket, client) => {
      assert.match(client.extensions, /permessage-deflate/);
      assert.deepEqual(await frameOf(client, () => io.emit("m", BIG)), [false, event("m", BIG)]);
      assert.deepEqual(await frameOf(client, () => io.compress(true).emit("m", BIG)), [
        true,
        event("m", BIG),
      ]);
      assert.deepEqual(await frameOf(client, () => io.compress(false).emit("m", BIG)), [
        false,
        event("m", BIG),
      ]);
      assert.deepEqual(await frameOf(client, () => io.to(socket.id).compress(true).emit("m", BIG)), [
        true,
        event("m", BIG),
      ]);
      // a broadcast asking for acknowledgements takes the same path
      const [compressed, text] = await frameOf(client, () => io.compress(true).emit("m", BIG, () => {}));
      assert.equal(compressed, true);
      assert.match(text, /^42\d+\["m","a+"\]$/);
      // a message under the deflate threshold is sent as it is, whatever the flag
      assert.deepEqual(await frameOf(client, () => io.compress(true).emit("m", "small")), [
        false,
        event("m", "small"),
      ]);
    });
  });

  test("single-socket emits: deflated by default, not with compress(false)", async () => {
    await withServer({ perMessageDeflate: true }, async (_io, socket, client) => {
      assert.deepEqual(await frameOf(client, () => socket.emit("m", BIG)), [true, event("m", BIG)]);
      assert.deepEqual(await frameOf(client, () => socket.compress(false).emit("m", BIG)), [
        false,
        event("m", BIG),
      ]);
      // the flag applies to one emit only
      assert.deepEqual(await frameOf(client, () => socket.emit("m", BIG)), [true, event("m", BIG)]);
    });
  });

  test("with connection-state recovery (emits go through the adapter) the flags still hold", async () => {
    await withServer(
      { perMessageDeflate: true, connectionStateRecovery: true },
      async (io, socket, client) => {
        const [single, text] = await frameOf(client, () => socket.emit("m", BIG));
        assert.equal(single, true);
        assert.match(text, /^42\["m","a+","[^"]+"\]$/); // the recovery offset is appended
        assert.equal((await frameOf(client, () => socket.compress(false).emit("m", BIG)))[0], false);
        assert.equal((await frameOf(client, () => io.emit("m", BIG)))[0], false);
        assert.equal((await frameOf(client, () => io.compress(true).emit("m", BIG)))[0], true);
      },
    );
  });

  test("serverNoContextTakeover: broadcasts deflated once for all (unset or compress(true)), not with compress(false)", async () => {
    await withServer(
      { perMessageDeflate: { serverNoContextTakeover: true }, connectionStateRecovery: true },
      async (io, socket, client) => {
        assert.match(client.extensions, /server_no_context_takeover/);
        const [shared, text] = await frameOf(client, () => io.emit("m", BIG));
        assert.equal(shared, true);
        assert.match(text, /^42\["m","a+","[^"]+"\]$/);
        assert.equal((await frameOf(client, () => io.compress(true).emit("m", BIG)))[0], true);
        assert.equal((await frameOf(client, () => io.compress(false).emit("m", BIG)))[0], false);
        assert.equal((await frameOf(client, () => io.to(socket.id).emit("m", BIG)))[0], true);
        assert.equal((await frameOf(client, () => socket.emit("m", BIG)))[0], true);
        assert.equal((await frameOf(client, () => io.emit("m", "small")))[0], false);
        // Shared frames and the connection's own deflated messages interleave without corrupting either.
        for (let i = 0; i < 3; i++) {
          assert.match(
            (await frameOf(client, () => io.emit("m", `${i}${BIG}`)))[1],
            new RegExp(`^42\\["m","${i}a+"`),
          );
          assert.match(
            (await frameOf(client, () => socket.emit("m", `${i}${BIG}`)))[1],
            new RegExp(`^42\\["m","${i}a+"`),
          );
        }
      },
    );
  });

  test("without permessage-deflate nothing is compressed", async () => {
    await withServer({}, async (io, socket, client) => {
      assert.equal(client.extensions, "");
      assert.equal((await frameOf(client, () => io.compress(true).emit("m", BIG)))[0], false);
      assert.equal((await frameOf(client, () => socket.emit("m", BIG)))[0], false);
    });
  });

  test("a custom wsEngine (ws): compress(false) is honoured on broadcasts", async () => {
    await withServer({ perMessageDeflate: true, wsEngine: WebSocketServer }, async (io, _socket, client) => {
      assert.match(client.extensions, /permessage-deflate/);
      assert.equal((await frameOf(client, () => io.compress(false).emit("m", BIG)))[0], false);
      assert.equal((await frameOf(client, () => io.compress(true).emit("m", BIG)))[0], true);
    });
  });
});
