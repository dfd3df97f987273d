// allowEIO3 in a real Chromium: the socket.io-client@2 browser bundle, unchanged, against our server. A
// browser's v2 client has XHR2, so on polling binary travels in binary payloads (application/octet-stream)
// both ways — the path Node's v2 client (always b64=1) never takes.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Server, type Socket } from "volley";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) =>
  existsSync(p),
);
const require = createRequire(import.meta.url);
const V2_BUNDLE = join(require.resolve("socket.io-client-v2"), "..", "..", "dist", "socket.io.js");

const PAGE = (transports: string[]) => `<!doctype html><html><body>
<script src="/v2.js"></script>
<script>
  window.result = {};
  const socket = io({ transports: ${JSON.stringify(transports)} });
  socket.on("connect", () => {
    window.result.id = socket.id;
    const bytes = new Uint8Array([0, 1, 254, 255]).buffer;
    socket.emit("hello", "héllo €😀", bytes, (text, echoed) => {
      window.result.ack = [text, Array.from(new Uint8Array(echoed))];
    });
  });
  socket.on("bytes", (label, data) => {
    window.result.bytes = [label, Array.from(new Uint8Array(data.payload))];
  });
  socket.on("done", () => {
    window.result.transport = socket.io.engine.transport.name;
    window.result.done = true;
  });
  const admin = io("/admin?token=secret", { transports: ${JSON.stringify(transports)} });
  admin.on("welcome", (token) => { window.result.admin = token; });
  const denied = io("/admin?token=wrong", { transports: ${JSON.stringify(transports)} });
  denied.on("error", (err) => { window.result.denied = err; });
</script></body></html>`;

describe("socket.io-client@2 in Chromium", { skip: !CHROMIUM ? "no Chromium" : false }, () => {
  let browser: import("playwright-core").Browser;
  before(async () => {
    const { chromium } = await import("playwright-core");
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  after(() => browser.close());

  for (const transports of [["polling"], ["polling", "websocket"]]) {
    test(`over ${transports.join(" → ")}`, async () => {
      const http = createServer((req, res) => {
        if (req.url === "/")
          res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(PAGE(transports));
        else if (req.url === "/v2.js") {
          res.writeHead(200, { "Content-Type": "text/javascript" }).end(readFileSync(V2_BUNDLE));
        } else res.writeHead(404).end();
      });
      const io = new Server(http, { allowEIO3: true });
      let received: unknown[] = [];
      io.on("connection", (socket: Socket) => {
        socket.on("hello", (text: string, bytes: Buffer, ack: (...a: unknown[]) => void) => {
          received = [text, [...bytes]];
          ack(text, bytes);
          socket.emit("bytes", "ünïcode 😀", { payload: Buffer.from([9, 8, 7]) });
          const done = () => socket.emit("done");
          if (transports.length === 1 || socket.conn.transport.name === "websocket") setImmediate(done);
          else socket.conn.once("upgrade", done);
        });
      });
      io.of("/admin").use((socket, next) =>
        next(socket.handshake.auth.token === "secret" ? undefined : new Error("unauthorized")),
      );
      io.of("/admin").on("connection", (socket: Socket) =>
        socket.emit("welcome", socket.handshake.auth.token),
      );
      await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
      const port = (http.address() as { port: number }).port;
      const tab = await browser.newPage();
      try {
        const binaryPosts: number[] = [];
        const binaryPolls: number[] = [];
        tab.on("request", (r) => {
          if (r.method() === "POST" && r.headers()["content-type"] === "application/octet-stream") {
            binaryPosts.push(1);
          }
        });
        tab.on("response", (r) => {
          if (r.headers()["content-type"] === "application/octet-stream") binaryPolls.push(1);
        });
        await tab.goto(`http://127.0.0.1:${port}/`);
        await tab.waitForFunction(
          () => {
            const r = (window as unknown as { result: Record<string, unknown> }).result;
            return r.done === true && r.admin !== undefined && r.denied !== undefined && r.ack !== undefined;
          },
          null,
          { timeout: 20_000 },
        );
        const result = (await tab.evaluate(
          () => (window as unknown as { result: unknown }).result,
        )) as Record<string, unknown>;
        assert.deepEqual(received, ["héllo €😀", [0, 1, 254, 255]]);
        assert.deepEqual(result.ack, ["héllo €😀", [0, 1, 254, 255]]);
        assert.deepEqual(result.bytes, ["ünïcode 😀", [9, 8, 7]]);
        assert.equal(result.admin, "secret");
        assert.equal(result.denied, "unauthorized");
        assert.equal(result.transport, transports.at(-1));
        if (transports.length === 1) {
          // The binary went as binary payloads, not base64.
          assert.ok(binaryPosts.length > 0, "no binary POST");
          assert.ok(binaryPolls.length > 0, "no binary poll response");
        }
      } finally {
        await tab.close();
        await io.close();
      }
    });
  }
});
