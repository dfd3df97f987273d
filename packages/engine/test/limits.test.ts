// Connection caps and handshake rates (issue 11 item 5): refusals with Retry-After, over loopback, on an
// injected clock; X-Forwarded-For only from trusted proxies; the Volley client's `retryAfter`.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { describe, type TestContext, test } from "node:test";
import { EngineServer, type EngineServerOptions } from "@volley/engine";
import { EngineClient, type EngineClientError, type TransportName } from "@volley/engine/client";
import { Admission, addressKey } from "../src/admission.js";
import { AddressSet } from "../src/client-address.js";
import { type Fixture, rawRequest, startEngine } from "./helpers.js";

/** mock.timers behind the engine's clock: rates refill only when the test ticks. */
function mockClock(t: TestContext) {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  return {
    now: () => Date.now(),
    setTimeout: <A>(callback: (arg: A) => void, ms: number, arg: A) => setTimeout(callback, ms, arg),
    clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
  };
}

/** Loopback is exempt by default; these tests attack from it. */
const strict: EngineServerOptions = { exemptAddresses: [], pingInterval: 60_000, pingTimeout: 60_000 };

function handshake(f: Fixture, headers: Record<string, string> = {}) {
  return rawRequest(f.port, "GET", "/engine.io/?EIO=4&transport=polling", undefined, headers);
}

/** A websocket-only handshake with the real `ws` client: the status, Retry-After and body of a refusal. */
async function wsHandshake(
  f: Fixture,
): Promise<{ status: number; retryAfter?: string; body: string; ws?: import("ws").WebSocket }> {
  const { WebSocket } = await import("ws");
  const ws = new WebSocket(`ws://127.0.0.1:${f.port}/engine.io/?EIO=4&transport=websocket`);
  ws.on("error", () => {});
  return new Promise((resolve) => {
    ws.once("open", () => resolve({ status: 101, body: "", ws }));
    ws.once("unexpected-response", (req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => {
        body += c.toString();
      });
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"], body });
      });
    });
  });
}

describe("connection caps", () => {
  test("maxConnectionsPerAddress: the next handshake gets 429 + Retry-After until a session closes", async (t) => {
    const f = await startEngine({ ...strict, maxConnectionsPerAddress: 3, handshakeRate: false });
    t.after(() => f.close());
    for (let i = 0; i < 3; i++) assert.equal((await handshake(f)).status, 200);
    const refused = await handshake(f);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers["retry-after"], "5");
    assert.deepEqual(JSON.parse(refused.body), {
      code: 7,
      message: "too many connections from this address (maxConnectionsPerAddress: 3)",
      retryAfter: 5,
    });
    // WebSocket-only handshakes get the same refusal on the upgrade.
    const ws = await wsHandshake(f);
    assert.equal(ws.status, 429);
    assert.equal(ws.retryAfter, "5");
    assert.equal(JSON.parse(ws.body).code, 7);
    // One session leaves: room for one more.
    const first = [...f.engine.sessions.values()][0]!;
    first.shutdown("server shutting down");
    assert.equal((await handshake(f)).status, 200);
    assert.equal((await handshake(f)).status, 429);
    assert.equal(f.engine.clientsCount, 3);
  });

  test("maxConnections: 503 with Retry-After; connection_error names the limit", async (t) => {
    const f = await startEngine({ ...strict, maxConnections: 2, connectionRetryAfter: 2500 });
    t.after(() => f.close());
    const errors: Array<{ code: number; message: string; context: Record<string, unknown> }> = [];
    f.engine.on("connection_error", (e) => errors.push(e));
    assert.equal((await handshake(f)).status, 200);
    assert.equal((await wsHandshake(f)).status, 101);
    const refused = await handshake(f);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers["retry-after"], "3");
    assert.equal(JSON.parse(refused.body).message, "too many connections (maxConnections: 2)");
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 7);
    assert.equal(errors[0]!.context.retryAfterMs, 2500);
    for (const s of f.engine.sessions.values()) s.shutdown("server shutting down");
  });

  test("requests of an existing session are never counted as handshakes", async (t) => {
    const f = await startEngine({
      ...strict,
      handshakeRate: { perAddress: { rate: 1, burst: 1 }, total: false },
    });
    t.after(() => f.close());
    const open = await handshake(f);
    const sid = JSON.parse(open.body.slice(1)).sid as string;
    for (let i = 0; i < 20; i++) {
      const res = await rawRequest(f.port, "POST", `/engine.io/?EIO=4&transport=polling&sid=${sid}`, "4x");
      assert.equal(res.status, 200);
    }
  });
});

