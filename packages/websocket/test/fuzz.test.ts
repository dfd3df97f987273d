// Issue 11 item 8: property-based fuzzing (fixed seed, see scripts/fast-check-seed.mjs) of the frame
// reader and of the opening-handshake parsing. Random and mutated-valid inputs never throw, never hang,
// and never make the reader allocate or hold more than its limits allow.
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import { test } from "node:test";
import { constants, deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { PerMessageDeflate } from "../src/deflate.js";
import { acceptOffer } from "../src/deflate-negotiation.js";
import type { WebSocketError } from "../src/errors.js";
import { FrameReader } from "../src/frame-reader.js";
import {
  formatExtension,
  headerHasToken,
  isToken,
  isValidKey,
  parseExtensions,
  parseProtocols,
} from "../src/handshake.js";
import { Opcode, WebSocket } from "../src/index.js";
import { ZlibLimiter } from "../src/zlib-limiter.js";
import { rawFrame, startServer, stopServer, upgradeRequest } from "./helpers.js";

/** Longest frame header: 2 bytes, 8 of extended length, 4 of masking key. */
const MAX_HEADER = 14;
const MAX_PAYLOAD = 2000;
const MAX_FRAGMENTS = 8;
/** Close codes a reader may fail with. */
const FAIL_CODES = [1002, 1007, 1008, 1009];

function compress(data: Buffer): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/** A valid client stream: fragmented text/binary messages (optionally compressed), pings, a close. */
const validStream = (compressed: boolean) =>
  fc
    .array(
      fc.oneof(
        fc.record({
          kind: fc.constant("message" as const),
          binary: fc.boolean(),
          text: fc.string({ maxLength: 300 }),
          pieces: fc.integer({ min: 1, max: 12 }),
          compress: fc.constant(compressed),
        }),
        fc.record({ kind: fc.constant("ping" as const), text: fc.string({ maxLength: 20 }) }),
      ),
      { maxLength: 8 },
    )
    .chain((items) =>
      fc.boolean().map((withClose) => {
        const frames: Buffer[] = [];
        for (const item of items) {
          if (item.kind === "ping") {
            frames.push(rawFrame(Opcode.Ping, item.text));
            continue;
          }
          let data = Buffer.from(item.text);
          if (item.compress) data = compress(data);
          const size = Math.ceil(data.length / item.pieces) || 1;
          const count = Math.max(1, Math.ceil(data.length / size));
          for (let i = 0; i < count; i++) {
            const opcode = i > 0 ? Opcode.Continuation : item.binary ? Opcode.Binary : Opcode.Text;
            frames.push(
              rawFrame(opcode, data.subarray(i * size, (i + 1) * size), {
                fin: i === count - 1,
                rsv: item.compress && i === 0 ? 4 : 0,
              }),
            );
          }
        }
        if (withClose) frames.push(rawFrame(Opcode.Close, Buffer.from([0x03, 0xe8])));
        return Buffer.concat(frames);
      }),
    );

/** Mutations of a valid stream: flipped bytes, inserted and deleted runs, truncation. */
const mutation = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
);

function mutate(stream: Buffer, mutations: fc.GeneratorValue<typeof mutation>[]): Buffer {
  let bytes = Buffer.from(stream);
  for (const m of mutations) {
    if (bytes.length === 0) break;
    const at = m.at % bytes.length;
    if (m.op === "flip") bytes[at]! ^= m.bits;
    else if (m.op === "insert")
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
    else if (m.op === "delete") bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.count)]);
    else bytes = bytes.subarray(0, at);
  }
  return bytes;
}

/** Splits into chunks at the given sizes (cycled). */
function chunks(bytes: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const size = sizes.length === 0 ? bytes.length : sizes[k++ % sizes.length]!;
    out.push(Buffer.from(bytes.subarray(i, i + size)));
    i += size;
  }
  return out;
}

/** Records the largest `Buffer.allocUnsafe` made while `fn` runs: the reader allocates with it. */
function largestAllocation(fn: () => void): number {
  const original = Buffer.allocUnsafe;
  let largest = 0;
  Buffer.allocUnsafe = (size: number) => {
    if (size > largest) largest = size;
    return original(size);
  };
  try {
    fn();
  } finally {
    Buffer.allocUnsafe = original;
  }
  return largest;
}

interface Observed {
  messages: Array<{ length: number; pieces: number }>;
  errors: WebSocketError[];
  closes: number;
}

