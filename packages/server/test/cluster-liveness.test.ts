// The transport-independent parts of a cluster node, on mocked timers and an injected clock:
// liveness (heartbeats, the transport's probe, departures), requests that time out with what they
// have, and the bounded outage buffer.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, mock, test } from "node:test";
import { Liveness } from "../src/cluster/liveness.js";
import { MessageType } from "../src/cluster/messages.js";
import { resolveClusterOptions } from "../src/cluster/options.js";
import { OutageBuffer } from "../src/cluster/outage-buffer.js";
import { ClusterRequests } from "../src/cluster/requests.js";

let clock = 0;
beforeEach(() => {
  clock = 0;
  mock.timers.enable({ apis: ["setInterval", "setTimeout"] });
});
afterEach(() => mock.timers.reset());

function advance(ms: number): void {
  clock += ms;
  mock.timers.tick(ms);
}

/** Lets settled promises run their callbacks. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe("liveness", () => {
  test("a silent node is gone after heartbeatTimeout; heartbeats go out every heartbeatInterval", () => {
    const gone: string[] = [];
    let heartbeats = 0;
    const liveness = new Liveness(resolveClusterOptions({ now: () => clock }), {
      heartbeat: () => heartbeats++,
      probe: () => undefined,
      available: () => true,
      gone: (uid) => gone.push(uid),
      report: (err) => assert.fail(String(err)),
    });
    liveness.start();
    liveness.seen("a");
    liveness.seen("b");
    advance(5000);
    liveness.seen("a");
    assert.equal(heartbeats, 1);
    // t = 10 s: b has been silent for exactly heartbeatTimeout, not more.
    advance(5000);
    assert.deepEqual(gone, []);
    // t = 15 s: b silent for 15 s is gone; a, heard at 5 s, is not.
    advance(5000);
    assert.deepEqual(gone, ["b"]);
    assert.deepEqual([...liveness.uids()], ["a"]);
    liveness.stop();
  });

  test("the transport's probe drops a node within livenessInterval, one probe at a time; waiters wake", async () => {
    const gone: string[] = [];
    let probes = 0;
    let answer: ((gone: string[]) => void) | undefined;
    const liveness = new Liveness(resolveClusterOptions({ now: () => clock }), {
      heartbeat: () => {},
      probe: () => {
        probes++;
        return new Promise((resolve) => (answer = resolve));
      },
      available: () => true,
      gone: (uid) => gone.push(uid),
      report: (err) => assert.fail(String(err)),
    });
    liveness.start();
    liveness.seen("a");
    liveness.seen("b");
    let woken = false;
    liveness.waitForGone("b", 60_000).then(() => (woken = true));
    advance(500);
    advance(500);
    assert.equal(probes, 1, "no second probe while one is pending");
    answer!(["b"]);
    await flush();
    assert.deepEqual(gone, ["b"]);
    assert.equal(woken, true);
    assert.equal(liveness.size, 1);
    liveness.stop();
  });
});

describe("requests", () => {
  test("a timeout resolves with the error naming the silent nodes; the answers that came are kept", async () => {
    const requests = new ClusterRequests("me");
    const answers: unknown[] = [];
    let id = "";
    const done = requests.collect(
      new Set(["a", "b", "c"]),
      5000,
      (requestId) => {
        id = requestId;
        return Promise.resolve();
      },
      (msg) => answers.push(msg.uid),
    );
    requests.response({
      type: MessageType.SERVER_SIDE_EMIT_RESPONSE,
      uid: "a",
      nsp: "/",
      requestId: id,
      data: 1,
    });
    requests.nodeGone("c");
    advance(5000);
    const err = await done;
    assert.equal(err?.code, "REQUEST_TIMEOUT");
    assert.deepEqual(err?.missingNodes, ["b"]);
    assert.match(err!.message, /2 of 3 nodes answered; no answer from b/);
    assert.deepEqual(answers, ["a"]);
  });

  test("a node gone before answering ends the wait at once", async () => {
    const requests = new ClusterRequests("me");
    const done = requests.collect(
      new Set(["a"]),
      5000,
      () => Promise.resolve(),
      () => {},
    );
    requests.nodeGone("a");
    assert.equal(await done, undefined);
  });
});

describe("outage buffer", () => {
  test("bounded by count and bytes; the first overflow is reported once, the total on take", () => {
    const buffer = new OutageBuffer(2, 10);
    assert.equal(buffer.add(undefined, Buffer.alloc(4)), undefined);
    // 4 + 7 > 10 bytes: refused, reported.
    const first = buffer.add("r", Buffer.alloc(7));
    assert.equal(first?.code, "BROADCASTS_LOST");
    assert.match(first!.message, /outageBufferMaxPackets 2, outageBufferMaxBytes 10/);
    assert.equal(buffer.add(42, Buffer.alloc(6)), undefined);
    // Count reached: refused, not reported again.
    assert.equal(buffer.add(undefined, Buffer.alloc(1)), undefined);
    const { entries, lost } = buffer.take();
    assert.deepEqual(
      entries.map((e) => [e.room, e.frame.length]),
      [
        [undefined, 4],
        [42, 6],
      ],
    );
    assert.equal(lost, 2);
    assert.equal(OutageBuffer.lostError(lost, "test")?.lost, 2);
    assert.equal(OutageBuffer.lostError(0, "test"), undefined);
    // A new outage reports again.
    buffer.add(undefined, Buffer.alloc(5));
    buffer.add(undefined, Buffer.alloc(5));
    assert.equal(buffer.add(undefined, Buffer.alloc(1))?.code, "BROADCASTS_LOST");
  });
});
