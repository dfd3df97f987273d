// The client's Socket.IO codec (src/parser.ts) against @volley/protocol, the server's: the same wire
// bytes for every packet, the same packets decoded from them (binary attachments included), and
// malformed input refused with PARSE_ERROR, never another exception.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as protocol from "@volley/protocol";
import fc from "fast-check";
import { ClientError } from "../src/errors.js";
import * as types from "../src/packet-type.js";
import { Decoder, Encoder } from "../src/parser.js";

const { PacketType } = protocol;

// JSON values with binary (Buffer, Uint8Array, ArrayBuffer, other views) anywhere inside.
const bytes = fc.uint8Array({ maxLength: 16 });
const binary = fc.oneof(
  bytes,
  bytes.map((b) => Buffer.from(b)),
  bytes.map((b) => b.slice().buffer),
  bytes.map((b) => new DataView(b.slice().buffer)),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.oneof(
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    ),
    binary,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("value"), { maxKeys: 4 }),
  ),
}));
const nsp = fc.oneof(fc.constant("/"), fc.stringMatching(/^\/[a-z0-9/_-]{1,12}$/));
const ackId = fc.nat({ max: 2 ** 40 });

const packet: fc.Arbitrary<protocol.Packet> = fc
  .oneof(
    fc.record({
      type: fc.constant(PacketType.CONNECT),
      nsp,
      data: fc.option(fc.dictionary(fc.string(), value), { nil: undefined }),
    }),
    fc.record({ type: fc.constant(PacketType.DISCONNECT), nsp }),
    fc.record({
      type: fc.constantFrom(PacketType.EVENT, PacketType.BINARY_EVENT),
      nsp,
      id: fc.option(ackId, { nil: undefined }),
      data: fc.tuple(fc.string(), fc.array(value, { maxLength: 4 })).map(([name, args]) => [name, ...args]),
    }),
    fc.record({
      type: fc.constantFrom(PacketType.ACK, PacketType.BINARY_ACK),
      nsp,
      id: ackId,
      data: fc.array(value, { maxLength: 4 }),
    }),
    fc.record({
      type: fc.constant(PacketType.CONNECT_ERROR),
      nsp,
      data: fc.record({ message: fc.string(), data: fc.option(value, { nil: undefined }) }),
    }),
  )
  .map((p) => {
    // Optional fields are absent, not undefined, as the encoders' callers build them.
    const out = { ...p } as Record<string, unknown>;
    for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
    return out as unknown as protocol.Packet;
  });

/** Chunks as Node's engine hands them over: text as is, binary as Buffers. */
const asReceived = (chunks: Array<string | Uint8Array>) =>
  chunks.map((c) => (typeof c === "string" ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength)));

function decodeAll(
  decoder: { add(c: string | Uint8Array): protocol.Packet | undefined },
  chunks: Array<string | Uint8Array>,
) {
  const packets: protocol.Packet[] = [];
  for (const chunk of asReceived(chunks)) {
    const p = decoder.add(chunk);
    if (p) packets.push(p);
  }
  return packets;
}

