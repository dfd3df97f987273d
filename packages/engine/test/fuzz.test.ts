// Property fuzzing (issue 11 item 8, engine part) with the fixed fast-check seed (scripts/fast-check-seed.mjs):
// the packet/payload decoder on random and mutated-valid input, and a real server on random requests.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import {
  decodePacket,
  decodePayload,
  EngineParseError,
  encodePacket,
  encodePayload,
  type Packet,
  RECORD_SEPARATOR,
} from "@volley/engine/parser";
import fc from "fast-check";
import { type Fixture, pollingHandshake, startEngine } from "./helpers.js";

const packetType = fc.constantFrom(
  "open",
  "close",
  "ping",
  "pong",
  "message",
  "upgrade",
  "noop",
) as fc.Arbitrary<Packet["type"]>;
const validPacket: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({
    type: packetType,
    data: fc.string({ maxLength: 20 }).filter((s) => !s.includes(RECORD_SEPARATOR)),
  }),
  packetType.map((type) => ({ type })),
  fc.uint8Array({ maxLength: 20 }).map((bytes) => ({ type: "message" as const, data: bytes })),
);

/** A valid payload with a few characters changed, inserted or removed. */
const mutatedPayload = fc
  .tuple(
    fc.array(validPacket, { minLength: 1, maxLength: 6 }),
    fc.array(
      fc.tuple(fc.nat(), fc.constantFrom("insert", "delete", "replace"), fc.string({ maxLength: 3 })),
      {
        maxLength: 4,
      },
    ),
  )
  .map(([packets, edits]) => {
    let body = encodePayload(packets);
    for (const [at, kind, text] of edits) {
      const i = body.length === 0 ? 0 : at % (body.length + 1);
      if (kind === "insert") body = body.slice(0, i) + text + body.slice(i);
      else if (kind === "delete") body = body.slice(0, i) + body.slice(i + 1);
      else body = body.slice(0, i) + text + body.slice(i + text.length);
    }
    return body;
  });

const anyString = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: "binary", maxLength: 64 }),
  fc
    .array(fc.constantFrom("4", "b", "=", "/", "+", "A", RECORD_SEPARATOR, "\uD800", "0", "6"), {
      maxLength: 40,
    })
    .map((a) => a.join("")),
  mutatedPayload,
);

/** Decoding either succeeds or throws EngineParseError: nothing else escapes. */
function decodesOrRefuses(run: () => unknown): void {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof EngineParseError, `unexpected ${String(err)}`);
  }
}

