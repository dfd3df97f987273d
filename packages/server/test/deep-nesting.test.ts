// Unbounded nesting (issue 11, item 3): a packet nested deeper than the codec's MAX_DEPTH is refused by
// the decoder before JSON.parse, as a parse error that closes that one connection; handlers never see it,
// and payloads up to the limit still reach handlers and can be echoed back.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import { MAX_DEPTH } from "@volley/protocol";
import type { Socket } from "volley";
import { next } from "./helpers.js";
import { serverPerTest } from "./server-per-test.js";

const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

describe("deep nesting", () => {
  const testServer = serverPerTest();

  test("attackers nesting 100,000 levels are cut off with a parse error; another client keeps working", async () => {
    const h = await testServer.setup();
    const handled: unknown[] = [];
    h.io.on("connection", (socket) => {
      socket.on("deep", (...args) => handled.push(args));
      socket.on("echo", (value, ack) => ack(value));
    });
    const good = h.client();
    await next(good, "connect");

    const ATTACKERS = 10;
    for (let i = 0; i < ATTACKERS; i++) {
      const raw = testServer.raw();
      const joined = next<[Socket]>(h.io, "connection");
      await raw.connect();
      const [socket] = await joined;
      const errors: Error[] = [];
      socket.on("error", (err) => errors.push(err));
      const reason = next<[string]>(socket, "disconnect");
      const closed = once(raw.ws, "close");
      raw.ws.send(`42["deep",${nested(100_000)}]`);
      assert.equal((await reason)[0], "parse error");
      await closed;
      assert.equal(errors.length, 1);
      assert.equal((errors[0] as Error & { code?: string }).code, "TOO_DEEP");
      assert.match(errors[0]!.message, /nests deeper than maxDepth \(1000 levels\)/);
    }
    assert.deepEqual(handled, [], "no handler saw a refused packet");

    // The other client: a payload exactly at the limit reaches the handler and its echo comes back.
    const atLimit = JSON.parse(nested(MAX_DEPTH - 1)) as unknown;
    const echoed = await good.timeout(5_000).emitWithAck("echo", atLimit);
    assert.deepEqual(echoed, atLimit);
    assert.equal(good.connected, true);
    assert.equal(h.io.engine.clientsCount, 1);
  });

  test("the decoder option maxDepth is honoured by the server", async () => {
    const h = await testServer.setup({ decoder: { maxDepth: 4 } });
    const raw = testServer.raw();
    const joined = next<[Socket]>(h.io, "connection");
    await raw.connect();
    const [socket] = await joined;
    const got = next<[unknown]>(socket, "ok");
    raw.ws.send(`42["ok",${nested(3)}]`);
    assert.deepEqual((await got)[0], [[[]]]);
    const reason = next<[string]>(socket, "disconnect");
    raw.ws.send(`42["ok",${nested(4)}]`);
    assert.equal((await reason)[0], "parse error");
  });
});
