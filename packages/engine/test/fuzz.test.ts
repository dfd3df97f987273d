// Property fuzzing (issue 11 item 8, engine part) with the fixed fast-check seed (scripts/fast-check-seed.mjs):
// the packet/payload decoder on random and mutated-valid input, and a real server on random requests.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  decodePacket,
  decodePayload,
  EngineParseError,
  encodePacket,
  encodePayload,
  RECORD_SEPARATOR,
} from "@volley/engine/parser";
import fc from "fast-check";
import { anyString, FUZZ_SERVER_OPTIONS, fuzzRequest, send, validPacket } from "./fuzz-inputs.js";
import { type Fixture, pollingHandshake, startEngine } from "./helpers.js";

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

describe("server request fuzzing (real server over loopback)", () => {
  let f: Fixture;
  let uncaught = 0;
  const onUncaught = (): void => {
    uncaught++;
  };
  before(async () => {
    f = await startEngine(FUZZ_SERVER_OPTIONS);
    process.on("uncaughtException", onUncaught);
  });
  after(async () => {
    process.off("uncaughtException", onUncaught);
    await f.close();
  });

  test("random methods, queries, headers and bodies: 200/400/403/413/429 with a JSON error, never a hang", async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fuzzRequest, async ([method, query, headers, body]) => {
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
      }),
      { numRuns: 300 },
    );
    assert.equal(uncaught, 0);
    // Bounded: never more sessions than the per-address cap allows.
    assert.ok(f.engine.clientsCount <= 15, `${f.engine.clientsCount} sessions`);
    // Every kind of answer was reached (the generator is not stuck on one refusal).
    for (const status of [200, 400, 413]) assert.ok(statuses.has(status), JSON.stringify([...statuses]));
  });
});
