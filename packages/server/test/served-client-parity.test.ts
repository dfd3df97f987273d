// Issue 13 item 11: the served client answers as socket.io 4.8's does — ETag from the version and 304
// for If-None-Match, source maps as application/json, br/gzip/deflate by Accept-Encoding, the `cors`
// option's headers (preflight 204). Each request goes to socket.io and to Volley; the answers must agree.
import assert from "node:assert/strict";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, request, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { Server as SioServer } from "socket.io";
import { Server } from "volley";
import { ClientBundle } from "../src/serve-client.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(port: number, path: string, headers: Record<string, string> = {}, method = "GET") {
  return new Promise<Reply>((resolve, reject) => {
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

function decode(reply: Reply): Buffer {
  switch (reply.headers["content-encoding"]) {
    case "br":
      return brotliDecompressSync(reply.body);
    case "gzip":
      return gunzipSync(reply.body);
    case "deflate":
      return inflateSync(reply.body);
    default:
      return reply.body;
  }
}

const require = createRequire(import.meta.url);
const clientDir = dirname(require.resolve("@volley/client/package.json"));
const clientVersion: string = JSON.parse(readFileSync(join(clientDir, "package.json"), "utf8")).version;
const sioVersion: string = JSON.parse(
  readFileSync(require.resolve("socket.io/package.json"), "utf8"),
).version;
const built = (() => {
  try {
    readFileSync(join(clientDir, "dist", "volley.min.js"));
    return true;
  } catch {
    return false;
  }
})();

const cors = { origin: "http://app.example", credentials: true };
const ORIGIN = { Origin: "http://app.example" };

describe("the served client, next to socket.io's", {
  skip: built ? false : "@volley/client is not built",
}, () => {
  const https: HttpServer[] = [];
  let sio: SioServer;
  let io: Server;
  let sioPort: number;
  let port: number;
  before(async () => {
    const a = createServer();
    const b = createServer();
    https.push(a, b);
    sio = new SioServer(a, { cors });
    io = new Server(b, { cors });
    for (const http of https) {
      http.listen(0, "127.0.0.1");
      await once(http, "listening");
    }
    sioPort = (a.address() as AddressInfo).port;
    port = (b.address() as AddressInfo).port;
  });
  after(async () => {
    sio.close();
    await io.close();
  });

  /**
   * The same request to both (from the allowed origin, as a browser sends it: without an Origin the
   * `cors` package still sends the configured origin, the engine's CORS sends none); what they must
   * agree on.
   */
  async function both(path: string, extra: Record<string, string> = {}, method = "GET") {
    const headers = { ...ORIGIN, ...extra };
    const sioHeaders = { ...headers };
    if (headers["If-None-Match"])
      sioHeaders["If-None-Match"] = headers["If-None-Match"].replace(clientVersion, sioVersion);
    const expected = await get(sioPort, path, sioHeaders, method);
    const actual = await get(port, path, headers, method);
    const pick = (r: Reply) => ({
      status: r.status,
      type: r.headers["content-type"],
      encoding: r.headers["content-encoding"],
      cacheControl: r.headers["cache-control"],
      allowOrigin: r.headers["access-control-allow-origin"],
      credentials: r.headers["access-control-allow-credentials"],
      methods: r.headers["access-control-allow-methods"],
      allowHeaders: r.headers["access-control-allow-headers"],
      emptyBody: r.body.length === 0,
    });
    const a = pick(actual);
    const e = pick(expected);
    // socket.io's 304 carries no Cache-Control; ours keeps it (RFC 9110 §15.4.5 asks for it).
    if (e.status === 304) e.cacheControl = a.cacheControl;
    assert.deepEqual(a, e, `${method} ${path} ${JSON.stringify(headers)}`);
    return actual;
  }

  test("ETag is the client's version; If-None-Match (strong or weak) gets 304", async () => {
    const first = await both("/socket.io/socket.io.js", ORIGIN);
    assert.equal(first.headers.etag, `"${clientVersion}"`);
    await both("/socket.io/socket.io.js", { ...ORIGIN, "If-None-Match": `"${clientVersion}"` });
    await both("/socket.io/socket.io.min.js?v=2", { "If-None-Match": `W/"${clientVersion}"` });
    await both("/socket.io/socket.io.js", { "If-None-Match": '"not-this-one"' });
  });

  test("files and source maps with their content types", async () => {
    const names = ["socket.io.js", "socket.io.min.js", "socket.io.esm.min.js"];
    // Source maps where the client build emits them (the content type is pinned below either way).
    for (const name of [...names]) {
      if (existsSync(join(clientDir, "dist", `${name.replace("socket.io", "volley")}.map`)))
        names.push(`${name}.map`);
    }
    for (const name of names) {
      const reply = await both(`/socket.io/${name}`, ORIGIN);
      const file = name.replace("socket.io", "volley");
      assert.deepEqual(reply.body, readFileSync(join(clientDir, "dist", file)));
    }
  });

  test("br, gzip or deflate by Accept-Encoding (quality, then the client's order)", async () => {
    const source = readFileSync(join(clientDir, "dist", "volley.js"));
    for (const accept of [
      "gzip, deflate, br",
      "br",
      "deflate",
      "gzip, br",
      "br;q=0.5, gzip",
      "*",
      "identity",
      "gzip;q=0, deflate",
      "br;q=0",
    ]) {
      const reply = await both("/socket.io/socket.io.js", { "Accept-Encoding": accept });
      assert.deepEqual(decode(reply), source, accept);
      if (reply.headers["content-encoding"]) assert.ok(reply.body.length < source.length / 2, accept);
    }
    // Compressed once, then served from memory: the same bytes each time.
    const a = await get(port, "/socket.io/socket.io.js", { "Accept-Encoding": "br" });
    const b = await get(port, "/socket.io/socket.io.js", { "Accept-Encoding": "br" });
    assert.deepEqual(a.body, b.body);
    assert.match(String(a.headers.vary), /Accept-Encoding/);
  });

  test("CORS as the cors option says, preflight answered with 204", async () => {
    await both("/socket.io/socket.io.min.js", ORIGIN);
    const preflight = await both(
      "/socket.io/socket.io.min.js",
      { ...ORIGIN, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-token" },
      "OPTIONS",
    );
    assert.equal(preflight.status, 204);
    const head = await both("/socket.io/socket.io.min.js", ORIGIN, "HEAD");
    assert.equal(head.body.length, 0);
  });

  test("without the cors option, no CORS headers (both)", async () => {
    const plain: Array<{ http: HttpServer; close: () => unknown }> = [];
    for (const make of [(h: HttpServer) => new SioServer(h), (h: HttpServer) => new Server(h)]) {
      const http = createServer();
      const server = make(http);
      http.listen(0, "127.0.0.1");
      await once(http, "listening");
      plain.push({ http, close: () => server.close() });
    }
    for (const { http } of plain) {
      const reply = await get((http.address() as AddressInfo).port, "/socket.io/socket.io.js", ORIGIN);
      assert.equal(reply.status, 200);
      assert.equal(reply.headers["access-control-allow-origin"], undefined);
    }
    for (const { close } of plain) await close();
  });
});

test("a source map is application/json, compressed like the rest, with the version ETag", async () => {
  const dir = mkdtempSync(join(tmpdir(), "volley-map-"));
  mkdirSync(join(dir, "dist"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ version: "9.8.7" }));
  const map = JSON.stringify({ version: 3, sources: ["a.ts"], mappings: "AAAA;".repeat(500) });
  writeFileSync(join(dir, "dist", "volley.min.js.map"), map);
  const bundle = new ClientBundle("/socket.io", dir);
  const http = createServer((req, res) => {
    if (!bundle.handle(req, res)) res.writeHead(418).end();
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  const port = (http.address() as AddressInfo).port;
  const reply = await get(port, "/socket.io/socket.io.min.js.map", { "Accept-Encoding": "gzip" });
  assert.equal(reply.status, 200);
  assert.equal(reply.headers["content-type"], "application/json; charset=utf-8");
  assert.equal(reply.headers.etag, '"9.8.7"');
  assert.equal(decode(reply).toString(), map);
  assert.equal(
    (await get(port, "/socket.io/socket.io.min.js.map", { "If-None-Match": '"x", W/"9.8.7"' })).status,
    304,
  );
  http.close();
  rmSync(dir, { recursive: true, force: true });
});
