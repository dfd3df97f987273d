// Issue 12 item 4, "a node killed under load costs only its own sessions", for polling: three Volley
// processes behind real nginx (round robin, the shipped example), official socket.io-client clients
// on long-polling, every one sending acknowledged messages when one server is SIGKILLed while it is
// relaying requests of sessions the others own. Those requests break with it; nginx sends them
// again to a live server and the owner answers the repeat as the lost one was. So every session the
// survivors own goes on (same engine session, no disconnect), every message they sent reached
// every one of them exactly once and every acknowledgement came back.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import { closeClients, uniqueKey, until, useRedis } from "./helpers.js";
import { type Nginx, startNginx } from "./nginx.js";
import { allReceived, assertExactlyOnce, type Chatter, chatter, expectedIds } from "./sticky-free-chat.js";
import { type StickyFreeNode, spawnNode } from "./sticky-free-cluster.js";

const redis = useRedis();

/** Sends acknowledged messages numbered from 0 until `stop()` has been called; resolves with how many were acknowledged. */
function sendUntilStopped(c: Chatter, stopped: () => boolean): Promise<number> {
  return (async () => {
    let n = 0;
    while (!stopped()) {
      // A hang guard: an answer that never comes fails the test instead of hanging it.
      await c.socket.timeout(20_000).emitWithAck("chat", { from: c.name, n });
      n++;
    }
    return n;
  })();
}

describe("sticky-free: a server SIGKILLed under polling load", () => {
  let nodes: StickyFreeNode[] = [];
  let nginx: Nginx;
  const clients: ClientSocket[] = [];

  before(async () => {
    const key = uniqueKey();
    nodes = await Promise.all(["a", "b", "c"].map((name) => spawnNode(name, redis.port, key)));
    nginx = await startNginx(nodes.map((n) => n.port));
  });

  after(async () => {
    closeClients(clients);
    await nginx?.stop();
    await Promise.all(nodes.map((n) => n.close()));
  });

  it("costs only the sessions it owned: the requests it was relaying are sent again, not lost", async () => {
    const chatters = Array.from({ length: 12 }, (_, i) =>
      chatter(nginx.url, `p${i}`, { transports: ["polling"] }),
    );
    for (const c of chatters) clients.push(c.socket);
    await until(() => chatters.every((c) => c.socket.connected), "polling clients connected", 2000);
    const victim = nodes[0]!;
    const victimId = (await victim.state()).nodeId;
    const owned = (c: Chatter) => c.sids[0]!.startsWith(`${victimId}.`);
    const doomed = chatters.filter(owned);
    const kept = chatters.filter((c) => !owned(c));
    assert.ok(kept.length > 0, "the survivors own sessions");

    let stop = false;
    const sending = kept.map((c) => sendUntilStopped(c, () => stop));
    const doomedSending = doomed.map((c) => sendUntilStopped(c, () => stop).catch(() => -1));
    // Kill while the victim relays requests of the survivors' sessions (long polls at least).
    await until(
      async () => (await victim.state()).stats.openRequests >= 2,
      "relayed requests in flight",
      2000,
    );
    const relayedBefore = (await victim.state()).stats.forwardedRequests;
    await victim.kill();
    // The load goes on after the kill: one more acknowledged message of every kept client, then stop.
    const marks = await Promise.all(
      kept.map((c) => c.socket.timeout(20_000).emitWithAck("chat", { from: c.name, n: -1 })),
    );
    stop = true;
    const sent = await Promise.all(sending);
    await Promise.allSettled(doomedSending);

    for (const c of kept) {
      assert.deepEqual(c.disconnects, [], `${c.name} (owned by a survivor) stayed connected`);
      assert.deepEqual(c.connectErrors, [], `${c.name} connect errors`);
      assert.equal(c.sids.length, 1, `${c.name} kept its one engine session`);
      assert.equal(c.socket.io.engine.id, c.sids[0], `${c.name} kept its engine session`);
      assert.equal(c.socket.io.engine.transport.name, "polling");
    }
    assert.equal(marks.length, kept.length, "every acknowledgement after the kill came back");
    // Every message a kept client sent (all acknowledged) reached every kept client exactly once.
    const ids = kept.flatMap((c, i) => [`${c.name}#-1`, ...expectedIds([c], 0, sent[i]!)]);
    await allReceived(kept, ids);
    assertExactlyOnce(kept, ids);
    // And nobody got anything twice.
    assertExactlyOnce(chatters, []);
    // The killed server's own sessions are refused by the survivors (400 Session ID unknown) and
    // their clients start again: that is all the kill costs.
    const refused = nginx.requests().filter((r) => r.status === 400).length;
    console.log(
      `# polling kill: ${doomed.length} of ${chatters.length} sessions lost (owned by the killed server), ` +
        `${kept.length} kept; ${sent.reduce((a, b) => a + b, 0)} messages acknowledged; ` +
        `the killed server had relayed ${relayedBefore} requests; ${refused} requests of its sessions refused after`,
    );
    closeClients(chatters.map((c) => c.socket));
  });
});
