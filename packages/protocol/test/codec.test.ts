import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Decoder,
  Encoder,
  MAX_DEPTH,
  type Packet,
  PacketType,
  ProtocolError,
  parser,
} from "@volley/protocol";
import fc from "fast-check";

const enc = new Encoder();

function decodeAll(
  chunks: Array<string | Uint8Array | ArrayBuffer>,
  opts?: ConstructorParameters<typeof Decoder>[0],
) {
  const d = new Decoder(opts);
  let out: Packet | undefined;
  for (const c of chunks) out = d.add(c);
  return out;
}

function assertProtocolError(fn: () => unknown, code: string) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.ok(err.message.length > 0);
    return true;
  });
}

describe("Encoder (spec examples)", () => {
  const cases: Array<[Packet, string]> = [
    [{ type: PacketType.CONNECT, nsp: "/" }, "0"],
    [{ type: PacketType.CONNECT, nsp: "/", data: { sid: "abc" } }, '0{"sid":"abc"}'],
    [{ type: PacketType.CONNECT, nsp: "/admin" }, "0/admin,"],
    [{ type: PacketType.CONNECT, nsp: "/admin", data: { sid: "x" } }, '0/admin,{"sid":"x"}'],
    [
      { type: PacketType.CONNECT_ERROR, nsp: "/", data: { message: "Not authorized" } },
      '4{"message":"Not authorized"}',
    ],
    [{ type: PacketType.EVENT, nsp: "/", data: ["foo"] }, '2["foo"]'],
    [{ type: PacketType.EVENT, nsp: "/admin", data: ["bar"] }, '2/admin,["bar"]'],
    [{ type: PacketType.EVENT, nsp: "/", data: ["foo"], id: 12 }, '212["foo"]'],
    [{ type: PacketType.ACK, nsp: "/", data: [], id: 12 }, "312[]"],
    [{ type: PacketType.EVENT, nsp: "/admin", data: ["foo"], id: 13 }, '2/admin,13["foo"]'],
    [{ type: PacketType.ACK, nsp: "/admin", data: ["bar"], id: 13 }, '3/admin,13["bar"]'],
    [{ type: PacketType.DISCONNECT, nsp: "/" }, "1"],
    [{ type: PacketType.DISCONNECT, nsp: "/admin" }, "1/admin,"],
  ];
  for (const [packet, wire] of cases) {
    test(`${JSON.stringify(packet)} → ${wire}`, () => {
      assert.deepEqual(enc.encode(packet), [wire]);
      assert.deepEqual(decodeAll([wire]), packet);
    });
  }

  test("binary event is upgraded to BINARY_EVENT with placeholders", () => {
    const buf = Buffer.from([1, 2, 3, 4]);
    const out = enc.encode({ type: PacketType.EVENT, nsp: "/", data: ["baz", buf] });
    assert.deepEqual(out, ['51-["baz",{"_placeholder":true,"num":0}]', buf]);
    assert.equal(out[1], buf, "a Buffer is passed through without a copy");
  });

  test("binary ack with namespace and id", () => {
    const out = enc.encode({
      type: PacketType.ACK,
      nsp: "/admin",
      id: 15,
      data: [Buffer.from([1]), Buffer.from([2])],
    });
    assert.equal(out[0], '62-/admin,15[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    assert.equal(out.length, 3);
  });

  test("BINARY_EVENT without binary is sent as EVENT", () => {
    assert.deepEqual(enc.encode({ type: PacketType.BINARY_EVENT, nsp: "/", data: ["a", 1] }), ['2["a",1]']);
  });

  test("ArrayBuffer, typed arrays and DataView nested anywhere", () => {
    const ab = new Uint8Array([9, 8]).buffer;
    const f32 = new Float32Array([1.5]);
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5]);
    const sub = new Uint16Array(backing.buffer, 2, 1);
    const dv = new DataView(backing.buffer, 4, 2);
    const data = ["ev", { a: [ab, { deep: f32 }], b: sub }, dv];
    const out = enc.encode({ type: PacketType.EVENT, nsp: "/", data });
    assert.equal(out.length, 5);
    assert.deepEqual(out[1], new Uint8Array([9, 8]));
    assert.deepEqual(out[2], new Uint8Array(f32.buffer));
    assert.deepEqual(out[3], new Uint8Array([2, 3]));
    assert.deepEqual(out[4], new Uint8Array([4, 5]));
    // the caller's data is untouched
    assert.equal((data[1] as { a: unknown[] }).a[0], ab);
    const decoded = decodeAll(out)!;
    assert.equal(decoded.type, PacketType.BINARY_EVENT);
    assert.deepEqual((decoded.data as unknown[])[2], new Uint8Array([4, 5]));
  });

  test("toJSON is honoured (Date) and binary under toJSON is found", () => {
    const date = new Date(0);
    assert.deepEqual(enc.encode({ type: PacketType.EVENT, nsp: "/", data: ["d", date] }), [
      '2["d","1970-01-01T00:00:00.000Z"]',
    ]);
    const wrapped = { toJSON: () => ({ bin: Buffer.from([7]) }) };
    const out = enc.encode({ type: PacketType.EVENT, nsp: "/", data: ["w", wrapped] });
    assert.equal(out[0], '51-["w",{"bin":{"_placeholder":true,"num":0}}]');
  });

  test("cycles give a ProtocolError, not a stack overflow", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    assertProtocolError(
      () => enc.encode({ type: PacketType.EVENT, nsp: "/", data: ["x", a] }),
      "UNENCODABLE",
    );
  });

  test("BigInt gives a ProtocolError", () => {
    assertProtocolError(
      () => enc.encode({ type: PacketType.EVENT, nsp: "/", data: ["x", 1n] }),
      "UNENCODABLE",
    );
  });
});