describe("handshake rate (token buckets on the injected clock)", () => {
  test("perAddress: burst, then 429 with the wait until the next token; refills with time", async (t) => {
    const clock = mockClock(t);
    const f = await startEngine({
      ...strict,
      clock,
      handshakeRate: { perAddress: { rate: 0.5, burst: 3 }, total: false },
    });
    t.after(() => f.close());
    for (let i = 0; i < 3; i++) assert.equal((await handshake(f)).status, 200);
    const refused = await handshake(f);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers["retry-after"], "2"); // one token per 2 s
    assert.deepEqual(JSON.parse(refused.body), {
      code: 6,
      message: "handshake rate exceeded (handshakeRate.perAddress: 0.5/s, burst 3)",
      retryAfter: 2,
    });
    t.mock.timers.tick(1999);
    assert.equal((await handshake(f)).status, 429);
    t.mock.timers.tick(1);
    assert.equal((await handshake(f)).status, 200);
    assert.equal((await handshake(f)).status, 429);
    for (const s of f.engine.sessions.values()) s.shutdown("server shutting down");
  });

  test("total: 503 once the engine-wide bucket is empty, whatever the address", async (t) => {
    const clock = mockClock(t);
    const f = await startEngine({
      ...strict,
      clock,
      trustedProxies: ["127.0.0.1"],
      handshakeRate: { perAddress: false, total: { rate: 10, burst: 4 } },
    });
    t.after(() => f.close());
    for (let i = 0; i < 4; i++) {
      assert.equal((await handshake(f, { "X-Forwarded-For": `10.0.0.${i}` })).status, 200);
    }
    const refused = await handshake(f, { "X-Forwarded-For": "10.0.0.99" });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers["retry-after"], "1");
    assert.equal(JSON.parse(refused.body).code, 6);
    t.mock.timers.tick(100);
    assert.equal((await handshake(f, { "X-Forwarded-For": "10.0.0.99" })).status, 200);
    for (const s of f.engine.sessions.values()) s.shutdown("server shutting down");
  });

  test("loopback is exempt by default; the total cap still applies", async (t) => {
    const f = await startEngine({ maxConnectionsPerAddress: 1, maxConnections: 5 });
    t.after(() => f.close());
    for (let i = 0; i < 5; i++) assert.equal((await handshake(f)).status, 200);
    assert.equal((await handshake(f)).status, 503);
    for (const s of f.engine.sessions.values()) s.shutdown("server shutting down");
  });
});

describe("X-Forwarded-For", () => {
  test("ignored unless the peer is a trusted proxy", async (t) => {
    const f = await startEngine({ ...strict, maxConnectionsPerAddress: 1, handshakeRate: false });
    t.after(() => f.close());
    assert.equal((await handshake(f, { "X-Forwarded-For": "10.0.0.1" })).status, 200);
    // A different claimed address does not help: the TCP peer (127.0.0.1) is what counts.
    assert.equal((await handshake(f, { "X-Forwarded-For": "10.0.0.2" })).status, 429);
    for (const s of f.engine.sessions.values()) s.shutdown("server shutting down");
  });

  test("from a trusted proxy: the rightmost untrusted hop counts; spoofed hops to its left do not", async (t) => {
    const f = await startEngine({
      ...strict,
      maxConnectionsPerAddress: 1,
      handshakeRate: false,
      trustedProxies: ["127.0.0.0/8", "192.168.0.0/16"],
    });
    t.after(() => f.close());
    assert.equal((await handshake(f, { "X-Forwarded-For": "10.0.0.1" })).status, 200);
    assert.equal((await handshake(f, { "X-Forwarded-For": "10.0.0.2, 192.168.1.1" })).status, 200);
    // The client claims another address on the left; the proxy appended the real one.
    assert.equal((await handshake(f, { "X-Forwarded-For": "10.9.9.9, 10.0.0.1" })).status, 429);
    assert.equal((await handshake(f, { "X-Forwarded-For": "10.0.0.3" })).status, 200);
    for (const s of f.engine.sessions.values()) s.shutdown("server shutting down");
  });

  test("IPv6 clients count per /64; IPv4-mapped addresses as IPv4", () => {
    assert.equal(addressKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
    assert.equal(addressKey("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
    assert.equal(addressKey("::1"), "0:0:0:0::/64");
    assert.equal(addressKey("10.1.2.3"), "10.1.2.3");
    assert.throws(() => new EngineServer({ trustedProxies: ["10.0.0.0/33"] }), /trustedProxies/);
    assert.throws(() => new EngineServer({ exemptAddresses: ["nope"] }), /exemptAddresses/);
    assert.throws(() => new EngineServer({ handshakeRate: { perAddress: { rate: 0, burst: 1 } } }), /rate/);
  });
});

describe("bounded memory of the rate buckets", () => {
  test("250 000 distinct addresses keep at most 100 000 buckets", () => {
    let now = 0;
    const limits = new EngineServer({
      exemptAddresses: [],
      trustedProxies: ["127.0.0.1"],
      handshakeRate: { total: false },
      clock: { now: () => now, setTimeout: () => undefined, clearTimeout: () => {} },
    }).options;
    const admission = new Admission(limits);
    const req = { socket: { remoteAddress: "127.0.0.1" }, headers: {} as Record<string, string> };
    let peak = 0;
    for (let i = 0; i < 250_000; i++) {
      req.headers["x-forwarded-for"] = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      assert.equal(admission.check(req as unknown as IncomingMessage, 0), undefined);
      peak = Math.max(peak, admission.trackedAddresses);
      now += 0.01;
    }
    assert.ok(peak <= 100_000, `peak ${peak}`);
    assert.ok(new AddressSet(["::1"], "x").has("::1"));
  });
});

describe("the Volley engine client keeps retryAfter (ms) of a refused handshake", () => {
  for (const transports of [["polling"], ["websocket"]] as TransportName[][]) {
    test(`${transports[0]}: a refused handshake sets client.retryAfter`, async (t) => {
      const f = await startEngine({ ...strict, maxConnectionsPerAddress: 1, connectionRetryAfter: 7000 });
      t.after(() => f.close());
      assert.equal((await handshake(f)).status, 200);
      const client = new EngineClient(`http://127.0.0.1:${f.port}`, { transports });
      const error = await new Promise<EngineClientError>((resolve, reject) => {
        client.once("error", resolve);
        client.once("open", () => reject(new Error("opened past the cap")));
      });
      client.close();
      assert.equal(client.retryAfter, 7000);
      assert.equal(error.description, 429);
      for (const s of f.engine.sessions.values()) s.shutdown("server shutting down");
    });
  }
});
