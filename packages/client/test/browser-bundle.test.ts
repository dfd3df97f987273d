// The browser bundles: built by scripts/build-bundle.mjs, free of Node imports, and working in a real
// browser (Chromium through playwright-core) against the official socket.io server: `io()` on the page's
// origin, `io("/admin")`, polling only, binary as ArrayBuffer; against a Volley server, its close hints on
// disconnect. And small: at most half of socket.io-client's own minified bundle, both min+gzip (DESIGN.md
// budget).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { once } from "node:events";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Server } from "socket.io";
import { Server as VolleyServer } from "volley";
import { buildBundles, CHROMIUM, openPage } from "./browser.js";

const dist = fileURLToPath(new URL("../dist", import.meta.url));

before(buildBundles);

/**
 * An HTTP server listening on loopback for the page: `/` loads `/volley.min.js`; `/socket.io/` is left to the
 * Socket.IO server the test attaches.
 */
async function servingBundle(): Promise<{ http: HttpServer; url: string }> {
  const http = createServer((req, res) => {
    if (req.url === "/volley.min.js") {
      res.writeHead(200, { "content-type": "text/javascript" });
      res.end(readFileSync(join(dist, "volley.min.js")));
    } else if (req.url === "/") {
      res.writeHead(200, { "content-type": "text/html" });
      res.end('<!doctype html><script src="/volley.min.js"></script>');
    } else if (!req.url?.startsWith("/socket.io/")) {
      res.writeHead(404).end();
    }
  });
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  return { http, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/` };
}

describe("browser bundles", () => {
  test("exist and contain no Node-only import", () => {
    for (const file of ["volley.js", "volley.min.js", "volley.esm.min.js"]) {
      const code = readFileSync(join(dist, file), "utf8");
      assert.doesNotMatch(code, /["']node:/, `${file} has no node: specifier`);
      assert.doesNotMatch(code, /@volley\/websocket/, `${file} does not reference the Node WebSocket`);
    }
    assert.match(readFileSync(join(dist, "volley.esm.min.js"), "utf8"), /export\s*\{/);
  });

  test("volley.min.js is at most half of socket.io-client's socket.io.min.js, min+gzip", () => {
    const require = createRequire(import.meta.url);
    const reference = join(
      dirname(require.resolve("socket.io-client/package.json")),
      "dist",
      "socket.io.min.js",
    );
    const gzipped = (file: string) => gzipSync(readFileSync(file), { level: 9 }).length;
    const ours = gzipped(join(dist, "volley.min.js"));
    const budget = gzipped(reference) / 2;
    assert.ok(ours <= budget, `volley.min.js is ${ours} B min+gzip, over the budget of ${budget} B`);
    // The ESM build carries the same code.
    assert.ok(gzipped(join(dist, "volley.esm.min.js")) <= budget, "volley.esm.min.js within the budget");
  });

  test("the global `io` works in Chromium: same origin, namespace, polling only", {
    skip: !CHROMIUM,
  }, async () => {
    const { http, url } = await servingBundle();
    const server = new Server(http, { maxHttpBufferSize: 1000 });
    server.on("connection", (s) => {
      s.on("echo", (value: unknown, ack: (v: unknown) => void) => ack(value));
      s.on("bin", (ack: (v: unknown) => void) => ack({ data: Buffer.from([1, 2, 3]) }));
    });
    server.of("/admin").on("connection", (s) => s.emit("hello", "admin"));
    const { browser, page, errors } = await openPage(url);
    try {
      // A string, not a function: the test runner's transpiler would add helpers the page lacks.
      const result = await page.evaluate(`(async () => {
        const up = (s) => new Promise((resolve) => s.once("connect", () => resolve()));
        const root = io();
        await up(root);
        const echoed = await root.emitWithAck("echo", { a: [1, "x"] });
        const bin = await root.emitWithAck("bin");
        const admin = io("/admin");
        const hello = await new Promise((resolve) => admin.on("hello", resolve));
        const polling = io(location.origin, { transports: ["polling"], forceNew: true });
        await up(polling);
        const transport = polling.io.engine.transport.name;
        // Too large for the server's maxPayload (from its handshake): refused at once, the session stays.
        const tooLarge = await polling.emitWithAck("echo", "x".repeat(2000)).then(
          () => "sent",
          (err) => [err.code, err.data.maxPayload],
        );
        let thrown;
        try {
          root.emit("echo", "x".repeat(2000));
        } catch (err) {
          thrown = err.code;
        }
        const stillThere = await polling.emitWithAck("echo", "small");
        const listener = () => {};
        root.on("x", listener).removeListener("x", listener);
        root.disconnect();
        admin.disconnect();
        polling.disconnect();
        return {
          echoed,
          binIsArrayBuffer: bin.data instanceof ArrayBuffer,
          binBytes: [...new Uint8Array(bin.data)],
          hello,
          transport,
          exports: [typeof io.Manager, typeof io.Socket, io.protocol, io.io === io, io.connect === io],
          tooLarge,
          thrown,
          stillThere,
          removed: root.listeners("x").length,
        };
      })()`);
      assert.deepEqual(result, {
        echoed: { a: [1, "x"] },
        binIsArrayBuffer: true,
        binBytes: [1, 2, 3],
        hello: "admin",
        transport: "polling",
        exports: ["function", "function", 5, true, true],
        tooLarge: ["PAYLOAD_TOO_LARGE", 1000],
        thrown: "PAYLOAD_TOO_LARGE",
        stillThere: "small",
        removed: 0,
      });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      http.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test("close hints in Chromium: a Volley server's reason reaches disconnect on both transports", {
    skip: !CHROMIUM,
  }, async () => {
    const { http, url } = await servingBundle();
    const server = new VolleyServer(http, {
      serveClient: false,
      eventRateLimit: { rate: 1, burst: 2, reconnectAfter: 3000 },
      maxBufferedBytes: 10_000,
    });
    server.on("connection", (s) => {
      s.on("error", () => {});
      s.on("flood", () => s.emit("big", "x".repeat(20_000)));
    });
    const { browser, page, errors } = await openPage(url);
    try {
      const result = await page.evaluate(`(async () => {
        const gone = (s) => new Promise((resolve) => s.once("disconnect", (reason, d) => resolve(
          [reason, d.hint, d.context && d.context.code, d.context && d.context.reason])));
        const open = async (transport) => {
          const s = io({ transports: [transport], forceNew: true, reconnection: false });
          await new Promise((resolve) => s.once("connect", resolve));
          return s;
        };
        const out = {};
        for (const transport of ["polling", "websocket"]) {
          const spammer = await open(transport);
          const spam = gone(spammer);
          for (let i = 0; i < 3; i++) spammer.emit("spam");
          out[transport + " rate"] = [...(await spam), spammer.io.engine.retryAfter];
        }
        const reader = await open("websocket");
        const slow = gone(reader);
        reader.emit("flood");
        out["websocket slow"] = await slow;
        return out;
      })()`);
      const rate = {
        reason: "event rate exceeded",
        message: "incoming events exceed eventRateLimit (1/s, burst 2)",
        reconnectAfter: 3000,
      };
      const slow = {
        reason: "slow consumer",
        message: "outgoing buffer exceeds maxBufferedBytes (10000 bytes)",
      };
      assert.deepEqual(result, {
        "polling rate": ["transport close", rate, undefined, undefined, 3000],
        "websocket rate": ["transport close", rate, 1005, "", 3000],
        "websocket slow": ["transport close", slow, 1008, "slow consumer"],
      });
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      http.closeAllConnections();
      await server.close();
    }
  });
});
