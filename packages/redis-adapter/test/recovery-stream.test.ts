// The recovery stream on a real Redis: bounded by count and bytes, found by offset, all or nothing.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Redis } from "ioredis";
import { Channels } from "../src/channels.js";
import { RecoveryStream } from "../src/recovery-stream.js";
import { SessionStore } from "../src/session-store.js";
import { ensureRedis, type RedisHandle, uniqueKey, until } from "./helpers.js";

let redis: RedisHandle;
let client: Redis;
before(async () => {
  redis = await ensureRedis();
  client = new Redis(redis.port, "127.0.0.1");
});
after(async () => {
  await client.quit();
  await redis.stop();
});

function stream(limits: { maxLen?: number; maxBytes?: number; maxAge?: number } = {}) {
  const channels = new Channels(uniqueKey(), "/");
  const s = new RecoveryStream(client, channels, {
    maxLen: limits.maxLen ?? 100,
    maxBytes: limits.maxBytes ?? 1 << 20,
    maxAge: limits.maxAge ?? 60_000,
  });
  return { s, channels };
}

/** A read whose marker nobody hears. */
function read(s: RecoveryStream, offset: string) {
  return s.after(offset, "volley-test-no-reader", Buffer.from([3]));
}

describe("recovery stream", () => {
  test("offsets are stream ids; after(offset) gives every later entry, in order", async () => {
    const { s } = stream();
    await s.load();
    assert.equal(await s.lastId(), "0-0");
    assert.deepEqual(await read(s, "0-0"), []);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await s.append("unused-channel", Buffer.from(`m${i}`)));
    assert.equal(await s.lastId(), ids[3]);
    const rest = await read(s, ids[1]!);
    assert.deepEqual(
      rest!.map(([id, frame]) => [id, frame.toString()]),
      [
        [ids[2], "m2"],
        [ids[3], "m3"],
      ],
    );
    assert.deepEqual(await read(s, ids[3]!), []);
    assert.equal((await read(s, "0-0"))!.length, 4);
  });

  test("bounded by count: an offset whose followers were evicted gives null, later ones still work", async () => {
    const { s, channels } = stream({ maxLen: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await s.append("c", Buffer.from(`m${i}`)));
    assert.equal(await client.xlen(channels.stream), 3);
    assert.equal(await read(s, "0-0"), null);
    assert.equal(await read(s, ids[1]!), null);
    assert.equal((await read(s, ids[2]!))!.length, 3);
    assert.equal((await read(s, ids[4]!))!.length, 1);
  });

  test("bounded by bytes", async () => {
    const { s, channels } = stream({ maxBytes: 250 });
    for (let i = 0; i < 10; i++) await s.append("c", Buffer.alloc(100, i));
    assert.equal(await client.xlen(channels.stream), 2);
    assert.equal(Number(await client.hget(channels.streamMeta, "bytes")), 200);
  });

  test("offsets never issued or garbled are refused", async () => {
    const { s } = stream();
    const id = await s.append("c", Buffer.from("x"));
    const [ms] = id.split("-");
    assert.equal(await read(s, `${Number(ms) + 1000}-0`), null, "from the future");
    assert.equal(await read(s, "garbage"), null);
    assert.equal(await read(s, "1-2-3"), null);
    assert.equal(await read(s, "99999999999999999999-0"), null);
  });

  test("append publishes the entry with its id", async () => {
    const { s } = stream();
    const sub = client.duplicate();
    try {
      await sub.subscribe("volley-test-stream-publish");
      const got = new Promise<Buffer>((resolve) => sub.once("messageBuffer", (_c, m) => resolve(m)));
      const id = await s.append("volley-test-stream-publish", Buffer.from("payload"));
      const message = await got;
      assert.equal(message[0], 2);
      assert.equal(message.toString("latin1"), `\u0002${id}\u0000payload`);
    } finally {
      await sub.quit();
    }
  });

  test("a read publishes its marker after what it read: behind their live copies, none for a failed read", async () => {
    const { s } = stream({ maxLen: 2 });
    const sub = client.duplicate();
    try {
      await sub.subscribe("volley-test-live", "volley-test-marker");
      const got: string[] = [];
      sub.on("messageBuffer", (channel: Buffer, m: Buffer) => got.push(`${channel}:${m.toString("latin1")}`));
      // Before the first append (no stream yet) a read is empty, and marked too.
      assert.deepEqual(await s.after("0-0", "volley-test-marker", Buffer.from("\u0003r0", "latin1")), []);
      const id1 = await s.append("volley-test-live", Buffer.from("a"));
      const id2 = await s.append("volley-test-live", Buffer.from("b"));
      const entries = await s.after(id1, "volley-test-marker", Buffer.from("\u0003r1", "latin1"));
      assert.deepEqual(
        entries?.map(([id]) => id),
        [id2],
      );
      const id3 = await s.append("volley-test-live", Buffer.from("c")); // evicts "a": "0-0" is too old
      assert.equal(await s.after("0-0", "volley-test-marker", Buffer.from("\u0003r2", "latin1")), null);
      const id4 = await s.append("volley-test-live", Buffer.from("d"));
      await until(() => got.length >= 6, "every message");
      assert.deepEqual(got, [
        "volley-test-marker:\u0003r0",
        `volley-test-live:\u0002${id1}\u0000a`,
        `volley-test-live:\u0002${id2}\u0000b`,
        "volley-test-marker:\u0003r1",
        `volley-test-live:\u0002${id3}\u0000c`,
        `volley-test-live:\u0002${id4}\u0000d`,
      ]);
    } finally {
      await sub.quit();
    }
  });
});

describe("session store", () => {
  test("live sessions are taken only from a node known to be gone; writes respect ownership", async () => {
    const channels = new Channels(uniqueKey(), "/");
    const a = new SessionStore(client, channels, "node-a");
    const b = new SessionStore(client, channels, "node-b");
    await a.load();
    assert.deepEqual(await b.take("pid1"), { kind: "none" });
    assert.equal(await a.write("pid1", true, Buffer.from("state"), 10_000), true);
    assert.deepEqual(await b.take("pid1"), { kind: "live", owner: "node-a" });
    assert.equal(await b.write("pid1", false, Buffer.from("other"), 10_000), false, "not b's session");
    const taken = await b.take("pid1", "node-a");
    assert.equal(taken.kind, "taken");
    assert.deepEqual(taken.kind === "taken" && taken.frame, Buffer.from("state"));
    assert.deepEqual(await b.take("pid1", "node-a"), { kind: "none" }, "taken once");

    assert.equal(await a.write("pid2", false, Buffer.from("gone"), 10_000), true);
    const disconnected = await b.take("pid2");
    assert.equal(disconnected.kind, "taken");
    assert.ok(((await client.pttl(channels.session("pid3"))) as number) < 0);
    await a.write("pid3", false, Buffer.from("ttl"), 5000);
    const ttl = await client.pttl(channels.session("pid3"));
    assert.ok(ttl > 0 && ttl <= 5000);
    await a.drop("pid3");
    assert.deepEqual(await b.take("pid3"), { kind: "none" });
  });
});
