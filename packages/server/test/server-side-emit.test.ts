// Server-side events (`serverSideEmit`) as a cluster adapter delivers them: through the namespace's
// entry point `nsp._onServerSideEmit(args)`, as the Redis adapter calls it. No network needed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Server } from "volley";

describe("server-side events", () => {
  let io: Server;
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  before(() => {
    io = new Server({ serveClient: false });
    process.on("warning", onWarning);
  });
  after(async () => {
    process.off("warning", onWarning);
    await io.close();
  });

  test("io.on and io.of('/').on both receive events for the main namespace", () => {
    const onIo: unknown[][] = [];
    const onNsp: unknown[][] = [];
    io.on("hello", (...args: unknown[]) => onIo.push(args));
    io.of("/").on("hello", (...args: unknown[]) => onNsp.push(args));
    io.of("/")._onServerSideEmit(["hello", 1, { a: "b" }]);
    assert.deepEqual(onIo, [[1, { a: "b" }]]);
    assert.deepEqual(onNsp, [[1, { a: "b" }]]);
  });

  test("events of another namespace do not reach io.on", () => {
    const onIo: unknown[] = [];
    const onAdmin: unknown[] = [];
    io.on("admin-only", (x: unknown) => onIo.push(x));
    io.of("/admin").on("admin-only", (x: unknown) => onAdmin.push(x));
    io.of("/admin")._onServerSideEmit(["admin-only", 7]);
    assert.deepEqual(onIo, []);
    assert.deepEqual(onAdmin, [7]);
  });

  test("an acknowledgement reaches io.on listeners; the first answer counts", () => {
    const answers: unknown[] = [];
    let calls = 0;
    const ack = (response: unknown) => {
      calls++;
      answers.push(response);
    };
    io.on("question", (n: number, reply: (r: unknown) => void) => reply(n + 1));
    io.of("/")._onServerSideEmit(["question", 41, ack]);
    assert.deepEqual(answers, [42]);
    assert.equal(calls, 1);
  });

  test("on one node a serverSideEmit does not reach itself (as in Socket.IO)", async () => {
    const seen: unknown[] = [];
    io.on("self", (x: unknown) => seen.push(x));
    io.of("/").on("self", (x: unknown) => seen.push(x));
    io.serverSideEmit("self", 1);
    assert.deepEqual(await io.serverSideEmitWithAck("self", 2), []);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, []);
  });

  test("reserved names are refused when sent and ignored when received", () => {
    for (const name of ["connection", "connect", "disconnect", "new_namespace", "error"]) {
      assert.throws(() => io.serverSideEmit(name), { message: `"${name}" is a reserved event name` });
    }
    let connections = 0;
    io.on("connection", () => connections++);
    io.of("/")._onServerSideEmit(["connection", { fake: true }]);
    io.of("/")._onServerSideEmit([42, "not an event name"]);
    assert.equal(connections, 0);
  });

  test("a listener that throws is reported, the other listeners still run", async () => {
    const seen: string[] = [];
    const errors: unknown[] = [];
    const onError = (err: unknown) => errors.push(err);
    io.on("error", onError);
    io.of("/").on("boom", () => {
      throw new Error("namespace listener failed");
    });
    io.on("boom", () => seen.push("io"));
    io.of("/")._onServerSideEmit(["boom"]);
    io.off("error", onError);
    assert.deepEqual(seen, ["io"]);
    assert.equal((errors[0] as Error).message, "namespace listener failed");
  });
});
