// perMessageDeflate.concurrencyLimit: at most N zlib operations at once, the rest queued in order, and
// no connection's messages reordered.
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import { constants, inflateRawSync } from "node:zlib";
import { PerMessageDeflate } from "../src/deflate.js";
import type { DeflateParams } from "../src/deflate-negotiation.js";
import { WebSocket, WebSocketServer } from "../src/index.js";
import { DEFAULT_CONCURRENCY_LIMIT, type ZlibJob, ZlibLimiter } from "../src/zlib-limiter.js";
import { closed, startServer, stopServer } from "./helpers.js";

const PARAMS: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

/** RFC 7692 §7.2.2: put back the 00 00 ff ff the sender removed, then inflate. */
function inflate(data: Buffer): Buffer {
  return inflateRawSync(Buffer.concat([data, Buffer.from([0, 0, 0xff, 0xff])]), {
    finishFlush: constants.Z_SYNC_FLUSH,
  });
}

describe("ZlibLimiter", () => {
  test("runs at most `limit` jobs, queues the rest and starts them in arrival order", () => {
    const limiter = new ZlibLimiter(2);
    const started: number[] = [];
    const jobs: ZlibJob[] = Array.from({ length: 5 }, (_, i) => ({
      startZlib: () => {
        started.push(i);
        return true;
      },
    }));
    for (const job of jobs) limiter.run(job);
    assert.deepEqual(started, [0, 1]);
    assert.equal(limiter.active, 2);
    assert.equal(limiter.pending, 3);
    limiter.release();
    assert.deepEqual(started, [0, 1, 2]);
    limiter.release();
    limiter.release();
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(limiter.active, 2);
    assert.equal(limiter.pending, 0);
    limiter.release();
    limiter.release();
    assert.equal(limiter.active, 0);
  });

  test("jobs with nothing left to do pass the slot on, without recursion", () => {
    const limiter = new ZlibLimiter(1);
    let live = 0;
    limiter.run({ startZlib: () => true });
    const dead: ZlibJob = { startZlib: () => false };
    for (let i = 0; i < 100_000; i++) limiter.run(dead);
    limiter.run({ startZlib: () => ++live > 0 });
    limiter.release();
    assert.equal(live, 1);
    assert.equal(limiter.active, 1);
    assert.equal(limiter.pending, 0);
    limiter.release();
    assert.equal(limiter.active, 0);
    limiter.run(dead);
    assert.equal(limiter.active, 0, "a job that does not start frees its slot at once");
  });
});

