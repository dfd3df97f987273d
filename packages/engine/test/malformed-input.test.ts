// Whatever a client sends, the server answers (200 or 400) or closes that session; nothing throws out.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import {
  type Fixture,
  pollingHandshake,
  post,
  RS,
  rawRequest,
  rawWebSocket,
  startEngine,
} from "./helpers.js";

const piece = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("4", "b", "b=", "bAA==", "2", "3", "1", "6", "5", "0", "", RS, "\uD800", "4\u0000"),
  fc.base64String({ maxLength: 12 }).map((s) => `b${s}`),
);
const body = fc
  .tuple(fc.array(piece, { maxLength: 6 }), fc.boolean())
  .map(([parts, separated]) => parts.join(separated ? RS : ""));

describe("malformed input never escapes the server", () => {
  let f: Fixture;
  let uncaught = 0;
  const onUncaught = (): void => {
    uncaught++;
  };
  before(async () => {
    f = await startEngine({ pingInterval: 60_000, pingTimeout: 60_000, closeTimeout: 10 });
    process.on("uncaughtException", onUncaught);
  });
  after(async () => {
    process.off("uncaughtException", onUncaught);
    await f.close();
  });

  test("random polling POST bodies: 200 with the session open, or 400 with it closed", async () => {
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const { sid } = await pollingHandshake(f);
        const session = f.engine.sessions.get(sid)!;
        const reasons: string[] = [];
        session.on("close", (reason) => reasons.push(reason));
        const res = await post(f, sid, payload);
        assert.ok(res.status === 200 || res.status === 400, `status ${res.status}`);
        if (res.status === 400) assert.deepEqual(reasons, ["parse error"]);
        if (session.readyState === "open") session.shutdown("server shutting down");
      }),
      { numRuns: 150 },
    );
    assert.equal(uncaught, 0);
    assert.equal(f.engine.clientsCount, 0);
  });

  test("random query strings and methods get an answer", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
        fc.dictionary(
          fc.constantFrom("EIO", "transport", "sid", "t", "j", "b64"),
          fc.string({ maxLength: 8 }),
        ),
        async (method, query) => {
          const qs = new URLSearchParams(query).toString();
          const res = await rawRequest(
            f.port,
            method,
            `/engine.io/?${qs}`,
            method === "GET" ? undefined : "4x",
          );
          assert.ok([200, 400, 403].includes(res.status), `status ${res.status}`);
          if (res.status !== 200) assert.equal(typeof JSON.parse(res.body).code, "number");
        },
      ),
      { numRuns: 100 },
    );
    for (const s of [...f.engine.sessions.values()]) s.shutdown("server shutting down");
    assert.equal(uncaught, 0);
  });

  test("random websocket text frames: a message, or the session closes with 'parse error'", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 4 }), async (frames) => {
        const c = await rawWebSocket(f, "");
        const open = JSON.parse(((await c.next()) as string).slice(1));
        const session = f.engine.sessions.get(open.sid)!;
        const closedReason = new Promise<string>((resolve) => session.once("close", (r) => resolve(r)));
        for (const frame of frames) c.ws.send(frame);
        c.ws.send("1");
        const reason = await closedReason;
        assert.ok(reason === "transport close" || reason === "parse error", reason);
        c.ws.terminate();
        await c.closed;
      }),
      { numRuns: 60 },
    );
    assert.equal(uncaught, 0);
  });
});
