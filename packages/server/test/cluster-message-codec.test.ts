// The frame between nodes: JSON with binary out of band. Round trips, and every way a frame from
// Redis can be wrong ends in a MALFORMED_MESSAGE error, never an exception of another kind.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ClusterAdapterError } from "../src/cluster/errors.js";
import { decodeFrame, encodeFrame } from "../src/cluster/message-codec.js";

function malformed(frame: Buffer): void {
  assert.throws(
    () => decodeFrame(frame),
    (err: unknown) => err instanceof ClusterAdapterError && err.code === "MALFORMED_MESSAGE",
  );
}

describe("message codec", () => {
  test("round-trips JSON values", () => {
    const value = { a: 1, b: "é", c: [true, null, { d: 2.5 }], e: "" };
    assert.deepEqual(decodeFrame(encodeFrame(value)), value);
  });

  test("binary anywhere comes back as Buffers with the same bytes, without base64", () => {
    const bytes = new Uint8Array([0, 1, 2, 255]);
    const value = {
      buffer: Buffer.from("hi"),
      typed: new Uint16Array([1, 2]),
      arrayBuffer: bytes.buffer,
      view: new DataView(bytes.buffer, 1, 2),
      nested: [[Buffer.from([9])]],
    };
    const frame = encodeFrame(value);
    assert.ok(!frame.toString("latin1").includes("aGk="), "no base64 in the frame");
    const back = decodeFrame(frame) as Record<string, unknown>;
    assert.deepEqual(back.buffer, Buffer.from("hi"));
    assert.deepEqual([...(back.typed as Buffer)], [...new Uint8Array(new Uint16Array([1, 2]).buffer)]);
    assert.deepEqual([...(back.arrayBuffer as Buffer)], [0, 1, 2, 255]);
    assert.deepEqual([...(back.view as Buffer)], [1, 2]);
    assert.deepEqual((back.nested as Buffer[][])[0]![0], Buffer.from([9]));
  });

  test("Dates go through toJSON; cycles are refused with UNENCODABLE", () => {
    const date = new Date(0);
    assert.deepEqual(decodeFrame(encodeFrame({ date })), { date: date.toISOString() });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.throws(
      () => encodeFrame(cycle),
      (err: unknown) => err instanceof ClusterAdapterError && err.code === "UNENCODABLE",
    );
  });

  test("malformed frames are refused with MALFORMED_MESSAGE", () => {
    const good = encodeFrame({ x: Buffer.from([1, 2, 3]) });
    malformed(Buffer.alloc(0));
    malformed(Buffer.from("not a frame"));
    malformed(Buffer.concat([Buffer.from([9]), good.subarray(1)])); // unknown version
    malformed(good.subarray(0, good.length - 1)); // truncated attachment
    malformed(Buffer.concat([good, Buffer.from([0])])); // trailing byte
    const hugeJson = Buffer.from(good);
    hugeJson.writeUInt32BE(0xffffffff, 1);
    malformed(hugeJson);
    const hugeCount = Buffer.from(good);
    hugeCount.writeUInt32BE(0xffffffff, hugeCount.length - 4 - 3 - 4);
    malformed(hugeCount);
    // Valid layout, invalid JSON; then a placeholder pointing past the attachments.
    const json = (text: string) => {
      const body = Buffer.from(text);
      const out = Buffer.alloc(9 + body.length);
      out[0] = 1;
      out.writeUInt32BE(body.length, 1);
      body.copy(out, 5);
      return out;
    };
    malformed(json("{"));
    malformed(json('{"\\u0000b":0}'));
    malformed(json('{"\\u0000b":"x"}'));
    assert.deepEqual(decodeFrame(json("[1]")), [1]);
  });
});
