// Issue 11 item 1: a message split into many tiny frames, and input piling up behind an inflation.
// Memory follows bytes (small fragments are gathered), `maxFragments` cuts the attacker off with 1009,
// and `maxUnparsedBytes` pauses reading. Heap is measured after GC in a child process.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { constants, deflateRawSync } from "node:zlib";
import { PerMessageDeflate } from "../src/deflate.js";
import type { WebSocketError } from "../src/errors.js";
import { FrameReader } from "../src/frame-reader.js";
import { Opcode, WebSocket } from "../src/index.js";
import { DEFAULT_MAX_FRAGMENTS } from "../src/limits.js";
import { ZlibLimiter } from "../src/zlib-limiter.js";
import { closeCodeOf, framesUntilClose, rawConnect, rawFrame, startServer, stopServer } from "./helpers.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/fragment-flood.ts", import.meta.url));

interface FloodReport {
  growth: number;
  outcomes: Array<{ closeCode: number | null; reason: string; gotPong: boolean }>;
  normalClient: string[];
}

function runFlood(attackers: number, frames: number, options: object = {}): Promise<FloodReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [
        "--expose-gc",
        "--conditions=volley-source",
        "--import",
        "tsx",
        fixture,
        String(attackers),
        String(frames),
        JSON.stringify(options),
      ],
      { cwd: root, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as FloodReport);
      },
    );
  });
}

const MiB = 1024 * 1024;

test("default server: 1-byte continuation floods are cut off with 1009 naming maxFragments; heap stays flat", async () => {
  // 4 attackers × 60,000 frames: before the fix the server kept ~26 MB of heap for them (130 MB for
  // 6 × 200,000), ~110 bytes per fragment.
  const report = await runFlood(4, 60_000);
  assert.equal(report.outcomes.length, 4);
  for (const outcome of report.outcomes) {
    assert.equal(outcome.closeCode, 1009);
    assert.equal(outcome.reason, `message exceeds maxFragments (${DEFAULT_MAX_FRAGMENTS} frames)`);
    assert.equal(outcome.gotPong, false);
  }
  assert.deepEqual(report.normalClient, ["during the attack", "after the attack"]);
  assert.ok(report.growth < 4 * MiB, `heap grew by ${(report.growth / MiB).toFixed(1)} MiB`);
});

test("maxFragments: 0 (no cap): the unfinished messages cost their bytes, not ~110 bytes per piece", async () => {
  const report = await runFlood(4, 60_000, { maxFragments: 0 });
  for (const outcome of report.outcomes) {
    assert.equal(outcome.closeCode, null);
    assert.equal(outcome.gotPong, true, "the server parsed every frame and is still answering");
  }
  assert.deepEqual(report.normalClient, ["during the attack", "after the attack"]);
  // 240,000 payload bytes held in all; before the fix this held 26 MB.
  assert.ok(report.growth < 4 * MiB, `heap grew by ${(report.growth / MiB).toFixed(1)} MiB`);
});

test("maxFragments: exactly the limit is accepted, one more frame closes with 1009", async () => {
  const { wss, port } = await startServer({ maxFragments: 3 });
  const messages: string[] = [];
  wss.on("connection", (ws) => ws.on("message", (data) => messages.push(String(data))));
  const { socket } = await rawConnect(port);
  socket.write(rawFrame(Opcode.Text, "a", { fin: false }));
  socket.write(rawFrame(Opcode.Continuation, "b", { fin: false }));
  socket.write(rawFrame(Opcode.Continuation, "c"));
  socket.write(rawFrame(Opcode.Text, "d", { fin: false }));
  socket.write(rawFrame(Opcode.Continuation, "e", { fin: false }));
  socket.write(rawFrame(Opcode.Continuation, "f", { fin: false }));
  socket.write(rawFrame(Opcode.Continuation, "g"));
  const frames = await framesUntilClose(socket, true);
  assert.deepEqual(messages, ["abc"]);
  assert.equal(closeCodeOf(frames), 1009);
  assert.equal(
    frames
      .find((f) => f.opcode === 0x8)!
      .payload.subarray(2)
      .toString(),
    "message exceeds maxFragments (3 frames)",
  );
  await stopServer(wss);
});

test("gathered fragments: many small and a few large pieces come back intact, pinning no socket chunk", () => {
  const pieces: Buffer[] = [];
  for (let i = 0; i < 300; i++) pieces.push(Buffer.alloc(i % 7 === 0 ? 5000 : (i % 50) + 1, i & 0xff));
  const expected = Buffer.concat(pieces);
  const frames = pieces.map((piece, i) =>
    rawFrame(i === 0 ? Opcode.Binary : Opcode.Continuation, piece, { fin: i === pieces.length - 1 }),
  );
  const wire = Buffer.concat(frames);
  let delivered: Buffer[] = [];
  const reader = new FrameReader(
    {
      onMessage: (fragments) => {
        delivered = fragments.slice();
      },
      onPing() {},
      onPong() {},
      onClose() {},
      onError: (error) => assert.fail(error),
      onDrain() {},
    },
    { isServer: true, maxPayload: 0, maxFragments: 0, maxUnparsedBytes: 0 },
  );
  reader.write(wire);
  assert.ok(Buffer.concat(delivered).equals(expected));
  // 43 large pieces kept whole, and at most one gathering buffer for each run of small ones between.
  assert.ok(delivered.length <= 2 * 43 + 1, `${delivered.length} pieces for 300 frames`);
  for (const piece of delivered) assert.notEqual(piece.buffer, wire.buffer, "no view of the socket chunk");
});

