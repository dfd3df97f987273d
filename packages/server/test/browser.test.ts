// A page written for Socket.IO, unchanged: <script src="/socket.io/socket.io.min.js"> then io(),
// in a real Chromium, against our server (which serves that bundle).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { test } from "node:test";
import { Server, type Socket } from "volley";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].find((p) =>
  existsSync(p),
);
const BUNDLE = (createRequire(import.meta.url).resolve.paths("@volley/client") ?? []).some((dir) =>
  ["volley.min.js", "volley.js"].every((f) => existsSync(join(dir, "@volley", "client", "dist", f))),
);

const PAGE = (script: string) => `<!doctype html><html><body>
<script src="/socket.io/${script}"></script>
<script>
  window.result = { events: [] };
  const socket = io({ transports: ["polling", "websocket"] });
  socket.on("connect", async () => {
    window.result.id = socket.id;
    window.result.ack = await socket.emitWithAck("hello", "browser");
  });
  socket.on("bytes", (data) => {
    window.result.bytes = Array.from(new Uint8Array(data.payload));
    window.result.done = true;
  });
</script></body></html>`;

test("a Socket.IO page works unchanged with the served bundle", {
  skip: !CHROMIUM || !BUNDLE ? "no Chromium or no client build" : false,
}, async () => {
  // The application serves its page; the server serves the bundle and Engine.IO.
  const http = createServer((req, res) => {
    if (req.url === "/min.html" || req.url === "/plain.html") {
      res
        .writeHead(200, { "Content-Type": "text/html" })
        .end(PAGE(req.url === "/min.html" ? "socket.io.min.js" : "socket.io.js"));
    } else res.writeHead(404).end();
  });
  const io = new Server(http);
  io.on("connection", (socket: Socket) => {
    socket.on("hello", (who: string, ack: (reply: string) => void) => {
      ack(`hello ${who}`);
      socket.emit("bytes", { payload: Buffer.from([1, 2, 3]) });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const port = (http.address() as { port: number }).port;
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    for (const page of ["min.html", "plain.html"]) {
      const tab = await browser.newPage();
      await tab.goto(`http://127.0.0.1:${port}/${page}`);
      await tab.waitForFunction(
        () => (window as unknown as { result: { done?: boolean } }).result.done === true,
        null,
        {
          timeout: 20_000,
        },
      );
      const result = (await tab.evaluate(() => (window as unknown as { result: unknown }).result)) as {
        id: string;
        ack: string;
        bytes: number[];
      };
      assert.equal(typeof result.id, "string");
      assert.equal(result.ack, "hello browser");
      assert.deepEqual(result.bytes, [1, 2, 3]);
      await tab.close();
    }
  } finally {
    await browser.close();
    await io.close();
  }
});
