// Fuzz inputs shared by the in-process fuzz tests and the heap-after-GC fuzz test: valid, mutated and
// random Engine.IO payloads, plausible-or-random handshake queries and headers, and a request with a deadline.
import { request as httpRequest } from "node:http";
import { encodePayload, type Packet, RECORD_SEPARATOR } from "@volley/engine/parser";
import fc from "fast-check";

const packetType = fc.constantFrom(
  "open",
  "close",
  "ping",
  "pong",
  "message",
  "upgrade",
  "noop",
) as fc.Arbitrary<Packet["type"]>;
export const validPacket: fc.Arbitrary<Packet> = fc.oneof(
  fc.record({
    type: packetType,
    data: fc.string({ maxLength: 20 }).filter((s) => !s.includes(RECORD_SEPARATOR)),
  }),
  packetType.map((type) => ({ type })),
  fc.uint8Array({ maxLength: 20 }).map((bytes) => ({ type: "message" as const, data: bytes })),
);

/** A valid payload with a few characters changed, inserted or removed. */
export const mutatedPayload = fc
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

export const anyString = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: "binary", maxLength: 64 }),
  fc
    .array(fc.constantFrom("4", "b", "=", "/", "+", "A", RECORD_SEPARATOR, "\uD800", "0", "6"), {
      maxLength: 40,
    })
    .map((a) => a.join("")),
  mutatedPayload,
);

export interface Answer {
  status: number;
  body: string;
}

/** One request with a deadline: a hang fails the property instead of the suite. */
export function send(
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
export const query = fc
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
export const headerValue = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});

/** One random request: method, query, headers and (for methods that carry one) a body. */
export const fuzzRequest = fc.tuple(
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
);

/** The server options both fuzz tests attack: tight limits, so every refusal is reachable. */
export const FUZZ_SERVER_OPTIONS = {
  exemptAddresses: [],
  maxConnectionsPerAddress: 15,
  handshakeRate: { perAddress: { rate: 1000, burst: 1000 } },
  maxHttpBufferSize: 2000,
  pingInterval: 100,
  pingTimeout: 100,
  closeTimeout: 50,
  cors: { origin: ["https://app.example"] },
};