describe("Decoder", () => {
  test("binary reconstruction keeps the received form (Buffer / ArrayBuffer)", () => {
    const d = new Decoder();
    assert.equal(
      d.add('52-/admin,7["up",{"x":{"_placeholder":true,"num":1}},{"_placeholder":true,"num":0}]'),
      undefined,
    );
    const b0 = Buffer.from([1]);
    const b1 = new Uint8Array([2]).buffer;
    assert.equal(d.add(b0), undefined);
    const p = d.add(b1)!;
    assert.deepEqual(p, {
      type: PacketType.BINARY_EVENT,
      nsp: "/admin",
      id: 7,
      attachments: 2,
      data: ["up", { x: b1 }, b0],
    });
    assert.equal((p.data as unknown[])[2], b0);
    // decoder is reusable afterwards
    assert.deepEqual(d.add('2["next"]'), { type: PacketType.EVENT, nsp: "/", data: ["next"] });
  });

  test("namespace without trailing comma at end of packet", () => {
    assert.deepEqual(decodeAll(["1/admin"]), { type: PacketType.DISCONNECT, nsp: "/admin" });
  });

  test("CONNECT_ERROR with a legacy string payload", () => {
    assert.deepEqual(decodeAll(['4"nope"']), { type: PacketType.CONNECT_ERROR, nsp: "/", data: "nope" });
  });

  test("a __proto__ key holding a placeholder stays an own property", () => {
    const d = new Decoder();
    d.add('51-["e",{"__proto__":{"_placeholder":true,"num":0}}]');
    const buf = Buffer.from([1]);
    const p = d.add(buf)!;
    const obj = (p.data as unknown[])[1] as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(obj), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(obj, "__proto__")?.value, buf);
  });

  const malformed: Array<[string, string]> = [
    ["", "INVALID_PACKET_TYPE"],
    ["7", "INVALID_PACKET_TYPE"],
    ["a", "INVALID_PACKET_TYPE"],
    ["2", "INVALID_PAYLOAD"],
    ["2{}", "INVALID_PAYLOAD"],
    ['2"str"', "INVALID_PAYLOAD"],
    ["2[]", "INVALID_PAYLOAD"],
    ["2[{}]", "INVALID_PAYLOAD"],
    ["2[null]", "INVALID_PAYLOAD"],
    ["2[", "INVALID_JSON"],
    ["2/admin,{bad", "INVALID_JSON"],
    ["3[]", "INVALID_ACK_ID"],
    ['3{"a":1}', "INVALID_ACK_ID"],
    ["31{}", "INVALID_PAYLOAD"],
    ["31", "INVALID_PAYLOAD"],
    ["0[]", "INVALID_PAYLOAD"],
    ["0null", "INVALID_PAYLOAD"],
    ['0"x"', "INVALID_PAYLOAD"],
    ["012", "INVALID_ACK_ID"],
    ["1{}", "INVALID_PAYLOAD"],
    ["4", "INVALID_PAYLOAD"],
    ["41", "INVALID_ACK_ID"],
    ['2,["x"]', "INVALID_NAMESPACE"],
    ['2/ad\u0001min,["x"]', "INVALID_NAMESPACE"],
    ['299999999999999999999["x"]', "INVALID_ACK_ID"],
    ['29007199254740993["x"]', "INVALID_ACK_ID"],
    ['5["x"]', "INVALID_ATTACHMENTS"],
    ['5-["x"]', "INVALID_ATTACHMENTS"],
    ['51["x"]', "INVALID_ATTACHMENTS"],
    ['5x-["x"]', "INVALID_ATTACHMENTS"],
    ['511-["x"]', "TOO_MANY_ATTACHMENTS"],
    ['51-["x"]', "INVALID_ATTACHMENTS"],
    ['51-["x",{"_placeholder":true,"num":1}]', "INVALID_ATTACHMENTS"],
    ['51-["x",{"_placeholder":true,"num":-1}]', "INVALID_ATTACHMENTS"],
    ['51-["x",{"_placeholder":true,"num":"0"}]', "INVALID_ATTACHMENTS"],
    ['52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]', "INVALID_ATTACHMENTS"],
    ['51-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', "INVALID_ATTACHMENTS"],
    ["61-[]", "INVALID_ACK_ID"],
  ];
  for (const [wire, code] of malformed) {
    test(`rejects ${JSON.stringify(wire)} with ${code}`, () => {
      assertProtocolError(() => new Decoder().add(wire), code);
    });
  }

  test("maxAttachments and maxAckId are options", () => {
    assertProtocolError(() => new Decoder({ maxAttachments: 1 }).add('52-["x"]'), "TOO_MANY_ATTACHMENTS");
    assertProtocolError(() => new Decoder({ maxAckId: 100 }).add('2101["x"]'), "INVALID_ACK_ID");
    assert.equal(new Decoder({ maxAckId: 100 }).add('2100["x"]')?.id, 100);
  });

  test("binary without a pending packet, text while pending, bad chunk types", () => {
    assertProtocolError(() => new Decoder().add(Buffer.from([1])), "UNEXPECTED_BINARY");
    const d = new Decoder();
    d.add('51-["x",{"_placeholder":true,"num":0}]');
    assertProtocolError(() => d.add('2["y"]'), "UNEXPECTED_TEXT");
    assertProtocolError(() => new Decoder().add(42 as unknown as string), "INVALID_CHUNK");
  });

  test("destroy drops a half-received packet and refuses further input", () => {
    const d = new Decoder();
    d.add('51-["x",{"_placeholder":true,"num":0}]');
    d.destroy();
    assertProtocolError(() => d.add(Buffer.from([1])), "DECODER_DESTROYED");
  });

  test("deeply nested JSON is refused with TOO_DEEP before parsing, binary packets too", () => {
    const depth = 100_000;
    assertProtocolError(
      () => new Decoder().add(`2["x",${"[".repeat(depth)}${"]".repeat(depth)}]`),
      "TOO_DEEP",
    );
    const wire = `51-["x",${"[".repeat(depth)}{"_placeholder":true,"num":0}${"]".repeat(depth)}]`;
    assertProtocolError(() => new Decoder().add(wire), "TOO_DEEP");
    try {
      new Decoder().add(wire);
    } catch (err) {
      assert.match((err as Error).message, /maxDepth \(1000 levels\)/);
    }
  });

  // The outermost array is level 1: `[` × n holds n levels.
  const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

  test("the decoder accepts exactly what the encoder can write back (MAX_DEPTH levels)", () => {
    assert.equal(MAX_DEPTH, 1000);
    const deepest = `3${nested(MAX_DEPTH).replace(/^\[/, "[1,")}`.replace("3[1,", "31[");
    const packet = new Decoder().add(deepest);
    assert.ok(packet);
    // What was received can be echoed in an ACK: the encoder takes the same depth...
    assert.equal(enc.encode(packet)[0], deepest);
    // ... and one level more is refused by both.
    assertProtocolError(() => new Decoder().add(`31[${nested(MAX_DEPTH)}]`), "TOO_DEEP");
    assertProtocolError(
      () => enc.encode({ type: PacketType.ACK, nsp: "/", id: 1, data: JSON.parse(`[${nested(MAX_DEPTH)}]`) }),
      "UNENCODABLE",
    );
  });

  test("brackets inside strings do not count, escaped quotes do not end a string", () => {
    const brackets = "[".repeat(5000);
    const strings = ["x", brackets, `"${brackets}`, `\\${brackets}`, `\\"${brackets}`];
    const p = new Decoder().add(`2${JSON.stringify([...strings, { [brackets]: 1 }])}`);
    assert.ok(p);
    assert.deepEqual(p.data, [...strings, { [brackets]: 1 }]);
    // Escapes do not hide the brackets after a string: "x\"" then "x\\" (a string ending in a backslash).
    for (const str of ['x"', "x\\", 'x\\"']) {
      const wire = `2[${JSON.stringify(str)},${nested(1001)}]`;
      assertProtocolError(() => new Decoder().add(wire), "TOO_DEEP");
    }
  });

  test("maxDepth is an option", () => {
    assertProtocolError(() => new Decoder({ maxDepth: 3 }).add(`2["x",${nested(3)}]`), "TOO_DEEP");
    assert.ok(new Decoder({ maxDepth: 3 }).add(`2["x",${nested(2)}]`));
    assert.ok(new Decoder({ maxDepth: 3 }).add(`2["x","${"[".repeat(10)}"]`));
    assertProtocolError(() => new Decoder({ maxDepth: 1 }).add('0{"a":{}}'), "TOO_DEEP");
  });

  test("the bracket count only bounds the depth: more brackets than maxDepth, side by side, still pass", () => {
    const d = new Decoder({ maxDepth: 3 });
    // 6 opening brackets, 2 levels deep: past the count, the exact pass decides.
    assert.ok(d.add(`2["x",[],{},[{}],"pad"]`));
    assert.ok(d.add(`2["x",${"[],".repeat(5000)}{}]`));
    // Exactly maxDepth openers nested in a long text: within the limit without the exact pass.
    assert.ok(d.add(`2["${"y".repeat(100)}",[{"a":1}]]`));
    assertProtocolError(() => d.add(`2["${"y".repeat(100)}",[{"a":[]}]]`), "TOO_DEEP");
  });

  test("the default parser object exposes both classes", () => {
    assert.equal(parser.Encoder, Encoder);
    assert.equal(parser.Decoder, Decoder);
  });
});

