// The chart samples: socket counts per namespace, and every numeric leaf of a metrics snapshot under
// a dotted name; bounded in samples and in series.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Sample } from "@volley/admin";
import { Server } from "volley";
import { History } from "../src/history.ts";
import { next, setup } from "./harness.ts";

test("a sample holds socket counts and the numeric leaves of the metrics, arrays and time left out", () => {
  const history = new History(2);
  const metrics = {
    time: 123,
    connections: { "/": { websocket: 2, polling: 1 } },
    acks: { requested: 3, received: 2, timedOut: 0 },
    cluster: { "/": { nodes: 2, requestDuration: { bounds: [0.1], counts: [1], count: 1, sum: 0.05 } } },
    label: "not a number",
    nan: Number.NaN,
  };
  const sample = history.add(1000, { "/": 3, "/chat": 0 }, metrics);
  assert.deepEqual(sample, {
    at: 1000,
    values: {
      "sockets /": 3,
      "sockets /chat": 0,
      "metrics.connections./.websocket": 2,
      "metrics.connections./.polling": 1,
      "metrics.acks.requested": 3,
      "metrics.acks.received": 2,
      "metrics.acks.timedOut": 0,
      "metrics.cluster./.nodes": 2,
      "metrics.cluster./.requestDuration.count": 1,
      "metrics.cluster./.requestDuration.sum": 0.05,
    },
  });
  history.add(2000, { "/": 2 }, undefined);
  history.add(3000, { "/": 1 }, undefined);
  assert.deepEqual(
    history.all().map((s) => [s.at, s.values["sockets /"]]),
    [
      [2000, 2],
      [3000, 1],
    ],
  );
});

test("the series are bounded: names beyond the limit are dropped, known ones keep coming", () => {
  const history = new History(10);
  const wide: Record<string, number> = {};
  for (let i = 0; i < 500; i++) wide[`n${i}`] = i;
  const first = history.add(1, { "/": 1 }, { wide });
  assert.equal(Object.keys(first.values).length, 200);
  const second = history.add(2, { "/": 5 }, { wide, later: 1 });
  assert.equal(second.values["sockets /"], 5);
  assert.equal(second.values["metrics.later"], undefined);
  assert.equal(Object.keys(second.values).length, 200);
});

const HAS_METRICS = typeof (Server.prototype as { metrics?: unknown }).metrics === "function";

test("with io.metrics(), the samples carry the server's own counters", {
  skip: HAS_METRICS ? false : "io.metrics() is not in this build of volley yet",
}, async () => {
  const h = await setup({ updateInterval: 20 });
  try {
    const operator = h.operator();
    await next(operator, "connect");
    const sample = await new Promise<Sample>((resolve) => {
      const listener = (s: Sample) => {
        if (
          (s.values["metrics.connections./admin.websocket"] ?? 0) +
            (s.values["metrics.connections./admin.polling"] ?? 0) >=
          1
        ) {
          operator.off("sample", listener);
          resolve(s);
        }
      };
      operator.on("sample", listener);
    });
    assert.ok(Object.keys(sample.values).some((name) => name.startsWith("metrics.engine.")));
  } finally {
    await h.cleanup();
  }
});
