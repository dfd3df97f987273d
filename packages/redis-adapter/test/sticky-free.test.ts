// Issue 12 item 4: three Volley processes (Redis adapter on real Redis, session forwarding) behind
// real nginx with plain round robin; official socket.io-client clients, polling-only and default
// (polling, then upgrade). No 400s, every message and ack exactly once, and a SIGKILLed server
// costs only the sessions it held or relayed.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Socket as ClientSocket } from "socket.io-client";
import { closeClients, uniqueKey, until, useRedis } from "./helpers.js";
import { type Nginx, startNginx } from "./nginx.js";
import {
  allReceived,
  assertAnswers,
  assertExactlyOnce,
  type Chatter,
  chatRound,
  chatter,
  expectedIds,
} from "./sticky-free-chat.js";
import { type NodeState, type StickyFreeNode, spawnNode } from "./sticky-free-cluster.js";

const redis = useRedis();

async function states(nodes: StickyFreeNode[]): Promise<NodeState[]> {
  return Promise.all(nodes.map((n) => n.state()));
}

describe("sticky-free: three servers behind nginx round robin", () => {
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

  function track(cs: Chatter[]): Chatter[] {
    for (const c of cs) clients.push(c.socket);
    return cs;
  }

  function nginxStatuses(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const r of nginx.requests()) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    return counts;
  }

  it("polling-only clients: no 400, every message and ack exactly once, requests spread over every server", async () => {
    const chatters = track(
      Array.from({ length: 9 }, (_, i) => chatter(nginx.url, `p${i}`, { transports: ["polling"] })),
    );
    await until(() => chatters.every((c) => c.socket.connected), "polling clients connected", 1000);
    const answers = await chatRound(chatters, 0, 8);
    const ids = expectedIds(chatters, 0, 8);
    await allReceived(chatters, ids);
    assertExactlyOnce(chatters, ids);
    assertAnswers(answers, ids);
    for (const c of chatters) {
      assert.deepEqual(c.connectErrors, [], `${c.name} connect errors`);
      assert.deepEqual(c.disconnects, [], `${c.name} disconnects`);
      assert.equal(c.socket.io.engine.transport.name, "polling");
    }
    const after = await states(nodes);
    // Every session is held by the server its id names.
    const owners = new Map(after.map((s) => [s.nodeId, new Set(s.sessions)]));
    for (const c of chatters)
      assert.ok(owners.get(c.sids[0]!.slice(0, 8))?.has(c.sids[0]!), `${c.name} owner`);
    const forwarded = after.reduce((sum, s) => sum + s.stats.forwardedRequests, 0);
    assert.ok(forwarded > 0, "requests were forwarded");
    for (const s of after)
      assert.equal(s.refusals["Session ID unknown"] ?? 0, 0, "no unknown sid on any server");
    const statuses = nginxStatuses();
    assert.equal(statuses.get(400) ?? 0, 0, "no HTTP 400 through nginx");
    assert.deepEqual(
      [...statuses.keys()].filter((s) => s >= 400),
      [],
      "no HTTP error through nginx",
    );
    const upstreams = new Set(nginx.requests().map((r) => r.upstream));
    for (const n of nodes)
      assert.ok(upstreams.has(`127.0.0.1:${n.port}`), `nginx sent requests to ${n.name}`);
    const total = nginx.requests().length;
    console.log(`# polling: ${total} requests through nginx, ${forwarded} forwarded to their owner`);
    closeClients(chatters.map((c) => c.socket));
  });

  it("default clients (polling, then upgrade): upgrades succeed, every message and ack exactly once", async () => {
    const before = await states(nodes);
    const chatters = track(Array.from({ length: 9 }, (_, i) => chatter(nginx.url, `d${i}`, {})));
    await until(
      () => chatters.every((c) => c.socket.connected && c.socket.io.engine.transport.name === "websocket"),
      "clients upgraded to websocket",
      1000,
    );
    const answers = await chatRound(chatters, 0, 8);
    const ids = expectedIds(chatters, 0, 8);
    await allReceived(chatters, ids);
    assertExactlyOnce(chatters, ids);
    assertAnswers(answers, ids);
    for (const c of chatters) {
      assert.deepEqual(c.connectErrors, [], `${c.name} connect errors`);
      assert.deepEqual(c.disconnects, [], `${c.name} disconnects`);
    }
    const after = await states(nodes);
    const upgrades = after.reduce(
      (sum, s, i) => sum + s.stats.forwardedUpgrades - before[i]!.stats.forwardedUpgrades,
      0,
    );
    const tunnels = after.reduce((sum, s) => sum + s.tunnels.length, 0);
    assert.ok(upgrades > 0, "upgrades were forwarded");
    assert.equal(tunnels, upgrades, "every forwarded upgrade is an open tunnel");
    for (const s of after)
      assert.equal(s.refusals["Session ID unknown"] ?? 0, 0, "no unknown sid on any server");
    assert.equal(nginxStatuses().get(400) ?? 0, 0, "no HTTP 400 through nginx");
    console.log(`# defaults: 9 upgrades, ${upgrades} of them relayed to their owner`);
    closeClients(chatters.map((c) => c.socket));
    await until(async () => (await states(nodes)).every((s) => s.tunnels.length === 0), "tunnels closed");
  });

  it("a server SIGKILLed under load costs only the sessions it held or relayed", async () => {
    const chatters = track(
      Array.from({ length: 12 }, (_, i) =>
        chatter(nginx.url, `k${i}`, { reconnection: true, reconnectionDelay: 50, randomizationFactor: 0 }),
      ),
    );
    await until(
      () => chatters.every((c) => c.socket.connected && c.socket.io.engine.transport.name === "websocket"),
      "clients upgraded to websocket",
      1000,
    );
    const initial = await states(nodes);
    // The victim: the server whose death spares the most of these sessions while costing some (round
    // robin decides which sessions each holds or tunnels).
    const costs = (s: NodeState) =>
      chatters.filter(
        (c) => s.sessions.includes(c.socket.io.engine.id) || s.tunnels.includes(c.socket.io.engine.id),
      ).length;
    const victimIndex = initial.reduce(
      (best, s, i) =>
        costs(s) > 0 && (costs(initial[best]!) === 0 || costs(s) < costs(initial[best]!)) ? i : best,
      0,
    );
    const victim = nodes[victimIndex]!;
    const survivors = nodes.filter((n) => n !== victim);
    const victimState = initial[victimIndex]!;
    const lost = new Set([...victimState.sessions, ...victimState.tunnels]);
    const doomed = chatters.filter((c) => lost.has(c.socket.io.engine.id));
    const kept = chatters.filter((c) => !lost.has(c.socket.io.engine.id));
    assert.ok(kept.length > 0 && doomed.length > 0, "the kill hits some clients and spares others");
    const keptSids = new Map(kept.map((c) => [c, c.socket.io.engine.id]));

    // Under load: every client is sending when the server dies.
    const inFlight = Promise.allSettled(chatters.map((c) => chatRound([c], 100, 5)));
    await victim.kill();
    await inFlight;
    await until(
      () => doomed.every((c) => c.disconnects.length > 0 && c.socket.connected),
      "doomed clients back",
      1000,
    );

    for (const c of kept) {
      assert.deepEqual(c.disconnects, [], `${c.name} (not on the killed server) stayed connected`);
      assert.equal(c.socket.io.engine.id, keptSids.get(c), `${c.name} kept its session`);
    }
    // What the spared clients sent while the server died reached every spared client exactly once.
    const keptIds = expectedIds(kept, 100, 5);
    await allReceived(kept, keptIds);
    assertExactlyOnce(kept, keptIds);
    // Nothing was delivered twice to anyone.
    assertExactlyOnce(chatters, []);

    // Everyone, reconnected or not, chats on through the two servers left.
    await until(
      () => chatters.every((c) => c.socket.io.engine.transport.name === "websocket"),
      "upgraded again",
      1000,
    );
    const answers = await chatRound(chatters, 200, 5);
    const ids = expectedIds(chatters, 200, 5);
    await allReceived(chatters, ids);
    assertExactlyOnce(chatters, ids);
    assertAnswers(answers, ids);
    const left = await states(survivors);
    const survivorSids = new Set(left.flatMap((s) => s.sessions));
    for (const c of chatters)
      assert.ok(survivorSids.has(c.socket.io.engine.id), `${c.name} lives on a survivor`);
    assert.equal(nginx.requests().filter((r) => r.status === 400).length, 0, "no HTTP 400 through nginx");
    console.log(
      `# kill: ${doomed.length} of ${chatters.length} sessions lost (${victimState.sessions.length} held, ${victimState.tunnels.length} relayed by the killed server)`,
    );
  });
});