describe("properties", () => {
  const json = fc.jsonValue({ maxDepth: 4 });
  const bin = fc.uint8Array({ maxLength: 16 }).map((u) => Buffer.from(u));
  const withBinary = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      json,
      bin,
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 5 }), tie("value"), { maxKeys: 4 }),
    ),
  })).value;

  test("encode → decode is the identity for events and acks", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(PacketType.EVENT, PacketType.ACK),
        fc.constantFrom("/", "/admin", "/a/b-c"),
        fc.option(fc.nat({ max: 2 ** 40 }), { nil: undefined }),
        fc.string(),
        fc.array(withBinary, { maxLength: 5 }),
        (type, nsp, id, name, args) => {
          if (type === PacketType.ACK && id === undefined) id = 0;
          const data = type === PacketType.EVENT ? [name, ...args] : args;
          const packet: Packet = { type, nsp, data };
          if (id !== undefined) packet.id = id;
          const chunks = enc.encode(packet);
          const decoded = new Decoder({ maxAttachments: 1000 });
          let out: Packet | undefined;
          for (const c of chunks) out = decoded.add(c);
          assert.ok(out);
          assert.equal(out.nsp, nsp);
          assert.equal(out.id, id);
          // JSON round trip normalises -0 and undefined in objects, as on the wire
          assert.deepEqual(out.data, normalise(data));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("the decoder throws nothing but ProtocolError on arbitrary input", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 40 }),
            fc.constantFrom("5", "51-", "2[", "0/", "3"),
            fc.uint8Array({ maxLength: 4 }),
          ),
          {
            maxLength: 4,
          },
        ),
        (chunks) => {
          const d = new Decoder();
          for (const c of chunks) {
            try {
              d.add(c);
            } catch (err) {
              assert.ok(err instanceof ProtocolError, String(err));
              return;
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// What a JSON round trip does to data, leaving buffers in place.
function normalise(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value;
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : normalise(v)));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = normalise(v);
    return out;
  }
  return JSON.parse(JSON.stringify(value) ?? "null");
}

test("an own __proto__ key survives encoding beside binary (regression from fast-check)", () => {
  const payload = JSON.parse('{"__proto__":"kept","nested":{"__proto__":{"a":1}}}') as object;
  const [header, ...attachments] = new Encoder().encode({
    type: PacketType.EVENT,
    nsp: "/",
    data: ["e", payload, Buffer.from([1])],
  });
  assert.equal(attachments.length, 1);
  assert.match(header as string, /"__proto__":"kept"/);
  assert.match(header as string, /"nested":\{"__proto__":\{"a":1\}\}/);
});
