// The msgpack codec of the socket.io compat mode: our own round trip, both directions against the
// real notepack.io (the library the official adapter encodes with, loaded from where the adapter
// loads it), and hostile input that must fail with MALFORMED_MESSAGE, never anything else.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ClusterAdapterError } from "volley";
import { decodeMsgpack, encodeMsgpack } from "../src/compat/msgpack.js";

const require = createRequire(import.meta.url);
const notepack = createRequire(require.resolve("@socket.io/redis-adapter"))("notepack.io") as {
  encode(value: unknown): Buffer;
  decode(bytes: Buffer): unknown;
};

/**
 * JSON values plus binary, where the official adapter puts them (event arguments, acks, data).
 * `protoKeys`: whether maps may hold a `__proto__` key (notepack.io drops it on decoding, ours keeps
 * it as an own property, so the comparisons with notepack leave it out).
 */
const values = (protoKeys: boolean) =>
  fc.letrec((tie) => ({
    leaf: fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.maxSafeInteger(),
      fc.double({ noNaN: true }),
      fc.string({ unit: "binary" }),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    ),
    node: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      tie("leaf"),
      fc.array(tie("node"), { maxLength: 20 }),
      fc.dictionary(protoKeys ? fc.string() : fc.string().filter((k) => k !== "__proto__"), tie("node"), {
        maxKeys: 20,
        noNullPrototype: true,
      }),
    ),
  })).node;
const value = values(true);
const notepackValue = values(false);

/** Bigger containers and strings than `value` makes: the 16- and 32-bit length forms. */
const large = fc.oneof(
  fc.array(fc.integer(), { minLength: 16, maxLength: 70_000 }).filter((a) => a.length > 15),
  fc.string({ minLength: 32, maxLength: 70_000, unit: "grapheme" }),
  fc.uint8Array({ minLength: 256, maxLength: 70_000 }).map((a) => Buffer.from(a)),
  fc.dictionary(
    fc.string().filter((k) => k !== "__proto__"),
    fc.integer(),
    { minKeys: 16, maxKeys: 40, noNullPrototype: true },
  ),
);

function isMalformed(err: unknown): boolean {
  return err instanceof ClusterAdapterError && err.code === "MALFORMED_MESSAGE";
}

describe("msgpack (socket.io compat)", () => {
  test("round trip: decode(encode(v)) equals v", () => {
    fc.assert(
      fc.property(fc.oneof(value, large), (v) => {
        assert.deepStrictEqual(decodeMsgpack(encodeMsgpack(v)), v);
      }),
      { numRuns: 400 },
    );
  });

  test("decodes what the real notepack.io encodes, exactly as notepack.io decodes it", () => {
    fc.assert(
      fc.property(fc.oneof(notepackValue, large), (v) => {
        const bytes = notepack.encode(v);
        assert.deepStrictEqual(decodeMsgpack(bytes), notepack.decode(bytes));
      }),
      { numRuns: 400 },
    );
  });

  test("the real notepack.io decodes what we encode", () => {
    fc.assert(
      fc.property(fc.oneof(notepackValue, large), (v) => {
        // notepack writes -0 as the integer 0; ours keeps the sign as a float: both read back equal.
        assert.deepStrictEqual(notepack.decode(encodeMsgpack(v)), v);
      }),
      { numRuns: 400 },
    );
  });

  test("JSON's rules where msgpack has none; notepack's extensions are read", () => {
    const fn = () => 1;
    assert.deepStrictEqual(decodeMsgpack(encodeMsgpack({ a: undefined, b: fn, c: 1 })), { c: 1 });
    assert.deepStrictEqual(decodeMsgpack(encodeMsgpack([undefined, fn, 2])), [null, null, 2]);
    assert.equal(decodeMsgpack(encodeMsgpack(new Date(5))), new Date(5).toJSON());
    // ArrayBuffer and typed arrays travel as binary (all their bytes).
    assert.deepStrictEqual(
      decodeMsgpack(encodeMsgpack(new Uint16Array([1, 0x0203]).buffer)),
      Buffer.from([1, 0, 3, 2]),
    );
    assert.deepStrictEqual(decodeMsgpack(encodeMsgpack(new Uint16Array([0x0102]))), Buffer.from([2, 1]));
    assert.ok(Object.is(decodeMsgpack(encodeMsgpack(-0)), -0));
    assert.ok(Number.isNaN(decodeMsgpack(encodeMsgpack(Number.NaN))));
    assert.equal(decodeMsgpack(encodeMsgpack(2 ** 60)), 2 ** 60);
    assert.equal(decodeMsgpack(encodeMsgpack(-(2 ** 60))), -(2 ** 60));
    // notepack's Date (timestamp extension, 32- and 64-bit) and undefined (fixext 1, type 0).
    for (const ms of [0, 1000, 1_700_000_000_123, 2 ** 34 * 1000 + 5]) {
      assert.deepStrictEqual(decodeMsgpack(notepack.encode(new Date(ms))), new Date(ms));
    }
    assert.equal(decodeMsgpack(Buffer.from("d40000", "hex")), undefined);
    // 96-bit timestamp: nanoseconds, then signed seconds.
    assert.deepStrictEqual(
      decodeMsgpack(Buffer.from("c70cff000f4240fffffffffffffffe", "hex")),
      new Date(-1999),
    );
    assert.deepStrictEqual(decodeMsgpack(Buffer.from("ca3fc00000", "hex")), 1.5);
  });

  test("a __proto__ key stays an own property", () => {
    const decoded = decodeMsgpack(Buffer.from("81a95f5f70726f746f5f5f81a178c3", "hex")) as Record<
      string,
      unknown
    >;
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
    assert.deepStrictEqual(Object.keys(decoded), ["__proto__"]);
    assert.equal((decoded as { x?: unknown }).x, undefined);
  });

  test("what cannot be encoded is an UNENCODABLE error", () => {
    const cycle: unknown[] = [];
    cycle.push(cycle);
    for (const v of [10n, { a: 1n }, cycle]) {
      assert.throws(
        () => encodeMsgpack(v),
        (err) => err instanceof ClusterAdapterError && err.code === "UNENCODABLE",
      );
    }
  });

  test("malformed input fails with MALFORMED_MESSAGE, never anything else", () => {
    const cases = [
      "", // nothing
      "c1", // never used
      "92", // array of 2, no elements
      "dd7fffffff", // array of 2^31 declared, no bytes
      "df7fffffff", // map of 2^31 declared
      "c6ffffffff00", // bin of 4 GiB declared
      "a2c3", // truncated string
      "a2c328", // invalid UTF-8
      "81c0c0", // nil map key
      "c0c0", // trailing bytes
      "d501ffff", // unknown extension
      "d6ff0000", // truncated timestamp
      `${"91".repeat(600)}c0`, // nested deeper than the limit
    ];
    for (const hex of cases) {
      assert.throws(() => decodeMsgpack(Buffer.from(hex, "hex")), isMalformed, hex);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeMsgpack(Buffer.from(bytes));
        } catch (err) {
          assert.ok(isMalformed(err), String(err));
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(value, fc.nat(), (v, cut) => {
        const bytes = encodeMsgpack(v);
        if (bytes.length < 2) return;
        assert.throws(() => decodeMsgpack(bytes.subarray(0, cut % bytes.length)), isMalformed);
      }),
      { numRuns: 400 },
    );
  });
});
