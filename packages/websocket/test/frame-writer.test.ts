// Frame encoding at every length boundary; what the writer emits, the reader (and ws) reads back.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encodeFrame, encodeTextFrame, frameHeaderSize } from "../src/frame-writer.js";
import { applyMask } from "../src/mask.js";
import { Opcode, prepareMessage } from "../src/index.js";
import { parseFrames } from "./helpers.js";

const BOUNDARIES: Array<[number, number]> = [
  [0, 2],
  [125, 2],
  [126, 4],
  [127, 4],
  [65535, 4],
  [65536, 10],
  [100000, 10],
];

function flat(frame: Buffer | Buffer[]): Buffer {
  return Array.isArray(frame) ? Buffer.concat(frame) : frame;
}

describe("frame writer", () => {
  for (const [length, headerSize] of BOUNDARIES) {
    test(`payload of ${length} bytes: ${headerSize}-byte header, masked and unmasked`, () => {
      const payload = Buffer.alloc(length, 0x5a);
      assert.equal(frameHeaderSize(length, false), headerSize);
      assert.equal(frameHeaderSize(length, true), headerSize + 4);
      const unmasked = flat(encodeFrame(Opcode.Binary, payload, true, false, false));
      assert.equal(unmasked.length, headerSize + length);
      const masked = flat(encodeFrame(Opcode.Binary, payload, true, false, true));
      assert.equal(masked.length, headerSize + 4 + length);
      assert.equal(masked[1]! & 0x80, 0x80);
      for (const frame of [unmasked, masked]) {
        const [parsed] = parseFrames(frame);
        assert.equal(parsed!.opcode, Opcode.Binary);
        assert.equal(parsed!.fin, true);
        assert.ok(parsed!.payload.equals(payload));
      }
      // The caller's buffer is never masked in place.
      assert.ok(payload.equals(Buffer.alloc(length, 0x5a)));
    });
  }

  test("FIN, RSV1 and opcode bits", () => {
    const frame = flat(encodeFrame(Opcode.Text, Buffer.from("x"), false, true, false));
    assert.equal(frame[0], 0x40 | Opcode.Text);
    const last = flat(encodeFrame(Opcode.Continuation, Buffer.from("x"), true, false, false));
    assert.equal(last[0], 0x80);
  });

  test("every masked frame gets a fresh key", () => {
    const keys = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const frame = flat(encodeFrame(Opcode.Text, Buffer.from("same"), true, false, true));
      keys.add(frame.subarray(2, 6).toString("hex"));
    }
    assert.ok(keys.size > 95);
  });

  test("applyMask: 8-byte lanes equal byte-at-a-time at any alignment, phase and length", () => {
    const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    for (const offset of [0, 1, 2, 3, 4, 5, 6, 7]) {
      for (const phase of [0, 1, 2, 3]) {
        for (const length of [0, 1, 2, 3, 4, 5, 127, 128, 129, 135, 136, 200, 1003]) {
          // Guard bytes on both sides must stay untouched.
          const backing = Buffer.alloc(offset + length + 9);
          for (let i = 0; i < backing.length; i++) backing[i] = (i * 7 + 3) & 0xff;
          const expected = Buffer.from(backing);
          for (let i = 0; i < length; i++) expected[offset + i]! ^= key[(phase + i) & 3]!;
          applyMask(backing, offset, offset + length, key, phase);
          assert.ok(backing.equals(expected), `offset ${offset} phase ${phase} length ${length}`);
        }
      }
    }
  });

  test("applyMask on a Buffer that is a slice of a larger pool, piece by piece", () => {
    const key = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    const payload = Buffer.allocUnsafe(70000).subarray(3, 65539);
    for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
    const original = Buffer.from(payload);
    // Unmask in uneven pieces, as the reader does when a payload spans socket chunks.
    const cuts = [0, 1, 130, 4099, 4100, 65000, payload.length];
    for (let c = 0; c + 1 < cuts.length; c++) applyMask(payload, cuts[c]!, cuts[c + 1]!, key, cuts[c]!);
    for (let i = 0; i < payload.length; i++) assert.equal(payload[i], original[i]! ^ key[i & 3]!);
  });

  test("encodeTextFrame: the same bytes as framing Buffer.from(text), at every boundary, in one buffer", () => {
    // Multi-byte characters put the UTF-8 size past each boundary while the string length stays below it.
    const texts = ["", "é", "x".repeat(125), "é".repeat(63), "€".repeat(42), "😀".repeat(16384)];
    for (const [length] of BOUNDARIES) texts.push("a".repeat(length));
    for (const text of texts) {
      const bytes = Buffer.from(text);
      const frame = encodeTextFrame(Opcode.Text, text, true, false);
      assert.ok(
        frame.equals(flat(encodeFrame(Opcode.Text, bytes, true, false, false))),
        `${bytes.length} bytes`,
      );
      const masked = encodeTextFrame(Opcode.Text, text, false, true);
      assert.equal(masked.length, frameHeaderSize(bytes.length, true) + bytes.length);
      const [parsed] = parseFrames(masked);
      assert.equal(parsed!.fin, false);
      assert.ok(parsed!.payload.equals(bytes));
    }
    // A caller that knows the UTF-8 size passes it; the opcode may say binary.
    const binary = encodeTextFrame(Opcode.Binary, "ab", true, false, null, 2);
    assert.deepEqual(parseFrames(binary)[0], {
      fin: true,
      rsv1: false,
      opcode: Opcode.Binary,
      payload: Buffer.from("ab"),
    });
  });

  test("prepareMessage of a string: one buffer, the payload a view of its tail", () => {
    for (const text of ["hi", "é".repeat(40000)]) {
      const prepared = prepareMessage(text);
      assert.equal(prepared.frames.length, 1);
      assert.ok(prepared.payload.equals(Buffer.from(text)));
      assert.equal(prepared.payload.buffer, prepared.frames[0]!.buffer);
      assert.equal(prepared.byteLength, prepared.frames[0]!.length);
    }
  });

  test("prepareMessage frames once: text, binary, and the binary override", () => {
    const text = prepareMessage("hi");
    assert.deepEqual(parseFrames(Buffer.concat(text.frames)), [
      { fin: true, rsv1: false, opcode: Opcode.Text, payload: Buffer.from("hi") },
    ]);
    const binary = prepareMessage(Buffer.from([1]), { binary: true });
    assert.equal(parseFrames(Buffer.concat(binary.frames))[0]!.opcode, Opcode.Binary);
    const forced = prepareMessage("as binary", { binary: true });
    assert.equal(forced.frames[0]![0]! & 0x0f, Opcode.Binary);
    const big = prepareMessage(Buffer.alloc(70000));
    assert.equal(big.byteLength, 70010);
  });
});
