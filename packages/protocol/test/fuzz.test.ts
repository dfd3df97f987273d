// Fuzzing the Socket.IO decoder (issue 11, item 8): random and mutated-valid input — text headers, JSON,
// binary attachments, ack ids, hostile nesting — never throws anything but ProtocolError, never takes long,
// and whatever it returns respects the limits (attachments, ack id, depth, one buffer per placeholder).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Decoder, Encoder, MAX_DEPTH, type Packet, PacketType, ProtocolError } from "@volley/protocol";
import fc from "fast-check";

const LIMITS = { maxAttachments: 4, maxAckId: 1_000_000, maxDepth: 32 };
// Generous: a decode of these inputs takes microseconds; only a pathological loop would come near.
const SLOW_MS = 250;

function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null || ArrayBuffer.isView(value)) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child));
  return deepest + 1;
}

function countBuffers(value: unknown): number {
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return 1;
  if (typeof value !== "object" || value === null) return 0;
  let n = 0;
  for (const child of Object.values(value)) n += countBuffers(child);
  return n;
}

/** Feeds chunks; checks every outcome against the limits. */
function feed(chunks: Array<string | Uint8Array>): void {
  const decoder = new Decoder(LIMITS);
  for (const chunk of chunks) {
    const started = performance.now();
    let packet: Packet | undefined;
    try {
      packet = decoder.add(chunk);
    } catch (err) {
      assert.ok(err instanceof ProtocolError, `not a ProtocolError: ${String(err)}`);
      assert.ok(err.message.length > 0);
      return; // the server drops the connection here
    } finally {
      assert.ok(performance.now() - started < SLOW_MS, "decoding took too long");
    }
    if (!packet) continue;
    assert.ok(packet.type >= PacketType.CONNECT && packet.type <= PacketType.BINARY_ACK);
    if (packet.id !== undefined) {
      assert.ok(Number.isSafeInteger(packet.id) && packet.id >= 0 && packet.id <= LIMITS.maxAckId);
    }
    assert.ok(depthOf(packet.data) <= LIMITS.maxDepth, "deeper than maxDepth");
    const attachments = packet.attachments ?? 0;
    assert.ok(attachments <= LIMITS.maxAttachments);
    assert.equal(countBuffers(packet.data), attachments, "one buffer per announced attachment");
  }
}

const json = fc.jsonValue({ maxDepth: 6 });
const bytes = fc.uint8Array({ maxLength: 8 }).map((u) => Buffer.from(u));
const { value: withBinary } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    json,
    bytes,
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie("value"), { maxKeys: 3 }),
  ),
}));
const validPacket: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({
    type: fc.constantFrom(PacketType.EVENT, PacketType.ACK),
    nsp: fc.constantFrom("/", "/admin", "/a,b"),
    id: fc.nat({ max: 2 ** 40 }),
    data: fc.array(withBinary, { minLength: 1, maxLength: 4 }).map((args) => ["ev", ...args]),
  }),
  fc.record({
    type: fc.constant(PacketType.CONNECT),
    nsp: fc.constant("/x"),
    data: fc.dictionary(fc.string(), json),
  }),
  fc.record({
    type: fc.constant(PacketType.CONNECT_ERROR),
    nsp: fc.constant("/"),
    data: fc.record({ message: fc.string() }),
  }),
);

type Mutation =
  | { kind: "flip"; at: number; to: string }
  | { kind: "insert"; at: number; text: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "truncate"; at: number }
  | { kind: "dropChunk"; at: number }
  | { kind: "dupChunk"; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("flip" as const),
    at: fc.nat(),
    to: fc.constantFrom("[", "]", "{", "}", '"', "\\", ",", "-", "/", "0", "9", "5", "\u0000"),
  }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom('{"_placeholder":true,"num":0}', "[".repeat(40), "99999999999999999999", "3-"),
    ),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("dropChunk" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("dupChunk" as const), at: fc.nat() }),
);

function mutate(chunks: Array<string | Uint8Array>, mutations: Mutation[]): Array<string | Uint8Array> {
  const out = chunks.slice();
  for (const m of mutations) {
    if (m.kind === "dropChunk" || m.kind === "dupChunk") {
      if (out.length === 0) continue;
      const i = m.at % out.length;
      if (m.kind === "dropChunk") out.splice(i, 1);
      else out.splice(i, 0, out[i]!);
      continue;
    }
    const text = out[0];
    if (typeof text !== "string") continue;
    const at = text.length === 0 ? 0 : m.at % (text.length + 1);
    if (m.kind === "flip") out[0] = text.slice(0, at) + m.to + text.slice(at + 1);
    else if (m.kind === "insert") out[0] = text.slice(0, at) + m.text + text.slice(at);
    else if (m.kind === "delete") out[0] = text.slice(0, at) + text.slice(at + m.length);
    else out[0] = text.slice(0, at);
  }
  return out;
}

describe("Socket.IO decoder fuzzing", () => {
  test("random chunk sequences: ProtocolError or a packet within the limits", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 60 }),
            fc.stringMatching(/^[0-6]([0-9]{1,3}-)?(\/[a-z]{0,4},)?[0-9]{0,20}[[\]{}",:0-9a-z_]{0,40}$/),
            fc.uint8Array({ maxLength: 8 }),
          ),
          { maxLength: 6 },
        ),
        (chunks) => feed(chunks),
      ),
      { numRuns: 3000 },
    );
  });

  test("mutated valid packets (headers, JSON, attachments, ack ids): ProtocolError or within the limits", () => {
    const encoder = new Encoder();
    fc.assert(
      fc.property(validPacket, fc.array(mutation, { minLength: 1, maxLength: 4 }), (packet, mutations) => {
        let chunks: Array<string | Uint8Array>;
        try {
          chunks = encoder.encode(packet);
        } catch {
          return; // not encodable (e.g. deeper than MAX_DEPTH): nothing to mutate
        }
        feed(mutate(chunks, mutations));
      }),
      { numRuns: 3000 },
    );
  });

  test("hostile nesting and long digit runs are refused quickly", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MAX_DEPTH + 1, max: 200_000 }),
        fc.constantFrom("[", '{"a":', '["x",'),
        fc.constantFrom("2", "3", "51-", "61-1", "0", "4"),
        (levels, opener, header) => {
          const text = `${header}${opener.repeat(levels)}`;
          const started = performance.now();
          assert.throws(() => new Decoder().add(text), ProtocolError);
          assert.ok(performance.now() - started < SLOW_MS);
        },
      ),
      { numRuns: 40 },
    );
    for (const wire of ["2".padEnd(10_000, "9"), `51${"9".repeat(5000)}-[]`, `2/${"a".repeat(5000)}`]) {
      assert.throws(() => new Decoder().add(wire), ProtocolError);
    }
  });
});
