// Exact bytes on the wire for the exchanges of the Socket.IO protocol spec (socket.io-protocol's
// test-suite app: "message" → "message-back", "message-with-ack" → ack with the same arguments).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Socket } from "volley";
import { type Harness, setup } from "./helpers.js";
import { RawClient } from "./raw-client.js";

describe("wire format", () => {
  let h: Harness;
  const raws: RawClient[] = [];
  before(async () => {
    h = await setup();
    h.io.on("connection", (socket: Socket) => {
      socket.emit("auth", socket.handshake.auth);
      socket.on("message", (...args: unknown[]) => socket.emit("message-back", ...args));
      socket.on("message-with-ack", (...args: unknown[]) => {
        const ack = args.pop() as (...a: unknown[]) => void;
        ack(...args);
      });
    });
    h.io.of("/custom").on("connection", (socket: Socket) => socket.emit("auth", socket.handshake.auth));
  });
  after(async () => {
    for (const r of raws) await r.close();
    await h.cleanup();
  });

  async function open(): Promise<RawClient> {
    const raw = new RawClient(h.port);
    raws.push(raw);
    await raw.wait((m) => m.startsWith("0{"));
    return raw;
  }

  test("CONNECT to the main namespace, with and without a payload", async () => {
    const raw = await open();
    raw.ws.send('40{"token":"123"}');
    const reply = await raw.wait((m) => m.startsWith("40"));
    assert.deepEqual(Object.keys(JSON.parse(reply.slice(2))), ["sid"]);
    assert.equal(await raw.wait((m) => m.startsWith("42")), '42["auth",{"token":"123"}]');
    const raw2 = await open();
    raw2.ws.send("40");
    await raw2.wait((m) => m.startsWith("40"));
    assert.equal(await raw2.wait((m) => m.startsWith("42")), '42["auth",{}]');
  });

  test("CONNECT to a custom namespace, and to an unknown one", async () => {
    const raw = await open();
    raw.ws.send('40/custom,{"token":"abc"}');
    const reply = await raw.wait((m) => m.startsWith("40/custom,"));
    assert.equal(typeof JSON.parse(reply.slice(10)).sid, "string");
    assert.equal(await raw.wait((m) => m.startsWith("42")), '42/custom,["auth",{"token":"abc"}]');
    raw.ws.send("40/random");
    assert.equal(await raw.wait((m) => m.startsWith("44")), '44/random,{"message":"Invalid namespace"}');
  });

  test("events, acks and binary attachments", async () => {
    const raw = await open();
    raw.ws.send("40");
    await raw.wait((m) => m.startsWith("42"));
    raw.ws.send('42["message",1,"2",{"3":[true]}]');
    assert.equal(await raw.wait((m) => m.startsWith("42")), '42["message-back",1,"2",{"3":[true]}]');
    raw.ws.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    assert.equal(await raw.wait((m) => m.startsWith("43")), '43456[1,"2",{"3":[false]}]');

    const binaries: Buffer[] = [];
    raw.ws.on("message", (data, isBinary) => {
      if (isBinary) binaries.push(data as Buffer);
    });
    raw.ws.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    raw.ws.send(Uint8Array.from([1, 2, 3]));
    raw.ws.send(Uint8Array.from([4, 5, 6]));
    assert.equal(
      await raw.wait((m) => m.startsWith("45")),
      '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
    );
    raw.ws.send(
      '4622-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]'.replace(
        "4622-",
        "452-",
      ),
    );
    raw.ws.send(Uint8Array.from([7]));
    raw.ws.send(Uint8Array.from([8]));
    assert.equal(
      await raw.wait((m) => m.startsWith("46")),
      '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
    );
    assert.deepEqual(
      binaries.map((b) => [...b]),
      [[1, 2, 3], [4, 5, 6], [7], [8]],
    );
  });

  test("DISCONNECT from a custom namespace keeps the main one", async () => {
    const raw = await open();
    raw.ws.send("40");
    await raw.wait((m) => m.startsWith("42"));
    raw.ws.send("40/custom,");
    await raw.wait((m) => m.startsWith("42/custom,"));
    const before = h.io.of("/custom").sockets.size;
    raw.ws.send("41/custom,");
    raw.ws.send('42["message","to main"]');
    assert.equal(await raw.wait((m) => m.startsWith("42")), '42["message-back","to main"]');
    assert.equal(h.io.of("/custom").sockets.size, before - 1);
  });

  test("an invalid packet closes the connection", async () => {
    const raw = await open();
    raw.ws.send("4abc");
    await raw.closed();
  });
});
