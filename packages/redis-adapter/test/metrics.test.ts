// Cluster metrics with the Redis adapter (issue 14, item 2): nodes, requests to the other nodes and
// their latency, errors by code and broadcasts lost while Redis was away (SIGKILL, then restarted),
// in `io.metrics()` and in the Prometheus exposition, which `promtool` accepts.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Redis } from "ioredis";
import { type ClusterAdapterError, enableDebug, setDebugOutput, toPrometheus } from "volley";
import { parseExposition, promtoolCheck } from "../../server/test/prometheus-text.js";
import { createAdapter } from "../src/index.js";
import {
  connected,
  type OwnRedis,
  type ServerNode,
  startOwnRedis,
  startServer,
  uniqueKey,
  until,
  untilClustered,
} from "./helpers.js";

let redis: OwnRedis;
before(async () => {
  redis = await startOwnRedis();
});
after(async () => {
  await redis.stop();
});

async function node(key: string, outageBufferMaxPackets: number): Promise<ServerNode & { pub: Redis }> {
  const pub = new Redis(redis.port, "127.0.0.1", { retryStrategy: (n) => Math.min(n * 20, 100) });
  const sub = pub.duplicate();
  pub.on("error", () => {});
  sub.on("error", () => {});
  const server = await startServer(createAdapter(pub, sub, { key, outageBufferMaxPackets }), {}, async () => {
    pub.disconnect();
    sub.disconnect();
  });
  return { ...server, pub };
}

test("nodes, requests and their latency, Redis errors and lost broadcasts", async () => {
  const lines: string[] = [];
  setDebugOutput((line) => lines.push(line));
  enableDebug("volley:redis,volley:server:cluster");
  const key = uniqueKey();
  const nodes = [await node(key, 1), await node(key, 1000)];
  try {
    await untilClustered(nodes);
    const errors: ClusterAdapterError[] = [];
    nodes[0]!.io.of("/").adapter.on("error", (err: ClusterAdapterError) => errors.push(err));
    nodes[1]!.io.of("/").adapter.on("error", () => {});
    await connected(nodes[1]!.client());

    const before = nodes[0]!.io.metrics().cluster["/"]!;
    assert.equal(before.nodes, 2);
    const sockets = await nodes[0]!.io.fetchSockets();
    assert.equal(sockets.length, 1, "the remote socket, through a request to the other node");
    const afterRequest = nodes[0]!.io.metrics().cluster["/"]!;
    assert.equal(afterRequest.requests, before.requests + 1);
    assert.equal(afterRequest.requestsFailed, before.requestsFailed);
    assert.equal(afterRequest.requestDuration.count, before.requestDuration.count + 1);
    assert.ok(afterRequest.requestDuration.sum > before.requestDuration.sum);
    const last = afterRequest.requestDuration.counts.at(-1)!;
    assert.equal(last, afterRequest.requestDuration.count, "every request fell in a bucket ≤ 10 s");

    // Redis goes away: broadcasts beyond the outage buffer (1) are lost, and the loss is an error.
    await redis.kill();
    await until(() => nodes.every((n) => n.pub.status !== "ready"), "both nodes see Redis gone");
    for (const n of [1, 2, 3]) nodes[0]!.io.emit("news", n);
    const during = nodes[0]!.io.metrics().cluster["/"]!;
    assert.equal(during.broadcastsLost, 2);
    assert.ok((during.errors.BROADCASTS_LOST ?? 0) >= 1, JSON.stringify(during.errors));
    process.stdout.write(`# errors by code during the outage: ${JSON.stringify(during.errors)}\n`);
    assert.equal(during.errors.BROADCASTS_LOST, errors.filter((e) => e.code === "BROADCASTS_LOST").length);
    const reported = errors.length;
    const counted = Object.values(during.errors).reduce((a, b) => a + b, 0);
    assert.equal(counted, reported, `errors by code ${JSON.stringify(during.errors)}`);

    await redis.start();
    await untilClustered(nodes);
    const m = nodes[0]!.io.metrics();
    const text = toPrometheus(m);
    const values = parseExposition(text);
    assert.equal(values.get('volley_cluster_nodes{namespace="/"}'), 2);
    assert.equal(values.get('volley_cluster_broadcasts_lost_total{namespace="/"}'), 2);
    assert.equal(values.get('volley_cluster_requests_total{namespace="/"}'), m.cluster["/"]!.requests);
    assert.equal(
      values.get('volley_cluster_request_duration_seconds_count{namespace="/"}'),
      m.cluster["/"]!.requests,
    );
    assert.equal(
      values.get('volley_cluster_request_duration_seconds_bucket{namespace="/",le="+Inf"}'),
      m.cluster["/"]!.requests,
    );
    assert.equal(
      values.get('volley_cluster_errors_total{namespace="/",code="BROADCASTS_LOST"}'),
      m.cluster["/"]!.errors.BROADCASTS_LOST,
    );
    await promtoolCheck(text);

    // The same story in the debug logs: nodes, the request, the loss, Redis back.
    const uids = nodes.map((n) => (n.io.of("/").adapter as unknown as { uid: string }).uid);
    const has = (pattern: RegExp) =>
      assert.ok(
        lines.some((l) => pattern.test(l)),
        `${pattern}\n${lines.join("\n")}`,
      );
    has(new RegExp(` volley:server:cluster node ${uids[1]} joined$`));
    has(/ volley:server:cluster request \S+ done in [\d.]+ ms \(0 of 1 nodes silent\)$/);
    has(/ volley:server:cluster \/: error BROADCASTS_LOST: /);
    has(new RegExp(` volley:redis ${uids[0]}: Redis connection ready, rejoining the cluster$`));
  } finally {
    enableDebug("");
    setDebugOutput(undefined);
    await Promise.all(nodes.map((n) => n.close()));
  }
});
