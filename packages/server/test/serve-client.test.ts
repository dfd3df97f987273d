// The browser bundle at <path>/socket.io.js & co: ETag, 304, gzip, and a clear 404 when unbuilt.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gunzipSync } from "node:zlib";
import { ClientBundle } from "../src/serve-client.js";
import { setup } from "./helpers.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

describe("ClientBundle", () => {
  const dir = mkdtempSync(join(tmpdir(), "volley-bundle-"));
  const source = `window.io = function io() {}; // ${"padding ".repeat(200)}`;
  let port: number;
  const http = createServer((req, res) => {
    if (!bundle.handle(req, res)) res.writeHead(418).end("not mine");
  });
  const bundle = new ClientBundle("/socket.io", dir);
  before(async () => {
    mkdirSync(join(dir, "dist"));
    writeFileSync(join(dir, "dist", "volley.min.js"), source);
    http.listen(0, "127.0.0.1");
    await once(http, "listening");
    port = (http.address() as AddressInfo).port;
  });
  after(() => {
    http.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("serves the file with an ETag, then 304 for If-None-Match", async () => {
    const first = await get(port, "/socket.io/socket.io.min.js");
    assert.equal(first.status, 200);
    assert.equal(first.body.toString(), source);
    assert.match(String(first.headers["content-type"]), /javascript/);
    const etag = String(first.headers.etag);
    assert.match(etag, /^".+"$/);
    const second = await get(port, "/socket.io/socket.io.min.js?v=1", { "If-None-Match": etag });
    assert.equal(second.status, 304);
    assert.equal(second.body.length, 0);
  });

  test("gzip when accepted, not when refused with q=0", async () => {
    const zipped = await get(port, "/socket.io/socket.io.min.js", {
      "Accept-Encoding": "deflate;q=0.5, gzip;q=0.8",
    });
    assert.equal(zipped.headers["content-encoding"], "gzip");
    assert.equal(gunzipSync(zipped.body).toString(), source);
    assert.ok(zipped.body.length < source.length);
    const plain = await get(port, "/socket.io/socket.io.min.js", { "Accept-Encoding": "gzip;q=0" });
    assert.equal(plain.headers["content-encoding"], undefined);
  });

  test("a missing build is a 404 that says what to do; other paths are left alone", async () => {
    const missing = await get(port, "/socket.io/socket.io.esm.min.js");
    assert.equal(missing.status, 404);
    assert.match(missing.body.toString(), /npm run build -w @volley\/client/);
    assert.equal((await get(port, "/socket.io/other.js")).status, 418);
    assert.equal((await get(port, "/elsewhere/socket.io.js")).status, 418);
    assert.equal((await get(port, "/socket.io/socket.io.min.js", {}, "POST")).status, 405);
  });
});

test("the server answers the bundle paths and still serves Engine.IO and other requests", async () => {
  // closeTimeout: the hand-made polling session below never polls again; do not wait for it.
  const h = await setup({ closeTimeout: 20 });
  const js = await get(h.port, "/socket.io/socket.io.js");
  // 200 when @volley/client is built, else the explanatory 404: never an Engine.IO error.
  assert.ok(
    js.status === 200 || (js.status === 404 && /npm run build/.test(js.body.toString())),
    String(js.status),
  );
  const handshake = await get(h.port, "/socket.io/?EIO=4&transport=polling");
  assert.equal(handshake.status, 200);
  assert.match(handshake.body.toString(), /^0\{"sid"/);
  await h.cleanup();
  const off = await setup({ serveClient: false });
  // Without the served client the path is the engine's, as with socket.io (engine.io matches every path
  // under /socket.io/): "Transport unknown".
  const none = await get(off.port, "/socket.io/socket.io.js");
  assert.equal(none.status, 400);
  assert.equal(JSON.parse(none.body.toString()).code, 0);
  await off.cleanup();
});
