// Origin of WebSocket upgrades (issue 11 item 6: cross-site WebSocket hijacking), with the real `ws` client.
import assert from "node:assert/strict";
import { describe, type TestContext, test } from "node:test";
import type { EngineServerOptions } from "@volley/engine";
import { type Fixture, pollingHandshake, rawRequest, startEngine } from "./helpers.js";

interface UpgradeResult {
  status: number;
  body: string;
}

/** Opens a websocket with `ws`, sending `origin` (none when undefined); closes it once open. */
async function upgrade(f: Fixture, origin: string | undefined, query = ""): Promise<UpgradeResult> {
  const { WebSocket } = await import("ws");
  const ws = new WebSocket(
    `ws://127.0.0.1:${f.port}/engine.io/?EIO=4&transport=websocket${query}`,
    origin === undefined ? {} : { origin },
  );
  ws.on("error", () => {});
  return new Promise((resolve) => {
    ws.once("open", () => {
      ws.terminate();
      resolve({ status: 101, body: "" });
    });
    ws.once("unexpected-response", (req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => {
        body += c.toString();
      });
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
  });
}

async function start(t: TestContext, options: EngineServerOptions): Promise<Fixture> {
  const f = await startEngine(options);
  t.after(() => f.close());
  return f;
}

const FORBIDDEN_CORS = { code: 4, message: "origin not allowed (cors.origin)" };

describe("WebSocket Origin check", () => {
  test("without cors or allowedOrigins every origin is accepted (as engine.io)", async (t) => {
    const f = await start(t, {});
    for (const origin of [undefined, "https://evil.example", "null"]) {
      assert.equal((await upgrade(f, origin)).status, 101, String(origin));
    }
  });

  test("cors.origin string: that origin, same-origin pages and non-browser clients pass; others get 403", async (t) => {
    const f = await start(t, { cors: { origin: "https://app.example" } });
    const errors: Array<{ code: number; message: string; context: Record<string, unknown> }> = [];
    f.engine.on("connection_error", (e) => errors.push(e));
    assert.equal((await upgrade(f, "https://app.example")).status, 101);
    assert.equal((await upgrade(f, undefined)).status, 101);
    assert.equal((await upgrade(f, `http://127.0.0.1:${f.port}`)).status, 101);
    for (const origin of ["https://evil.example", "null", "https://app.example.evil.example", "garbage"]) {
      const refused = await upgrade(f, origin);
      assert.equal(refused.status, 403, origin);
      assert.deepEqual(JSON.parse(refused.body), FORBIDDEN_CORS);
    }
    assert.equal(errors.length, 4);
    assert.deepEqual(errors[0]!.context, { name: "ORIGIN_NOT_ALLOWED", origin: "https://evil.example" });
  });

  test("the upgrade of a polling session is checked too", async (t) => {
    const f = await start(t, { cors: { origin: ["https://app.example"] } });
    const { sid } = await pollingHandshake(f);
    assert.equal((await upgrade(f, "https://evil.example", `&sid=${sid}`)).status, 403);
    assert.equal(f.engine.sessions.get(sid)?.upgraded, false);
  });

  test("cors.origin arrays with RegExps, and the function form of cors.origin", async (t) => {
    const f = await start(t, { cors: { origin: [/\.app\.example$/, "https://other.example"] } });
    assert.equal((await upgrade(f, "https://eu.app.example")).status, 101);
    assert.equal((await upgrade(f, "https://other.example")).status, 101);
    assert.equal((await upgrade(f, "https://app.example.evil")).status, 403);

    const g = await start(t, {
      cors: { origin: (origin, cb) => setImmediate(() => cb(null, origin === "https://ok.example")) },
    });
    assert.equal((await upgrade(g, "https://ok.example")).status, 101);
    assert.equal((await upgrade(g, "https://no.example")).status, 403);
  });

  test("a cors delegate (req, cb) decides both the CORS headers and the upgrades", async (t) => {
    const f = await start(t, {
      cors: (req, cb) =>
        cb(null, { origin: req.headers["x-tenant"] === "b" ? "https://b.example" : "https://a.example" }),
    });
    const preflight = await rawRequest(f.port, "OPTIONS", "/engine.io/?EIO=4&transport=polling", undefined, {
      Origin: "https://b.example",
      "X-Tenant": "b",
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers["access-control-allow-origin"], "https://b.example");
    assert.equal((await upgrade(f, "https://a.example")).status, 101);
    assert.equal((await upgrade(f, "https://b.example")).status, 403);
  });

  test("explicit allowedOrigins overrides cors (even cors '*')", async (t) => {
    const f = await start(t, { cors: { origin: "*" }, allowedOrigins: ["https://only.example"] });
    assert.equal((await upgrade(f, "https://only.example")).status, 101);
    const refused = await upgrade(f, "https://any.example");
    assert.equal(refused.status, 403);
    assert.deepEqual(JSON.parse(refused.body), { code: 4, message: "origin not allowed (allowedOrigins)" });
  });

  test("allowedOrigins as an async function sees every request, even without Origin", async (t) => {
    const seen: Array<string | undefined> = [];
    const f = await start(t, {
      allowedOrigins: async (origin) => {
        seen.push(origin);
        return origin === "https://fn.example";
      },
    });
    assert.equal((await upgrade(f, "https://fn.example")).status, 101);
    assert.equal((await upgrade(f, undefined)).status, 403);
    assert.deepEqual(seen, ["https://fn.example", undefined]);
    const throwing = await start(t, {
      allowedOrigins: () => {
        throw new Error("boom");
      },
    });
    assert.equal((await upgrade(throwing, "https://x.example")).status, 403);
  });
});
