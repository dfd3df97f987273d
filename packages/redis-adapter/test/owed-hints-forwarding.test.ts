// A close hint owed to a polling client (engine owed-close-hints.ts) reaches it without sticky sessions:
// the session was closed on its owner while no poll waited, and the client's next poll lands on the other
// server, which relays it to the owner (session forwarding on real Redis); the owner answers it with the
// hint and the close packet once. Raw Engine.IO requests, so each goes exactly where the test says; the
// owner's engine runs on a manual clock, so `closeTimeout` passes when the test says so.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { Server, type ServerOptions } from "volley";
import { ManualClock } from "../../engine/test/manual-clock.js";
import { createAdapter, createSessionForwarding } from "../src/index.js";
import { uniqueKey, useRedis } from "./helpers.js";

const redis = useRedis();
const POLLING = "/socket.io/?EIO=4&transport=polling";
const RS = "\x1e";

async function startNode(key: string, options: Partial<ServerOptions> = {}) {
  const pub = new Redis(redis.port, "127.0.0.1");
  const sub = pub.duplicate();
  const http = createServer();
  const forwarding = createSessionForwarding(pub, { key, server: http });
  const io = new Server(http, {
    adapter: createAdapter(pub, sub, { key }),
    sessionRouter: forwarding,
    ...options,
  });
  io.on("connection", () => {});
  http.listen(0, "127.0.0.1");
  await once(http, "listening");
  await forwarding.ready;
  return {
    io,
    forwarding,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async close() {
      await io.close();
      await forwarding.close();
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}

async function request(url: string, sid: string, body?: string): Promise<string> {
  const res = await fetch(`${url}${POLLING}&sid=${sid}`, body === undefined ? {} : { method: "POST", body });
  return `${res.status === 200 ? "" : `${res.status} `}${await res.text()}`;
}

describe("owed close hints across servers (no sticky sessions)", () => {
  const key = uniqueKey();
  const clock = new ManualClock();
  const closeTimeout = 1000;
  let owner: Awaited<ReturnType<typeof startNode>>;
  let other: Awaited<ReturnType<typeof startNode>>;

  before(async () => {
    owner = await startNode(key, {
      clock,
      closeTimeout,
      eventRateLimit: { rate: 1, burst: 1, reconnectAfter: 1500 },
    });
    other = await startNode(key);
  });

  after(async () => {
    await Promise.all([owner?.close(), other?.close()]);
  });

  it("the next poll, relayed by the other server, gets the owner's hint and the close packet once", async () => {
    const open = await (await fetch(`${owner.url}${POLLING}`)).text();
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    assert.equal(await request(owner.url, sid, "40"), "ok");
    assert.match(await request(owner.url, sid), /^40\{"sid":/);
    const session = owner.io.engine.sessions.get(sid)!;
    const gone = once(session, "close");
    // Three events at once against a burst of 1: the owner closes the session with a hint, no poll waiting.
    assert.equal(await request(owner.url, sid, ['42["a"]', '42["b"]', '42["c"]'].join(RS)), "ok");
    clock.advance(closeTimeout);
    await gone;
    assert.equal(owner.io.engine.sessions.has(sid), false);

    const before = other.forwarding.stats().forwardedRequests;
    assert.equal(
      await request(other.url, sid),
      `6{"reason":"event rate exceeded","message":"incoming events exceed eventRateLimit (1/s, burst 1)","reconnectAfter":1500}${RS}1`,
    );
    assert.equal(other.forwarding.stats().forwardedRequests - before, 1, "relayed to the owner");
    // Owed once: the poll after it is refused as any unknown session's.
    assert.equal(await request(other.url, sid), '400 {"code":1,"message":"Session ID unknown"}');
  });
});
