// Issue 12 item 4, "a node killed under load costs only its own sessions", for polling: three Volley
// processes behind real nginx (round robin, the shipped example), official socket.io-client clients
// on long-polling, every one sending acknowledged messages when one server is SIGKILLed while it is
// relaying requests of sessions the others own. Those requests break with it; nginx sends them
// again to a live server and the owner answers the repeat as the lost one was. So every session the
// survivors own goes on (same engine session, no disconnect), every message they sent reached
// every one of them exactly once and every acknowledgement came back.
// WebSockets: a WebSocket tunnelled through the killed server breaks with it (no balancer can move a
// live TCP connection), so with connection-state recovery the client reconnects and gets its session
// back (same socket id, every missed message once); sessions neither held nor tunnelled go on.
import assert from "node:assert/strict";
import { once } from "node:events";
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

/** Like sendUntilStopped, but a message whose answer is lost to a broken connection is skipped (it may or may not have gone out). */
function sendThroughReconnects(c: Chatter, stopped: () => boolean, acked: Set<number>): Promise<void> {
  return (async () => {
    for (let n = 0; !stopped(); n++) {
      try {
        await c.socket.timeout(20_000).emitWithAck("chat", { from: c.name, n });
        acked.add(n);
      } catch {
        if (!c.socket.connected) await once(c.socket, "connect");
      }
    }
  })();
}

describe("sticky-free: a server SIGKILLed under WebSocket load, with connection-state recovery", () => {
  let nodes: StickyFreeNode[] = [];
  let nginx: Nginx;
  const clients: ClientSocket[] = [];

  before(async () => {
    const key = uniqueKey();
    nodes = await Promise.all(
      ["a", "b", "c"].map((name) => spawnNode(name, redis.port, key, { recovery: true })),
    );
    nginx = await startNginx(nodes.map((n) => n.port));
  });

  after(async () => {
    closeClients(clients);
    await nginx?.stop();
    await Promise.all(nodes.map((n) => n.close()));
  });

  it("untouched sessions go on; those it held or tunnelled reconnect and recover, missing nothing", async () => {
    // One at a time: each client's requests shift nginx's round robin, so the upgrades spread.
    const chatters: Chatter[] = [];
    const recovered = new Map<Chatter, boolean[]>();
    for (let i = 0; i < 12; i++) {
      const c = chatter(nginx.url, `w${i}`, {
        reconnection: true,
        reconnectionDelay: 50,
        randomizationFactor: 0,
      });
      chatters.push(c);
      clients.push(c.socket);
      recovered.set(c, []);
      c.socket.on("connect", () => recovered.get(c)!.push(c.socket.recovered));
      await until(
        () => c.socket.connected && c.socket.io.engine.transport.name === "websocket",
        `${c.name} upgraded to websocket`,
        2000,
      );
    }
    const ids = new Map(chatters.map((c) => [c, c.socket.id]));
    // The victim: the server tunnelling the most WebSockets of sessions the others own.
    const initial = await Promise.all(nodes.map((n) => n.state()));
    const victimIndex = initial.reduce(
      (best, s, i) => (s.tunnels.length > initial[best]!.tunnels.length ? i : best),
      0,
    );
    const victim = nodes[victimIndex]!;
    const { sessions, tunnels } = initial[victimIndex]!;
    const engineId = (c: Chatter) => c.sids[0]!;
    const held = chatters.filter((c) => sessions.includes(engineId(c)));
    const tunnelled = chatters.filter((c) => tunnels.includes(engineId(c)));
    const untouched = chatters.filter((c) => !held.includes(c) && !tunnelled.includes(c));
    assert.ok(tunnelled.length > 0, "the victim tunnels sessions the survivors own");

    let stop = false;
    const acked = new Map(chatters.map((c) => [c, new Set<number>()]));
    const sending = chatters.map((c) => sendThroughReconnects(c, () => stop, acked.get(c)!));
    await until(() => [...acked.values()].every((a) => a.size >= 2), "load running", 2000);
    await victim.kill();
    await until(
      () => [...held, ...tunnelled].every((c) => c.disconnects.length > 0 && c.socket.connected),
      "sessions of the killed server back",
      3000,
    );
    // One more acknowledged message from everyone after the kill, then the load stops.
    const after = chatters.map((c) => acked.get(c)!.size);
    await until(
      () => chatters.every((c, i) => acked.get(c)!.size > after[i]!),
      "messages after the kill",
      3000,
    );
    stop = true;
    await Promise.all(sending);

    for (const c of untouched) {
      assert.deepEqual(c.disconnects, [], `${c.name} (neither held nor tunnelled by it) stayed connected`);
      assert.equal(c.socket.io.engine.id, engineId(c), `${c.name} kept its engine session`);
    }
    for (const c of [...held, ...tunnelled]) {
      assert.equal(c.disconnects.length, 1, `${c.name} was cut once`);
      assert.deepEqual(recovered.get(c), [false, true], `${c.name} recovered its session`);
      assert.equal(c.socket.id, ids.get(c), `${c.name} kept its socket id`);
    }
    // Every acknowledged message reached every client exactly once: recovered clients got what they
    // missed from the stream, nobody got anything twice.
    const expected = chatters.flatMap((c) => [...acked.get(c)!].map((n) => `${c.name}#${n}`));
    await allReceived(chatters, expected);
    assertExactlyOnce(chatters, expected);
    console.log(
      `# websocket kill with recovery: ${held.length} sessions held and ${tunnelled.length} tunnelled by the ` +
        `killed server, all recovered; ${untouched.length} untouched; ${expected.length} messages acknowledged`,
    );
    closeClients(chatters.map((c) => c.socket));
  });
});
