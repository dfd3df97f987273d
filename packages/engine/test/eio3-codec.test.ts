// The Engine.IO protocol 3 codec (allowEIO3) against the real peer's: engine.io-parser@2, the codec of
// engine.io-client@3 (socket.io-client@2). Both directions, text and binary payloads, and malformed input.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { describe, test } from "node:test";
import { EngineParseError, type Packet } from "@volley/engine/parser";
import fc from "fast-check";
import {
  decodeBinaryFrameV3,
  decodeBinaryPayloadV3,
  decodePacketV3,
  decodeTextPayloadV3,
  encodeBinaryFrameV3,
  encodeBinaryPayloadV3,
  encodePacketV3,
  encodeTextPayloadV3,
} from "../src/parser/v3.js";

const require = createRequire(import.meta.url);

interface PeerPacket {
  type: string;
  data?: string | Buffer;
}
/** engine.io-parser@2's callback API, as engine.io-client@3 uses it. */
interface PeerParser {
  encodePacket(
    packet: PeerPacket,
    supportsBinary: boolean,
    utf8encode: boolean,
    cb: (e: unknown) => void,
  ): void;
  encodePayload(packets: PeerPacket[], supportsBinary: boolean, cb: (e: unknown) => void): void;
  decodePayload(
    data: string | Buffer,
    cb: (packet: PeerPacket, index: number, total: number) => unknown,
  ): void;
  decodePacket(data: string | Buffer): PeerPacket;
}
const peer = require(
  require.resolve("engine.io-parser", { paths: [dirname(require.resolve("engine.io-client-v3"))] }),
) as PeerParser;

function peerEncodePayload(packets: PeerPacket[], supportsBinary: boolean): string | Buffer {
  let out: unknown;
  peer.encodePayload(packets, supportsBinary, (encoded) => {
    out = encoded;
  });
  return out as string | Buffer;
}

function peerDecodePayload(data: string | Buffer): PeerPacket[] {
  const packets: PeerPacket[] = [];
  peer.decodePayload(data, (packet) => {
    packets.push(packet);
  });
  return packets;
}

/** Packets in the shape the peer gives back: binary as Buffer, an empty string as no data (`4`). */
function normalize(packets: Packet[]): PeerPacket[] {
  return packets.map((p) =>
    p.data === undefined || p.data === ""
      ? { type: p.type }
      : { type: p.type, data: typeof p.data === "string" ? p.data : Buffer.from(p.data as Uint8Array) },
  );
}

const text = fc.string({ unit: "grapheme", maxLength: 40 });
const packetArb: fc.Arbitrary<Packet> = fc.oneof(
  text.map((data) => ({ type: "message" as const, data })),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ type: "message" as const, data: Buffer.from(bytes) })),
  fc.constantFrom<Packet>(
    { type: "ping" },
    { type: "pong", data: "probe" },
    { type: "noop" },
    { type: "close" },
  ),
);
const batchArb = fc.array(packetArb, { minLength: 1, maxLength: 8 });

