// The streaming frame reader at every length boundary, fed whole and one byte at a time.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { WebSocketError } from "../src/errors.js";
import { FrameReader, type FrameReaderSink } from "../src/frame-reader.js";
import { Opcode } from "../src/index.js";
import { rawFrame } from "./helpers.js";

type Event =
  | ["message", Buffer, boolean]
  | ["ping", Buffer]
  | ["pong", Buffer]
  | ["close", number, string]
  | ["error", number, string];

function collect(isServer: boolean, maxPayload = 0) {
  const events: Event[] = [];
  const sink: FrameReaderSink = {
    onMessage: (fragments, length, isBinary) =>
      events.push(["message", Buffer.concat(fragments, length), isBinary]),
    onPing: (payload) => events.push(["ping", Buffer.from(payload)]),
    onPong: (payload) => events.push(["pong", Buffer.from(payload)]),
    onClose: (code, reason) => events.push(["close", code, reason.toString()]),
    onError: (error: WebSocketError) => events.push(["error", error.closeCode, error.message]),
    onDrain: () => {},
  };
  return {
    reader: new FrameReader(sink, { isServer, maxPayload, maxFragments: 0, maxUnparsedBytes: 0 }),
    events,
  };
}

/** Feeds `bytes` whole, then one byte at a time, then in chunks of 7, and checks all agree. */
function feedAllWays(bytes: Buffer, isServer: boolean, maxPayload = 0): Event[] {
  const whole = collect(isServer, maxPayload);
  whole.reader.write(Buffer.from(bytes));
  const single = collect(isServer, maxPayload);
  for (const b of bytes) single.reader.write(Buffer.from([b]));
  const sevens = collect(isServer, maxPayload);
  for (let i = 0; i < bytes.length; i += 7) sevens.reader.write(Buffer.from(bytes.subarray(i, i + 7)));
  assert.deepEqual(single.events, whole.events);
  assert.deepEqual(sevens.events, whole.events);
  return whole.events;
}

const BOUNDARIES = [0, 1, 125, 126, 127, 65535, 65536, 70000];

describe("FrameReader", () => {
  for (const length of BOUNDARIES) {
    test(`binary payload of ${length} bytes, masked (server side) and unmasked (client side)`, () => {
      const payload = Buffer.alloc(length);
      for (let i = 0; i < length; i++) payload[i] = (i * 31) & 0xff;
      for (const isServer of [true, false]) {
        const events = feedAllWays(rawFrame(Opcode.Binary, payload, { mask: isServer }), isServer);
        assert.equal(events.length, 1);
        assert.equal(events[0]![0], "message");
        assert.ok((events[0]![1] as Buffer).equals(payload));
        assert.equal(events[0]![2], true);
      }
    });
  }

  test("text at boundaries with multi-byte characters across chunk edges", () => {
    for (const length of [126, 65536]) {
      const text = "é😀a".repeat(Math.ceil(length / 7)).slice(0, length);
      const events = feedAllWays(rawFrame(Opcode.Text, text), true);
      assert.deepEqual(events, [["message", Buffer.from(text), false]]);
    }
  });

  test("several frames in one chunk, fragments with control frames in between", () => {
    const bytes = Buffer.concat([
      rawFrame(Opcode.Text, "a", { fin: false }),
      rawFrame(Opcode.Ping, "1"),
      rawFrame(Opcode.Continuation, "b", { fin: false }),
      rawFrame(Opcode.Pong, "2"),
      rawFrame(Opcode.Continuation, "c"),
      rawFrame(Opcode.Binary, Buffer.from([1])),
      rawFrame(Opcode.Close, Buffer.from([0x0f, 0xa0, 0x6f, 0x6b])),
      rawFrame(Opcode.Text, "ignored after close"),
    ]);
    assert.deepEqual(feedAllWays(bytes, true), [
      ["ping", Buffer.from("1")],
      ["pong", Buffer.from("2")],
      ["message", Buffer.from("abc"), false],
      ["message", Buffer.from([1]), true],
      ["close", 4000, "ok"],
    ]);
  });

  test("empty close frame reports 1005; empty fragments make an empty message", () => {
    const bytes = Buffer.concat([
      rawFrame(Opcode.Text, "", { fin: false }),
      rawFrame(Opcode.Continuation, ""),
      rawFrame(Opcode.Close, ""),
    ]);
    assert.deepEqual(feedAllWays(bytes, true), [
      ["message", Buffer.alloc(0), false],
      ["close", 1005, ""],
    ]);
  });

  test("maxPayload is checked from the announced length", () => {
    const events = feedAllWays(rawFrame(Opcode.Binary, Buffer.alloc(0), { length: 101 }), true, 100);
    assert.deepEqual(events, [["error", 1009, "message exceeds maxPayload (100 bytes)"]]);
    assert.equal(feedAllWays(rawFrame(Opcode.Binary, Buffer.alloc(100)), true, 100)[0]![0], "message");
  });

  test("input after an error is ignored", () => {
    const { reader, events } = collect(true);
    reader.write(rawFrame(Opcode.Text, "x", { mask: false }));
    reader.write(rawFrame(Opcode.Text, "y"));
    assert.equal(events.length, 1);
    assert.equal(events[0]![0], "error");
    assert.ok(reader.stopped);
  });

  test("copies: a payload within one chunk is unmasked in place and handed out as a slice of it", () => {
    const payload = Buffer.alloc(65536, 0x5a);
    const chunk = rawFrame(Opcode.Binary, payload);
    const delivered: Buffer[][] = [];
    const reader = new FrameReader(
      {
        onMessage: (fragments) => delivered.push(fragments.slice()),
        onPing() {},
        onPong() {},
        onClose() {},
        onDrain() {},
        onError: (error) => assert.fail(error),
      },
      { isServer: true, maxPayload: 0, maxFragments: 0, maxUnparsedBytes: 0 },
    );
    reader.write(chunk);
    assert.equal(delivered.length, 1);
    const [data] = delivered[0]!;
    assert.equal(delivered[0]!.length, 1);
    assert.equal(data!.buffer, chunk.buffer, "no copy: the same memory as the socket chunk");
    assert.equal(data!.byteOffset, chunk.byteOffset + chunk.length - payload.length);
    assert.ok(data!.equals(payload));
  });

  test("copies: a payload spread over chunks is copied once into one buffer of its announced size", () => {
    const payload = Buffer.alloc(65536);
    for (let i = 0; i < payload.length; i++) payload[i] = i & 0xff;
    const frame = rawFrame(Opcode.Binary, payload);
    const delivered: Buffer[][] = [];
    const reader = new FrameReader(
      {
        onMessage: (fragments) => delivered.push(fragments.slice()),
        onPing() {},
        onPong() {},
        onClose() {},
        onDrain() {},
        onError: (error) => assert.fail(error),
      },
      { isServer: true, maxPayload: 0, maxFragments: 0, maxUnparsedBytes: 0 },
    );
    // Socket-read-like pieces: the header with part of the payload, then the rest in two reads.
    for (const [start, end] of [
      [0, 40000],
      [40000, 40001],
      [40001, frame.length],
    ]) {
      reader.write(frame.subarray(start, end));
    }
    assert.equal(delivered.length, 1);
    assert.equal(delivered[0]!.length, 1, "one buffer, not a list of pieces to concatenate");
    const data = delivered[0]![0]!;
    assert.notEqual(data.buffer, frame.buffer);
    assert.equal(data.byteOffset, 0);
    assert.equal(data.buffer.byteLength, payload.length, "allocated at the announced size, once");
    assert.ok(data.equals(payload));
  });
});
