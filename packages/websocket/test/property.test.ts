// Property tests: random messages, fragmented and split at random points, come back identical.
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import fc from "fast-check";
import { FrameReader } from "../src/frame-reader.js";
import { Opcode, WebSocket } from "../src/index.js";
import { Utf8Validator } from "../src/utf8.js";
import { rawFrame, startServer, stopServer } from "./helpers.js";

const message = fc.oneof(
  fc.record({
    binary: fc.constant(true),
    data: fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
  }),
  fc.record({
    binary: fc.constant(false),
    data: fc.string({ unit: "grapheme", maxLength: 500 }).map((s) => Buffer.from(s)),
  }),
);

/** Splits `data` into fragments at the given cut points (fractions). */
function cut(data: Buffer, points: number[]): Buffer[] {
  const offsets = [...new Set(points.map((p) => Math.floor(p * data.length)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let last = 0;
  for (const o of offsets) {
    parts.push(data.subarray(last, o));
    last = o;
  }
  parts.push(data.subarray(last));
  return parts;
}

test("fragmented, masked, randomly split streams parse back to the same messages", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          message,
          fragmentPoints: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
          pingBetween: fc.boolean(),
        }),
        { minLength: 1, maxLength: 6 },
      ),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 }),
      (messages, splitPoints) => {
        const frames: Buffer[] = [];
        for (const { message: m, fragmentPoints, pingBetween } of messages) {
          const fragments = cut(m.data, fragmentPoints);
          fragments.forEach((fragment, i) => {
            const opcode = i === 0 ? (m.binary ? Opcode.Binary : Opcode.Text) : Opcode.Continuation;
            frames.push(rawFrame(opcode, fragment, { fin: i === fragments.length - 1 }));
            if (pingBetween && i === 0) frames.push(rawFrame(Opcode.Ping, "p"));
          });
        }
        const received: Array<{ binary: boolean; data: Buffer }> = [];
        const reader = new FrameReader(
          {
            onMessage: (fragments, length, isBinary) =>
              received.push({ binary: isBinary, data: Buffer.concat(fragments, length) }),
            onPing: () => {},
            onPong: () => {},
            onDrain: () => {},
            onClose: () => assert.fail("unexpected close"),
            onError: (error) => assert.fail(error.message),
          },
          { isServer: true, maxPayload: 0, maxFragments: 0, maxUnparsedBytes: 0 },
        );
        for (const chunk of cut(Buffer.concat(frames), splitPoints)) reader.write(Buffer.from(chunk));
        assert.deepEqual(
          received,
          messages.map(({ message: m }) => ({ binary: m.binary, data: Buffer.from(m.data) })),
        );
      },
    ),
    { numRuns: 300 },
  );
});

test("incremental UTF-8 validation agrees with buffer.isUtf8 for any split", () => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 20 }).map((s) => new Uint8Array(Buffer.from(s))),
  );
  fc.assert(
    fc.property(
      bytes,
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }),
      (data, points) => {
        const buffer = Buffer.from(data);
        const validator = new Utf8Validator();
        let ok = true;
        for (const part of cut(buffer, points)) ok = ok && validator.write(part);
        ok = ok && validator.end();
        assert.equal(ok, Buffer.from(buffer.toString("utf8")).equals(buffer) && isWellFormed(buffer));
      },
    ),
    { numRuns: 2000 },
  );
});

function isWellFormed(buffer: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(buffer);
    return true;
  } catch {
    return false;
  }
}

test("random messages round-trip between our client and our server, with and without deflate", async () => {
  for (const perMessageDeflate of [false, { threshold: 64 }]) {
    const { wss, url } = await startServer({ perMessageDeflate });
    wss.on("connection", (ws) =>
      ws.on("message", (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })),
    );
    const client = new WebSocket(url, { perMessageDeflate });
    await once(client, "open");
    const samples = fc.sample(message, { numRuns: 60, seed: 42 });
    for (const m of samples) {
      const reply = once(client, "message") as Promise<[Buffer, boolean]>;
      client.send(m.binary ? m.data : m.data.toString(), { binary: m.binary });
      const [data, isBinary] = await reply;
      assert.equal(isBinary, m.binary);
      assert.ok(data.equals(m.data));
    }
    client.close();
    await once(client, "close");
    await stopServer(wss);
  }
});

test("random bytes never throw out of the reader: they parse or fail with a close code", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, isServer) => {
      const codes: number[] = [];
      const reader = new FrameReader(
        {
          onMessage: () => {},
          onPing: () => {},
          onPong: () => {},
          onDrain: () => {},
          onClose: () => {},
          onError: (error) => codes.push(error.closeCode),
        },
        { isServer, maxPayload: 1000, maxFragments: 0, maxUnparsedBytes: 0 },
      );
      for (let i = 0; i < bytes.length; i += 13) reader.write(Buffer.from(bytes.subarray(i, i + 13)));
      assert.ok(codes.length <= 1);
      for (const code of codes) assert.ok([1002, 1007, 1009].includes(code));
    }),
    { numRuns: 3000 },
  );
});