describe("protocol 3 codec vs engine.io-parser@2", () => {
  test("text payloads: lengths in UTF-16 units, binary as b4<base64>", () => {
    const packets: Packet[] = [
      { type: "message", data: "héllo€😀" },
      { type: "message", data: Buffer.from([1, 2, 3]) },
      { type: "ping" },
    ];
    const ours = encodeTextPayloadV3(packets.map(encodePacketV3));
    assert.equal(ours, "9:4héllo€😀6:b4AQID1:2");
    assert.equal(ours, peerEncodePayload(normalize(packets), false));
  });

  test("binary payloads: string parts as UTF-8 with byte lengths, binary parts after the type byte", () => {
    const parts = ["4héllo€😀", Buffer.from([1, 2, 3])];
    const ours = Buffer.from(encodeBinaryPayloadV3(parts));
    assert.deepEqual(ours, Buffer.from([0, 1, 4, 0xff, ...Buffer.from("4héllo€😀"), 1, 4, 0xff, 4, 1, 2, 3]));
    const theirs = peerEncodePayload(
      normalize([
        { type: "message", data: "héllo€😀" },
        { type: "message", data: Buffer.from([1, 2, 3]) },
      ]),
      true,
    );
    assert.deepEqual(ours, theirs);
  });

  test("binary frames carry the type byte; text frames are as in protocol 4", () => {
    assert.deepEqual(Buffer.from(encodeBinaryFrameV3(Buffer.from([7, 8]))), Buffer.from([4, 7, 8]));
    const decoded = decodeBinaryFrameV3(Buffer.from([4, 7, 8]));
    assert.deepEqual(normalize([decoded]), [{ type: "message", data: Buffer.from([7, 8]) }]);
    assert.deepEqual(normalize([decodePacketV3("b4AQID")]), [
      { type: "message", data: Buffer.from([1, 2, 3]) },
    ]);
    assert.deepEqual(decodePacketV3("4plain"), { type: "message", data: "plain" });
  });

  test("property: what either side encodes, the other decodes to the same packets", () => {
    fc.assert(
      fc.property(batchArb, (packets) => {
        const expected = normalize(packets);
        // Ours → theirs, text payload.
        const textBody = encodeTextPayloadV3(packets.map(encodePacketV3));
        assert.deepEqual(peerDecodePayload(textBody), expected);
        // Theirs → ours, text payload.
        const theirText = peerEncodePayload(expected, false) as string;
        assert.deepEqual(normalize(decodeTextPayloadV3(theirText, 1000)), expected);
        // Theirs → ours, binary payload (the peer picks binary only when a packet is binary).
        const theirBinary = peerEncodePayload(expected, true);
        const decoded =
          typeof theirBinary === "string"
            ? decodeTextPayloadV3(theirBinary, 1000)
            : decodeBinaryPayloadV3(theirBinary, 1000);
        assert.deepEqual(normalize(decoded), expected);
        // Ours → theirs, binary payload.
        const parts = packets.map((p) =>
          p.data !== undefined && typeof p.data !== "string" ? p.data : encodePacketV3(p),
        );
        assert.deepEqual(peerDecodePayload(Buffer.from(encodeBinaryPayloadV3(parts))), expected);
      }),
      { numRuns: 300 },
    );
  });

  test("property: arbitrary input decodes or throws EngineParseError, nothing else", () => {
    const onlyParseErrors = (decode: () => unknown) => {
      try {
        decode();
      } catch (err) {
        assert.ok(err instanceof EngineParseError, String(err));
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.string({ maxLength: 64 }), (bytes, body) => {
        onlyParseErrors(() => decodeBinaryPayloadV3(Buffer.from(bytes), 10));
        onlyParseErrors(() => decodeTextPayloadV3(body, 10));
        onlyParseErrors(() => decodeBinaryFrameV3(Buffer.from(bytes)));
        onlyParseErrors(() => decodePacketV3(body));
      }),
      { numRuns: 2000 },
    );
  });

  test("malformed payloads are refused with a reason, never half-decoded", () => {
    const badText: Array<[string, RegExp]> = [
      ["", /empty payload/],
      ["4hello", /invalid payload length/],
      [":4hi", /invalid payload length/],
      ["x:4hi", /invalid payload length/],
      ["9:4hi", /invalid payload length/],
      ["0:", /invalid payload length/],
      ["99999999999:4", /invalid payload length/],
      ["2:4h1:", /invalid payload length/],
      ["1:9", /unknown packet type/],
      ["4:b4!!", /invalid base64/],
      ["3:bx0", /unknown packet type/],
    ];
    for (const [body, reason] of badText) {
      assert.throws(() => decodeTextPayloadV3(body, 1000), reason, JSON.stringify(body));
    }
    assert.throws(() => decodeTextPayloadV3("1:21:21:2", 2), /maxPackets/);
    const badBinary: Array<[number[], RegExp]> = [
      [[], /empty payload/],
      [[2, 1, 0xff, 0x34], /invalid payload part/],
      [[0, 0xff, 0x34], /invalid payload length/],
      [[0, 1, 0x34], /invalid payload length/],
      [[0, 12, 0xff, 0x34], /invalid payload length/],
      [[0, 5, 0xff, 0x34], /invalid payload length/],
      [[0, 2, 0xff, 0x34, 0xc3], /invalid UTF-8/],
      [[1, 2, 0xff, 3, 9], /binary packet of type 3/],
      [[0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0xff], /invalid payload length/],
    ];
    for (const [bytes, reason] of badBinary) {
      assert.throws(() => decodeBinaryPayloadV3(Buffer.from(bytes), 1000), reason, JSON.stringify(bytes));
    }
    assert.throws(
      () => decodeBinaryPayloadV3(Buffer.from([0, 1, 0xff, 0x32, 0, 1, 0xff, 0x32]), 1),
      /maxPackets/,
    );
    assert.throws(() => decodeBinaryFrameV3(Buffer.alloc(0)), /empty binary packet/);
  });
});
