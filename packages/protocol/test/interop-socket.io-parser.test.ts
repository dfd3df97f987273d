// Our codec against the real peer's codec (socket.io-parser, shipped with socket.io): each side
// decodes what the other encodes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Decoder, Encoder, type Packet, PacketType } from "@volley/protocol";
import * as sio from "socket.io-parser";

const samples: Packet[] = [
  { type: PacketType.CONNECT, nsp: "/" },
  { type: PacketType.CONNECT, nsp: "/admin", data: { token: "abc", n: 1 } },
  { type: PacketType.DISCONNECT, nsp: "/chat" },
  { type: PacketType.EVENT, nsp: "/", data: ["hello", 1, "two", { three: [3] }] },
  { type: PacketType.EVENT, nsp: "/x", id: 42, data: ["ask"] },
  { type: PacketType.ACK, nsp: "/", id: 7, data: [] },
  { type: PacketType.CONNECT_ERROR, nsp: "/", data: { message: "unauthorized", data: { code: 1 } } },
  {
    type: PacketType.EVENT,
    nsp: "/bin",
    id: 3,
    data: ["file", { name: "a", body: Buffer.from([1, 2, 3]) }, [Buffer.from([4])]],
  },
  { type: PacketType.ACK, nsp: "/", id: 9, data: [Buffer.from("ok")] },
];

function theirDecode(chunks: Array<string | Uint8Array>): Promise<sio.Packet> {
  return new Promise((resolve, reject) => {
    const d = new sio.Decoder();
    d.on("decoded", resolve);
    try {
      for (const c of chunks) d.add(typeof c === "string" ? c : Buffer.from(c));
    } catch (err) {
      reject(err);
    }
  });
}

test("socket.io-parser decodes what we encode", async () => {
  const enc = new Encoder();
  for (const packet of samples) {
    const theirs = await theirDecode(enc.encode(packet));
    assert.equal(theirs.nsp, packet.nsp);
    assert.equal(theirs.id, packet.id);
    assert.deepEqual(theirs.data, packet.data);
  }
});

test("we decode what socket.io-parser encodes", () => {
  const theirEncoder = new sio.Encoder();
  for (const packet of samples) {
    const chunks = theirEncoder.encode({
      ...packet,
      type: packet.type as unknown as sio.PacketType,
    }) as Array<string | Buffer>;
    const d = new Decoder();
    let out: Packet | undefined;
    for (const c of chunks) out = d.add(c);
    assert.ok(out, `decoded ${JSON.stringify(chunks[0])}`);
    assert.equal(out.nsp, packet.nsp);
    assert.equal(out.id, packet.id);
    assert.deepEqual(out.data, packet.data);
  }
});