function observingReader(isServer: boolean, inflater: PerMessageDeflate | null = null) {
  const observed: Observed = { messages: [], errors: [], closes: 0 };
  const reader = new FrameReader(
    {
      onMessage: (fragments, length) => {
        let sum = 0;
        for (const f of fragments) sum += f.length;
        assert.equal(sum, length, "the reported length is the pieces' total");
        observed.messages.push({ length, pieces: fragments.length });
      },
      onPing() {},
      onPong() {},
      onClose: () => observed.closes++,
      onError: (error) => observed.errors.push(error),
      onDrain() {},
    },
    { isServer, maxPayload: MAX_PAYLOAD, maxFragments: MAX_FRAGMENTS, maxUnparsedBytes: 4096, inflater },
  );
  return { reader, observed };
}

/** What the fuzzed inputs led to, summed over runs: a property that never reaches both is not testing much. */
const tally = { messages: 0, errors: new Map<number, number>() };

function checkOutcome(observed: Observed): void {
  tally.messages += observed.messages.length;
  for (const error of observed.errors)
    tally.errors.set(error.closeCode, (tally.errors.get(error.closeCode) ?? 0) + 1);
  assert.ok(observed.errors.length + observed.closes <= 1, "the reader stops after its first error or close");
  for (const error of observed.errors) assert.ok(FAIL_CODES.includes(error.closeCode), error.message);
  for (const message of observed.messages) assert.ok(message.length <= MAX_PAYLOAD);
}

test("fuzz: random bytes in random chunks never throw, stay within maxPayload, buffer at most a header", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 600 }),
      fc.boolean(),
      fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }),
      (bytes, isServer, sizes) => {
        const { reader, observed } = observingReader(isServer);
        const largest = largestAllocation(() => {
          for (const chunk of chunks(Buffer.from(bytes), sizes)) {
            reader.write(chunk);
            assert.ok(reader.bufferedAmount < MAX_HEADER, "only a partial header waits unparsed");
          }
        });
        assert.ok(largest <= MAX_PAYLOAD, `allocated ${largest} bytes`);
        checkOutcome(observed);
      },
    ),
    { numRuns: 3000 },
  );
});

test("fuzz: mutated valid streams never throw, and respect maxPayload, maxFragments and the header bound", () => {
  fc.assert(
    fc.property(
      validStream(false),
      fc.array(mutation, { maxLength: 4 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 6 }),
      (stream, mutations, sizes) => {
        const { reader, observed } = observingReader(true);
        const bytes = mutate(stream, mutations);
        const largest = largestAllocation(() => {
          for (const chunk of chunks(bytes, sizes)) {
            reader.write(chunk);
            assert.ok(reader.bufferedAmount < MAX_HEADER);
          }
        });
        assert.ok(largest <= MAX_PAYLOAD, `allocated ${largest} bytes`);
        checkOutcome(observed);
        // Unmutated streams of ≤ MAX_FRAGMENTS frames per message parse without error.
        if (mutations.length === 0 && observed.errors.length > 0) {
          assert.ok(
            observed.errors[0]!.closeCode === 1009,
            `a valid stream failed: ${observed.errors[0]!.message}`,
          );
        }
      },
    ),
    { numRuns: 1500 },
  );
  assert.ok(tally.messages > 1000, `${tally.messages} messages delivered`);
  for (const code of [1002, 1007, 1009])
    assert.ok((tally.errors.get(code) ?? 0) > 0, `no ${code} failure seen`);
});

test("fuzz: mutated compressed streams through a real inflater never throw or hang, inflate within maxPayload", async () => {
  const params = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
  };
  const limiter = new ZlibLimiter(4);
  await fc.assert(
    fc.asyncProperty(
      validStream(true),
      fc.array(mutation, { maxLength: 3 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 4 }),
      async (stream, mutations, sizes) => {
        const inflater = new PerMessageDeflate(params, true, {}, MAX_PAYLOAD, limiter);
        const { reader, observed } = observingReader(true, inflater);
        for (const chunk of chunks(mutate(stream, mutations), sizes)) {
          reader.write(chunk);
          assert.ok(reader.bufferedAmount <= 4096 + 64, "unparsed input stays within maxUnparsedBytes");
        }
        // Never hang: every inflation finishes (or fails). Inflation runs on libuv's thread pool, which a
        // busy machine can hold back for many event-loop turns, so each wait is a timer turn (>= 1 ms):
        // the bound is a hang guard of 10 s or more, never a race with the pool.
        for (let turn = 0; reader.inflating; turn++) {
          assert.ok(turn < 10_000, "inflation never finished");
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        checkOutcome(observed);
        inflater.close();
      },
    ),
    { numRuns: 300 },
  );
});