describe("PerMessageDeflate under a limiter", () => {
  test("compressions across connections never exceed the limit and all complete", async () => {
    const limiter = new ZlibLimiter(1);
    const deflaters = Array.from({ length: 4 }, () => new PerMessageDeflate(PARAMS, true, {}, 0, limiter));
    let maxActive = 0;
    const results = deflaters.map(
      (deflater, i) =>
        new Promise<Buffer>((resolve) =>
          deflater.compress(Buffer.from(`message ${i} `.repeat(100)), (error, data) => {
            assert.equal(error, null);
            maxActive = Math.max(maxActive, limiter.active);
            resolve(data!);
          }),
        ),
    );
    assert.equal(limiter.active, 1);
    assert.equal(limiter.pending, 3);
    const outputs = await Promise.all(results);
    for (const [i, data] of outputs.entries()) {
      assert.equal(inflate(data).toString(), `message ${i} `.repeat(100));
    }
    assert.equal(maxActive, 1);
    assert.equal(limiter.active, 0);
    for (const deflater of deflaters) deflater.close();
  });

  test("closing a connection frees its slot, running or queued", async () => {
    const limiter = new ZlibLimiter(1);
    const [a, b, c] = Array.from({ length: 3 }, () => new PerMessageDeflate(PARAMS, true, {}, 0, limiter));
    let aDone = false;
    a!.compress(Buffer.from("a".repeat(2000)), () => {
      aDone = true;
    });
    b!.compress(Buffer.from("b".repeat(2000)), () => assert.fail("a closed connection calls back"));
    const third = new Promise<Buffer>((resolve) =>
      c!.compress(Buffer.from("c".repeat(2000)), (_e, d) => resolve(d!)),
    );
    assert.equal(limiter.pending, 2);
    b!.close(); // queued: skipped when its turn comes
    a!.close(); // running: its slot goes to c at once
    assert.equal(limiter.active, 1);
    assert.equal(limiter.pending, 0);
    assert.equal(inflate(await third).toString(), "c".repeat(2000));
    assert.equal(aDone, false);
    assert.equal(limiter.active, 0);
    c!.close();
  });

  test("inflation takes slots too and keeps the frames of a message in order", async () => {
    const limiter = new ZlibLimiter(1);
    const sender = new PerMessageDeflate(PARAMS, false, {}, 0, limiter);
    const receiver = new PerMessageDeflate(PARAMS, true, {}, 0, limiter);
    const text = "hello, limited world ".repeat(50);
    const compressed = await new Promise<Buffer>((resolve) =>
      sender.compress(Buffer.from(text), (_e, d) => resolve(d!)),
    );
    const half = compressed.length >> 1;
    const parts: Buffer[] = [];
    await new Promise<void>((resolve) =>
      receiver.decompress(compressed.subarray(0, half), false, (error, output) => {
        assert.equal(error, null);
        parts.push(...output);
        receiver.decompress(compressed.subarray(half), true, (error2, output2) => {
          assert.equal(error2, null);
          parts.push(...output2);
          resolve();
        });
      }),
    );
    assert.equal(Buffer.concat(parts).toString(), text);
    assert.equal(limiter.active, 0);
    sender.close();
    receiver.close();
  });
});

describe("concurrencyLimit on the wire", () => {
  test("invalid values are rejected; the default is 10", () => {
    assert.equal(DEFAULT_CONCURRENCY_LIMIT, 10);
    for (const concurrencyLimit of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => new WebSocketServer({ noServer: true, perMessageDeflate: { concurrencyLimit } }), {
        code: "INVALID_ARGUMENT",
        message: /concurrencyLimit/,
      });
      assert.throws(() => new WebSocket("ws://127.0.0.1:1", { perMessageDeflate: { concurrencyLimit } }), {
        code: "INVALID_ARGUMENT",
      });
    }
  });

  test("limit 1 on both sides: many connections echo compressed messages, each in order", async () => {
    const { wss, url } = await startServer({ perMessageDeflate: { concurrencyLimit: 1, threshold: 0 } });
    wss.on("connection", (ws: WebSocket) =>
      ws.on("message", (data: Buffer, isBinary: boolean) => ws.send(data, { binary: isBinary })),
    );
    const COUNT = 30;
    const clients = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const client = new WebSocket(url, { perMessageDeflate: { concurrencyLimit: 1, threshold: 0 } });
        await once(client, "open");
        assert.match(client.extensions, /permessage-deflate/);
        return client;
      }),
    );
    const echoed = clients.map(
      (client, c) =>
        new Promise<string[]>((resolve) => {
          const got: string[] = [];
          client.on("message", (data: Buffer) => {
            got.push(data.toString());
            if (got.length === COUNT) resolve(got);
          });
          // Mixed sizes, some below zlib's output granularity, all compressed (threshold 0).
          for (let i = 0; i < COUNT; i++) client.send(`${c}:${i}:${"x".repeat((i * 37) % 300)}`);
        }),
    );
    const results = await Promise.all(echoed);
    for (const [c, got] of results.entries()) {
      assert.deepEqual(
        got,
        Array.from({ length: COUNT }, (_, i) => `${c}:${i}:${"x".repeat((i * 37) % 300)}`),
      );
    }
    for (const client of clients) client.close();
    await Promise.all(clients.map((client) => closed(client)));
    await stopServer(wss);
  });
});