describe("parser fuzzing", () => {
  test("decodePacket / decodePayload: a packet list or an EngineParseError, never another throw", () => {
    fc.assert(
      fc.property(anyString, fc.integer({ min: 1, max: 8 }), (input, maxPackets) => {
        decodesOrRefuses(() => decodePacket(input));
        decodesOrRefuses(() => {
          const packets = decodePayload(input, { maxPackets });
          assert.ok(packets.length <= maxPackets);
          for (const p of packets) assert.ok(typeof p.type === "string");
        });
      }),
      { numRuns: 5000 },
    );
  });

  test("random bytes decode as one binary message", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        assert.deepEqual(decodePacket(bytes), { type: "message", data: bytes });
      }),
    );
  });

  test("valid payloads round-trip (binary via base64)", () => {
    fc.assert(
      fc.property(fc.array(validPacket, { minLength: 1, maxLength: 8 }), (packets) => {
        const decoded = decodePayload(encodePayload(packets));
        assert.equal(decoded.length, packets.length);
        for (let i = 0; i < packets.length; i++) {
          const sent = packets[i]!;
          const got = decoded[i]!;
          assert.equal(got.type, sent.type);
          if (sent.data instanceof Uint8Array)
            assert.deepEqual(new Uint8Array(got.data as Uint8Array), sent.data);
          else assert.equal(got.data, sent.data === "" ? undefined : sent.data);
          assert.equal(encodePacket(got, false), encodePacket(sent, false));
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("a huge payload is refused by maxPackets in time linear in its size", () => {
    const body = Array.from({ length: 200_000 }, () => "6").join(RECORD_SEPARATOR);
    const started = performance.now();
    assert.throws(() => decodePayload(body, { maxPackets: 1000 }), /maxPackets \(1000 packets\)/);
    assert.ok(performance.now() - started < 1000);
  });
});

interface Answer {
  status: number;
  body: string;
}

/** One request with a deadline: a hang fails the property instead of the suite. */
function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within 5 s: ${method} ${path}`));
    }, 5000);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

const queryValue = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom("4", "3", "polling", "websocket", "LIVE_SID", ""),
);
/** Mostly plausible queries (so requests get past the first checks), sometimes anything. */
const query = fc
  .record(
    {
      EIO: fc.oneof({ arbitrary: fc.constant("4"), weight: 5 }, { arbitrary: queryValue, weight: 1 }),
      transport: fc.oneof(
        { arbitrary: fc.constant("polling"), weight: 5 },
        { arbitrary: queryValue, weight: 1 },
      ),
      sid: fc.oneof({ arbitrary: fc.constant("LIVE_SID"), weight: 3 }, { arbitrary: queryValue, weight: 1 }),
      t: queryValue,
      x: queryValue,
    },
    { requiredKeys: ["EIO", "transport"] },
  )
  .map((q) => q as Record<string, string>);
const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});

describe("server request fuzzing (real server over loopback)", () => {
  let f: Fixture;
  let uncaught = 0;
  const onUncaught = (): void => {
    uncaught++;
  };
  before(async () => {
    f = await startEngine({
      exemptAddresses: [],
      maxConnectionsPerAddress: 15,
      handshakeRate: { perAddress: { rate: 1000, burst: 1000 } },
      maxHttpBufferSize: 2000,
      pingInterval: 100,
      pingTimeout: 100,
      closeTimeout: 50,
      cors: { origin: ["https://app.example"] },
    });
    process.on("uncaughtException", onUncaught);
  });
  after(async () => {
    process.off("uncaughtException", onUncaught);
    await f.close();
  });

  test("random methods, queries, headers and bodies: 200/400/403/413/429 with a JSON error, never a hang", async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH", "HEAD"),
        query,
        fc.dictionary(
          fc.constantFrom("origin", "x-forwarded-for", "content-type", "accept-encoding", "cookie", "x-junk"),
          headerValue,
          { maxKeys: 4 },
        ),
        fc.oneof(
          fc.constant(undefined),
          anyString.map((s) => Buffer.from(s)),
          fc.integer({ min: 1900, max: 10_000 }).map((n) => Buffer.alloc(n, "4")),
        ),
        async (method, query, headers, body) => {
          let live: string | undefined;
          if (Object.values(query).includes("LIVE_SID")) {
            // Room under the per-address cap for this run's session: the oldest ones leave.
            for (const old of [...f.engine.sessions.values()].slice(0, f.engine.clientsCount - 13)) {
              old.shutdown("server shutting down");
            }
            live = (await pollingHandshake(f)).sid;
          }
          for (const key of Object.keys(query)) if (query[key] === "LIVE_SID") query[key] = live ?? "nope";
          const qs = new URLSearchParams(query).toString();
          const res = await send(
            f.port,
            method,
            `/engine.io/?${qs}`,
            headers,
            method === "GET" || method === "HEAD" ? undefined : body,
          );
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          assert.ok(
            [200, 400, 403, 413, 429].includes(res.status),
            `status ${res.status} for ${method} ?${qs}`,
          );
          if (res.status !== 200 && method !== "HEAD") {
            const error = JSON.parse(res.body) as { code: unknown; message: unknown };
            assert.equal(typeof error.code, "number");
            assert.equal(typeof error.message, "string");
          }
        },
      ),
      { numRuns: 300 },
    );
    assert.equal(uncaught, 0);
    // Bounded: never more sessions than the per-address cap allows.
    assert.ok(f.engine.clientsCount <= 15, `${f.engine.clientsCount} sessions`);
    // Every kind of answer was reached (the generator is not stuck on one refusal).
    for (const status of [200, 400, 413]) assert.ok(statuses.has(status), JSON.stringify([...statuses]));
  });
});
