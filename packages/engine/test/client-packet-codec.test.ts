// The engine client's Engine.IO codec (src/client/packet-codec.ts) against the reference codec
// (@volley/engine/parser, the server's): the same wire output, the same packets back, and malformed
// input refused with PARSE_ERROR, never another exception.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as parser from "@volley/engine/parser";
import fc from "fast-check";
import { EngineClientError } from "../src/client/errors.js";
import * as codec from "../src/client/packet-codec.js";

const text = fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\x1e"));
const binary = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
  fc.uint8Array({ maxLength: 40 }).map((b) => b.slice().buffer),
);
const packet: fc.Arbitrary<parser.Packet> = fc.oneof(
  fc.record({ type: fc.constantFrom(...(Object.keys(parser.PacketType) as parser.PacketTypeName[])) }),
  fc.record({
    type: fc.constantFrom(...(Object.keys(parser.PacketType) as parser.PacketTypeName[])),
    data: text.filter((s) => s.length > 0),
  }),
  fc.record({ type: fc.constant("message" as const), data: binary }),
);

const bytesOf = (data: unknown) =>
  typeof data === "string" ? data : [...parser.toUint8Array(data as parser.BinaryData)];

describe("client Engine.IO codec ≡ @volley/engine/parser", () => {
  test("the protocol revision is the parser's", () => {
    assert.equal(codec.PROTOCOL_VERSION, parser.PROTOCOL_VERSION);
  });

  test("same packet encoding, for WebSocket (binary) and polling (base64)", () => {
    fc.assert(
      fc.property(packet, fc.boolean(), (p, supportsBinary) => {
        assert.deepEqual(
          bytesOf(codec.encodePacket(p, supportsBinary)),
          bytesOf(parser.encodePacket(p, supportsBinary)),
        );
      }),
      { numRuns: 500 },
    );
  });

  test("same payloads, and the same packets decoded from them", () => {
    fc.assert(
      fc.property(fc.array(packet, { minLength: 1, maxLength: 6 }), (packets) => {
        const body = codec.encodePayload(packets);
        assert.equal(body, parser.encodePayload(packets));
        const ours = codec.decodePayload(body);
        const theirs = parser.decodePayload(body);
        assert.deepEqual(
          ours.map((p) => [p.type, p.data === undefined ? undefined : bytesOf(p.data)]),
          theirs.map((p) => [p.type, p.data === undefined ? undefined : bytesOf(p.data)]),
        );
      }),
      { numRuns: 300 },
    );
  });

  test("binary frames are message packets as they stand", () => {
    const frame = Buffer.from([1, 2, 3]);
    assert.deepEqual(codec.decodePacket(frame), parser.decodePacket(frame));
  });

  test("any text is a packet or a PARSE_ERROR, never another exception", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^b[A-Za-z0-9+/=]{0,9}$/)), (raw) => {
        try {
          codec.decodePayload(raw);
        } catch (error) {
          assert.ok(error instanceof EngineClientError && error.code === "PARSE_ERROR", String(error));
        }
      }),
      { numRuns: 1000 },
    );
  });

  test("malformed packets the parser refuses are refused", () => {
    for (const raw of ["", "7", "x", "bA", "b!!!!", "bAAA==", "4a\x1e"]) {
      assert.throws(() => parser.decodePayload(raw), `parser refuses ${JSON.stringify(raw)}`);
      assert.throws(
        () => codec.decodePayload(raw),
        { code: "PARSE_ERROR" },
        `client refuses ${JSON.stringify(raw)}`,
      );
    }
  });
});