describe("client Socket.IO codec ≡ @volley/protocol", () => {
  test("the packet type constants are the protocol's", () => {
    assert.deepEqual({ ...types }, { ...PacketType });
  });

  test("same wire output for every packet (binary attachments included)", () => {
    fc.assert(
      fc.property(packet, (p) => {
        const ours = new Encoder().encode(p);
        const theirs = new protocol.Encoder().encode(p);
        assert.equal(ours.length, theirs.length);
        assert.equal(ours[0], theirs[0]);
        for (let i = 1; i < ours.length; i++)
          assert.deepEqual([...(ours[i] as Uint8Array)], [...(theirs[i] as Uint8Array)]);
      }),
      { numRuns: 500 },
    );
  });

  test("what one encodes, the other decodes identically", () => {
    fc.assert(
      fc.property(packet, (p) => {
        const chunks = new protocol.Encoder().encode(p);
        const reference = decodeAll(new protocol.Decoder({ maxAttachments: 1000 }), chunks);
        assert.equal(reference.length, 1);
        assert.deepStrictEqual(decodeAll(new Decoder(), chunks), reference);
        const ourChunks = new Encoder().encode(p);
        assert.deepStrictEqual(
          decodeAll(new protocol.Decoder({ maxAttachments: 1000 }), ourChunks),
          reference,
        );
        assert.deepStrictEqual(decodeAll(new Decoder(), ourChunks), reference);
      }),
      { numRuns: 500 },
    );
  });

  test("any text is a packet or a PARSE_ERROR, never another exception", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.stringMatching(/^[0-6][0-9-]{0,3}(\/[a-z]*,)?[0-9]{0,3}[[{"\]}0-9a-z,:]{0,12}$/),
        ),
        (text) => {
          try {
            new Decoder().add(text);
          } catch (error) {
            assert.ok(error instanceof ClientError && error.code === "PARSE_ERROR", String(error));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  test("malformed packets the protocol refuses are refused", () => {
    const bad = [
      "",
      "7",
      "x",
      '2{"a":1}', // EVENT payload must be an array
      "2[]", // ... with the event name
      "3", // ACK without arguments
      "2[broken",
      "5[]", // BINARY_EVENT without an attachment count
      '21-["a"]', // attachment count on a text packet
      '51-["a"]', // announces 1, holds 0
      '51-["a",{"_placeholder":true,"num":1}]', // index out of range
      '52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]', // the same index twice
      '2,["a"]', // empty namespace
    ];
    for (const text of bad) {
      assert.throws(() => new protocol.Decoder().add(text), `protocol refuses ${JSON.stringify(text)}`);
      assert.throws(
        () => new Decoder().add(text),
        { code: "PARSE_ERROR" },
        `client refuses ${JSON.stringify(text)}`,
      );
    }
    // Binary where none is expected, text while attachments are awaited.
    assert.throws(() => new Decoder().add(Buffer.from([1])), { code: "PARSE_ERROR" });
    const decoder = new Decoder();
    assert.equal(decoder.add('51-["a",{"_placeholder":true,"num":0}]'), undefined);
    assert.throws(() => decoder.add('2["b"]'), { code: "PARSE_ERROR" });
  });

  // The client's codec has no depth check of its own (the browser bundle budget): it decodes what the
  // protocol's accepts identically; what the protocol refuses as TOO_DEEP, the client may decode.
  test("nesting: both decode MAX_DEPTH levels alike; the protocol refuses one more", () => {
    const { MAX_DEPTH } = protocol;
    const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;
    const accepted = [
      `2["x",${nested(MAX_DEPTH - 1)}]`,
      `31${nested(MAX_DEPTH)}`,
      `2${JSON.stringify(["x", "[".repeat(5000), { ["{".repeat(3000)]: '"\\' }])}`,
    ];
    for (const text of accepted) {
      assert.deepStrictEqual(new Decoder().add(text), new protocol.Decoder().add(text));
    }
    const refused = [
      `2["x",${nested(MAX_DEPTH)}]`,
      // strings ending in a backslash, and holding an escaped quote, before the deep part
      `2[${JSON.stringify("x\\")},${nested(100_000)}]`,
      `2[${JSON.stringify('x\\"')},${nested(MAX_DEPTH)}]`,
      `51-["x",${'{"a":'.repeat(MAX_DEPTH)}{"_placeholder":true,"num":0}${"}".repeat(MAX_DEPTH)}]`,
    ];
    for (const text of refused) {
      assert.throws(() => new protocol.Decoder().add(text), { code: "TOO_DEEP" });
    }
  });

  test("nesting: the protocol decoder's bracket scan is exact on random JSON", () => {
    const deep = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "medium", maxDepth: 12 },
        fc.string({ unit: fc.constantFrom("[", "]", "{", "}", '"', "\\", "a") }),
        fc.integer(),
        fc.array(tie("value"), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 3 }), tie("value"), { maxKeys: 2 }),
      ),
    })).value;
    fc.assert(
      fc.property(deep, fc.integer({ min: 1, max: 12 }), (value, maxDepth) => {
        const text = `2${JSON.stringify(["e", value])}`;
        const levels = depthOf(["e", value]);
        const ours = new protocol.Decoder({ maxDepth });
        if (levels > maxDepth) assert.throws(() => ours.add(text), { code: "TOO_DEEP" });
        else assert.ok(ours.add(text));
      }),
      { numRuns: 1000 },
    );
  });

  test('a "__proto__" key holding an attachment stays an own property', () => {
    const decoder = new Decoder();
    decoder.add('51-["a",{"__proto__":{"_placeholder":true,"num":0}}]');
    const packet = decoder.add(Buffer.from([7]))!;
    const holder = (packet.data as unknown[])[1] as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(holder), Object.prototype);
    assert.ok(Object.hasOwn(holder, "__proto__"));
    assert.deepEqual([...(Object.getOwnPropertyDescriptor(holder, "__proto__")!.value as Buffer)], [7]);
  });
});

/** Levels of nested arrays/objects, the outermost counting as one. */
function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child));
  return deepest + 1;
}