function compress(data: Buffer): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** A server-side reader with a real inflater and `maxUnparsedBytes: 1000`. */
function inflatingReader() {
  const params = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  const inflater = new PerMessageDeflate(params, true, {}, 0, new ZlibLimiter(10));
  const messages: string[] = [];
  const errors: WebSocketError[] = [];
  let drains = 0;
  let resolveDrained = () => {};
  const drained = new Promise<void>((resolve) => {
    resolveDrained = resolve;
  });
  const reader = new FrameReader(
    {
      onMessage: (fragments, length) => messages.push(Buffer.concat(fragments, length).toString()),
      onPing() {},
      onPong() {},
      onClose() {},
      onError: (error) => errors.push(error),
      onDrain: () => {
        drains++;
        resolveDrained();
      },
    },
    { isServer: true, maxPayload: 0, maxFragments: 0, maxUnparsedBytes: 1000, inflater },
  );
  return { reader, inflater, messages, errors, drained, drains: () => drains };
}

test("maxUnparsedBytes: input behind an inflation asks for a pause, then drains; ignoring the pause fails with 1008", async () => {
  const compressed = rawFrame(Opcode.Text, compress(Buffer.from("zipped")), { rsv: 4 });
  const plain = Buffer.concat(Array.from({ length: 300 }, (_, i) => rawFrame(Opcode.Text, `m${i}`)));

  // A well-behaved source stops writing on false and resumes on onDrain.
  const good = inflatingReader();
  assert.equal(good.reader.write(compressed), true);
  assert.equal(good.reader.write(plain), false, "more than 1000 bytes wait behind the inflation");
  assert.ok(good.reader.bufferedAmount > 1000);
  await good.drained;
  assert.equal(good.drains(), 1);
  assert.deepEqual(good.messages, ["zipped", ...Array.from({ length: 300 }, (_, i) => `m${i}`)]);
  assert.equal(good.reader.bufferedAmount, 0);
  assert.deepEqual(good.errors, []);
  good.inflater.close();

  // A source that keeps writing after false: the connection fails with 1008 naming the limit.
  const bad = inflatingReader();
  bad.reader.write(compressed);
  assert.equal(bad.reader.write(plain), false);
  bad.reader.write(plain);
  assert.equal(bad.errors.length, 1);
  assert.equal(bad.errors[0]!.closeCode, 1008);
  assert.equal(bad.errors[0]!.message, "unparsed input exceeds maxUnparsedBytes (1000 bytes)");
  assert.ok(bad.reader.stopped);
  assert.equal(bad.reader.bufferedAmount, 0, "the queued input was dropped");
  assert.deepEqual(bad.messages, []);
  bad.inflater.close();
});

test("maxUnparsedBytes over loopback: a burst behind a compressed frame is read with back-pressure, nothing lost", async () => {
  const { wss, port } = await startServer({ perMessageDeflate: true, maxUnparsedBytes: 4096 });
  const received: string[] = [];
  const connected = once(wss, "connection") as Promise<[WebSocket]>;
  const { socket } = await rawConnect(port, ["Sec-WebSocket-Extensions: permessage-deflate"]);
  const [ws] = await connected;
  const count = 2000;
  const done = new Promise<void>((resolve) => {
    ws.on("message", (data) => {
      received.push(String(data));
      if (received.length === count + 2) resolve();
    });
  });
  const burst: Buffer[] = [rawFrame(Opcode.Text, compress(Buffer.from("first")), { rsv: 4 })];
  for (let i = 0; i < count; i++) burst.push(rawFrame(Opcode.Text, `message ${i} ${"x".repeat(40)}`));
  burst.push(rawFrame(Opcode.Text, compress(Buffer.from("last")), { rsv: 4 }));
  socket.write(Buffer.concat(burst));
  await done;
  assert.equal(received[0], "first");
  assert.equal(received[count], `message ${count - 1} ${"x".repeat(40)}`);
  assert.equal(received[count + 1], "last");
  assert.equal(ws.readyState, WebSocket.OPEN);
  socket.destroy();
  await stopServer(wss);
});

test("limit options are checked: a negative or non-number value throws INVALID_ARGUMENT naming it", () => {
  for (const name of ["maxPayload", "maxFragments", "maxUnparsedBytes"]) {
    assert.throws(
      () => new WebSocket("ws://127.0.0.1:1", { [name]: -1 }),
      (error: WebSocketError) => error.code === "INVALID_ARGUMENT" && error.message.includes(name),
    );
  }
});