/** Header values: random strings, and valid ones with random edits. */
const headerValue = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc
    .tuple(
      fc.constantFrom(
        "permessage-deflate",
        "permessage-deflate; client_max_window_bits",
        'permessage-deflate; server_max_window_bits="10"; client_no_context_takeover, x-webkit-deflate-frame',
        "chat, superchat",
        "websocket",
        "keep-alive, Upgrade",
      ),
      fc.nat(),
      fc.string({ maxLength: 4 }),
      fc.nat({ max: 3 }),
    )
    .map(([base, at, insert, drop]) => {
      const i = at % (base.length + 1);
      return base.slice(0, i) + insert + base.slice(i + drop);
    }),
);

test("fuzz: header parsers (extensions, protocols, token lists, key) never throw; what they accept is well-formed", () => {
  fc.assert(
    fc.property(headerValue, (value) => {
      const extensions = parseExtensions(value);
      if (extensions !== null) {
        assert.ok(extensions.length > 0);
        for (const offer of extensions) {
          assert.ok(isToken(offer.name));
          for (const [name, param] of offer.params)
            assert.ok(isToken(name) && (param === true || isToken(param)));
        }
        // Formatting what was accepted and parsing it again gives the same offers.
        assert.deepEqual(parseExtensions(extensions.map(formatExtension).join(", ")), extensions);
        // Negotiation over any parsed offer answers or declines, never throws.
        acceptOffer(extensions, {});
        acceptOffer(extensions, { serverNoContextTakeover: true, clientMaxWindowBits: 9 });
      }
      const protocols = parseProtocols(value);
      if (protocols !== null) for (const protocol of protocols) assert.ok(isToken(protocol));
      assert.equal(typeof headerHasToken(value, "upgrade"), "boolean");
      assert.equal(typeof headerHasToken([value, value], "websocket"), "boolean");
      assert.equal(isValidKey(value), /^[+/0-9A-Za-z]{22}==$/.test(value));
    }),
    { numRuns: 5000 },
  );
});

/** Sends raw bytes to the server; resolves with the response's status line once the socket closes. */
async function rawExchange(port: number, request: Buffer): Promise<string> {
  const socket = connect(port, "127.0.0.1");
  const received: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => {
    received.push(chunk);
    // A completed handshake: we are done, close our side.
    if (Buffer.concat(received).toString("latin1").startsWith("HTTP/1.1 101")) socket.end();
  });
  socket.on("error", () => {});
  socket.end(request);
  await once(socket, "close");
  return Buffer.concat(received).toString("latin1").split("\r\n")[0] ?? "";
}

/** Valid upgrade requests with header lines mutated, dropped, duplicated or replaced by random bytes. */
const upgradeRequestBytes = fc
  .tuple(
    fc.array(
      fc.record({
        line: fc.nat(),
        edit: fc.constantFrom("drop", "duplicate", "replace", "append", "flip"),
        text: fc.string({ maxLength: 30 }),
        at: fc.nat(),
      }),
      { maxLength: 3 },
    ),
    fc.boolean(),
  )
  .map(([edits, deflate]) => {
    const lines = upgradeRequest("/", deflate ? ["Sec-WebSocket-Extensions: permessage-deflate"] : []).split(
      "\r\n",
    );
    const head = lines.slice(0, -2);
    for (const e of edits) {
      const i = e.line % head.length;
      if (e.edit === "drop") head.splice(i, 1);
      else if (e.edit === "duplicate") head.splice(i, 0, head[i]!);
      else if (e.edit === "replace") head[i] = e.text;
      else if (e.edit === "append") head[i] = head[i] + e.text;
      else {
        const line = head[i]!;
        const at = e.at % (line.length || 1);
        head[i] =
          line.slice(0, at) + String.fromCharCode((line.charCodeAt(at) ^ 0x20) & 0x7f) + line.slice(at + 1);
      }
      if (head.length === 0) head.push(e.text);
    }
    return Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "utf8");
  });

test("fuzz over loopback: mutated upgrade requests get 101 or an HTTP error and a closed socket; the server keeps serving", async () => {
  const { wss, url, port } = await startServer({ perMessageDeflate: true });
  const statuses = new Set<string>();
  await fc.assert(
    fc.asyncProperty(upgradeRequestBytes, async (request) => {
      const status = await rawExchange(port, request);
      const code = status.split(" ")[1] ?? "";
      statuses.add(code);
      assert.ok(["101", "400", "405", "426", "431", "505", ""].includes(code), `answered ${status}`);
    }),
    { numRuns: 150 },
  );
  assert.ok(statuses.has("101") && statuses.has("400"), [...statuses].join(","));
  // A normal client still connects and talks.
  wss.on("connection", (ws) => ws.on("message", (data) => ws.send(data)));
  const client = new WebSocket(url);
  await once(client, "open");
  const reply = once(client, "message");
  client.send("still here");
  assert.equal(String((await reply)[0]), "still here");
  client.close();
  await once(client, "close");
  await stopServer(wss);
});
