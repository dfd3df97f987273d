// An oversized polling POST: the client must see the 413, not a reset while it still uploads (issue 11 item 4).
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, test } from "node:test";
import { pollingHandshake, post, startEngine } from "./helpers.js";

interface RawAnswer {
  /** Everything the server wrote before closing. */
  text: string;
  /** The socket error the client saw, if any (EPIPE/ECONNRESET when the server cut too early). */
  error: string | undefined;
}

/**
 * A raw HTTP/1.1 client over loopback: writes the request head and then `body` in 64 KiB writes, as fast as
 * the socket takes them, and collects the answer until the server closes.
 */
function upload(port: number, path: string, body: Buffer, headers: string[] = []): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    let error: string | undefined;
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    socket.on("close", () => resolve({ text: Buffer.concat(received).toString("latin1"), error }));
    socket.write(
      [
        `POST ${path} HTTP/1.1`,
        "Host: 127.0.0.1",
        "Content-Type: text/plain;charset=UTF-8",
        `Content-Length: ${body.length}`,
        ...headers,
        "",
        "",
      ].join("\r\n"),
    );
    let offset = 0;
    const pump = (): void => {
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + 65536);
        offset += piece.length;
        if (!socket.write(piece)) {
          socket.once("drain", pump);
          return;
        }
      }
    };
    pump();
  });
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

describe("oversized polling POST (maxHttpBufferSize)", () => {
  test("a 4 MB upload over a 1000-byte limit gets its 413 and JSON body, no EPIPE/ECONNRESET", async (t) => {
    const f = await startEngine({ maxHttpBufferSize: 1000 });
    t.after(() => f.close());
    const { sid } = await pollingHandshake(f);
    const path = `/engine.io/?EIO=4&transport=polling&sid=${sid}`;
    for (let round = 0; round < 5; round++) {
      const answer = await upload(f.port, path, Buffer.alloc(4 * 1024 * 1024, "4"));
      assert.equal(answer.error, undefined, `round ${round}: the client saw ${answer.error}`);
      assert.equal(statusOf(answer.text), 413);
      assert.match(answer.text, /\r\nConnection: close\r\n/i);
      const body = JSON.parse(answer.text.slice(answer.text.indexOf("\r\n\r\n") + 4));
      assert.deepEqual(body, { code: 3, message: "payload exceeds maxHttpBufferSize (1000 bytes)" });
    }
    // The session is kept (as before): it still takes a normal POST.
    assert.equal(f.engine.sessions.get(sid)?.readyState, "open");
    assert.equal((await post(f, sid, "4ok")).status, 200);
  });

  test("chunked uploads growing past the limit get their 413 too", async (t) => {
    const f = await startEngine({ maxHttpBufferSize: 1000 });
    t.after(() => f.close());
    const { sid } = await pollingHandshake(f);
    const answer = await new Promise<RawAnswer>((resolve) => {
      const socket = connect(f.port, "127.0.0.1");
      const received: Buffer[] = [];
      let error: string | undefined;
      socket.on("data", (c: Buffer) => received.push(c));
      socket.on("error", (err: NodeJS.ErrnoException) => {
        error = err.code;
      });
      socket.on("close", () => resolve({ text: Buffer.concat(received).toString("latin1"), error }));
      socket.write(
        `POST /engine.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`,
      );
      const chunk = Buffer.alloc(32 * 1024, "4");
      for (let i = 0; i < 64; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`);
      socket.write("0\r\n\r\n");
    });
    assert.equal(answer.error, undefined);
    assert.equal(statusOf(answer.text), 413);
  });

  test("past maxDiscardBytes the 413 is written at once and the connection cut", async (t) => {
    const f = await startEngine({ maxHttpBufferSize: 1000, maxDiscardBytes: 64 * 1024 });
    t.after(() => f.close());
    const { sid } = await pollingHandshake(f);
    // Declared far past the bound: answered before any of it is read.
    const socket = connect(f.port, "127.0.0.1");
    socket.on("error", () => {});
    const text = await readUntilClose(socket, () =>
      socket.write(
        `POST /engine.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n`,
      ),
    );
    assert.equal(statusOf(text), 413);
  });

  test("a stalled oversized upload is answered after discardTimeout (injected clock)", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const clock = {
      now: () => 0,
      setTimeout: <A>(callback: (arg: A) => void, ms: number, arg: A) => setTimeout(callback, ms, arg),
      clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
    };
    const f = await startEngine({ maxHttpBufferSize: 1000, discardTimeout: 5000, clock });
    t.after(() => f.close());
    const { sid } = await pollingHandshake(f);
    const socket = connect(f.port, "127.0.0.1");
    socket.on("error", () => {});
    const received: Buffer[] = [];
    socket.on("data", (c: Buffer) => received.push(c));
    const closedPromise = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    // Declares 10 000 bytes, sends 2 000 (past the limit), then stalls.
    socket.write(
      `POST /engine.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: x\r\nContent-Length: 10000\r\n\r\n${"4".repeat(2000)}`,
    );
    await waitFor(() => f.engine.sessions.get(sid) !== undefined && socket.bytesWritten > 2000);
    await turns(20);
    assert.equal(received.length, 0, "no answer before discardTimeout");
    t.mock.timers.tick(5000);
    await closedPromise;
    assert.equal(statusOf(Buffer.concat(received).toString("latin1")), 413);
  });
});

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !condition(); i++) await turns(1);
  assert.ok(condition());
}

function readUntilClose(socket: Socket, start: () => void): Promise<string> {
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    socket.on("data", (c: Buffer) => received.push(c));
    socket.on("close", () => resolve(Buffer.concat(received).toString("latin1")));
    start();
  });
}
