// Fuzzing must not allocate beyond the limits (issue 11 item 8): a real engine server in its own process is
// sent a few thousand random and mutated-valid requests; its heap after GC stays near the baseline, its
// sessions stay under the per-address cap, and it still serves a valid client afterwards.
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { FUZZ_SERVER_OPTIONS, fuzzRequest, send } from "./fuzz-inputs.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/heap-engine.ts", import.meta.url));
const MB = 1024 * 1024;

interface Measure {
  heap: number;
  sessions: number;
}

/** `runs` requests drawn from the fuzz generator, one at a time; answers of any status are fine here. */
async function attack(port: number, runs: number, seed: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  for (const [method, query, headers, body] of fc.sample(fuzzRequest, { numRuns: runs, seed })) {
    const live = Object.keys(query).filter((k) => query[k] === "LIVE_SID");
    if (live.length > 0) {
      // A real session id when one can be opened, so requests reach a live session's code paths.
      const open = await send(port, "GET", "/engine.io/?EIO=4&transport=polling", {}, undefined);
      const sid = open.status === 200 ? (JSON.parse(open.body.slice(1)) as { sid: string }).sid : "nope";
      for (const k of live) query[k] = sid;
    }
    const path = `/engine.io/?${new URLSearchParams(query).toString()}`;
    const res = await send(
      port,
      method,
      path,
      headers,
      method === "GET" || method === "HEAD" ? undefined : body,
    );
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  }
  return statuses;
}

test("3,000 fuzzed requests: heap after GC within 4 MB of the baseline, sessions capped, still serving", async (t) => {
  const child: ChildProcess = fork(FIXTURE, [JSON.stringify(FUZZ_SERVER_OPTIONS)], {
    execArgv: ["--expose-gc", "--conditions=volley-source", "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const measure = async (): Promise<Measure> => {
    child.send("heap");
    const [reply] = (await once(child, "message")) as [Measure];
    return reply;
  };
  try {
    const [{ port }] = (await once(child, "message")) as [{ port: number }];
    // Warm-up: code paths compiled, pools and caches filled, before the baseline is taken.
    await attack(port, 300, 1);
    const baseline = await measure();
    const statuses = await attack(port, 3000, 2);
    const after = await measure();
    const grown = (after.heap - baseline.heap) / MB;
    t.diagnostic(
      `heap ${(baseline.heap / MB).toFixed(1)} MB → ${(after.heap / MB).toFixed(1)} MB; statuses ${JSON.stringify([...statuses])}`,
    );
    assert.ok(grown < 4, `heap grew ${grown.toFixed(2)} MB (${baseline.heap} → ${after.heap})`);
    assert.ok(after.sessions <= 15, `${after.sessions} sessions`);
    for (const status of [200, 400, 413]) assert.ok(statuses.has(status), JSON.stringify([...statuses]));
    // Still serving: a valid handshake and an echoed message.
    const open = await send(port, "GET", "/engine.io/?EIO=4&transport=polling", {}, undefined);
    if (open.status === 200) {
      const { sid } = JSON.parse(open.body.slice(1)) as { sid: string };
      const posted = await send(
        port,
        "POST",
        `/engine.io/?EIO=4&transport=polling&sid=${sid}`,
        {},
        Buffer.from("4hi"),
      );
      assert.equal(posted.status, 200);
      const polled = await send(port, "GET", `/engine.io/?EIO=4&transport=polling&sid=${sid}`, {}, undefined);
      assert.equal(polled.body, "4hi");
    } else {
      // The per-address cap may still be full of the attack's sessions: a refusal with a JSON error is fine.
      assert.equal(open.status, 429);
    }
  } finally {
    child.send("close");
    if (child.exitCode === null) await once(child, "exit");
  }
});
