// The flush queue: one flush per session per turn, in order, in slices of `sliceMs` with turns between.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Flushable, FlushQueue } from "../src/flush-queue.js";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A clock that only moves when a flush says it took time. */
function fakeClock() {
  const clock = { t: 0, now: () => clock.t };
  return clock;
}

function target(log: number[], id: number, onFlush?: () => void): Flushable {
  return {
    runScheduledFlush() {
      log.push(id);
      onFlush?.();
    },
  };
}

test("everything queued in one turn is flushed in the next immediate, in order", async () => {
  const log: number[] = [];
  const queue = new FlushQueue();
  for (let i = 0; i < 5; i++) queue.add(target(log, i));
  assert.deepEqual(log, []);
  await nextTurn();
  assert.deepEqual(log, [0, 1, 2, 3, 4]);
});

test("a long run of flushes stops after sliceMs and goes on in the next turns", async () => {
  const clock = fakeClock();
  const log: number[] = [];
  // Each flush takes 1 ms; the clock is read after every flush (chunk 1).
  const queue = new FlushQueue({ sliceMs: 10, chunk: 1, now: clock.now });
  for (let i = 0; i < 25; i++) queue.add(target(log, i, () => clock.t++));
  await nextTurn();
  assert.equal(log.length, 10);
  await nextTurn();
  assert.equal(log.length, 20);
  await nextTurn();
  assert.deepEqual(
    log,
    Array.from({ length: 25 }, (_, i) => i),
  );
  // Nothing left: a later add starts a new turn.
  queue.add(target(log, 99));
  await nextTurn();
  assert.equal(log.at(-1), 99);
});

test("the clock is read once per chunk", async () => {
  const clock = fakeClock();
  const log: number[] = [];
  let reads = 0;
  const now = () => {
    reads++;
    return clock.now();
  };
  const queue = new FlushQueue({ sliceMs: 1000, chunk: 32, now });
  for (let i = 0; i < 100; i++) queue.add(target(log, i));
  await nextTurn();
  assert.equal(log.length, 100);
  // One read to start the slice, one after each full chunk that left work (3 of them).
  assert.equal(reads, 4);
});

test("sessions queued during a slice wait for the next turn, after those already waiting", async () => {
  const clock = fakeClock();
  const log: number[] = [];
  const queue = new FlushQueue({ sliceMs: 3, chunk: 1, now: clock.now });
  for (let i = 0; i < 5; i++) {
    queue.add(
      target(log, i, () => {
        clock.t++;
        if (i === 0) queue.add(target(log, 100));
      }),
    );
  }
  await nextTurn();
  assert.deepEqual(log, [0, 1, 2]);
  await nextTurn();
  assert.deepEqual(log, [0, 1, 2, 3, 4]);
  await nextTurn();
  assert.deepEqual(log, [0, 1, 2, 3, 4, 100]);
});

test("a flush that throws does not stop the others", async (t) => {
  const log: number[] = [];
  const queue = new FlushQueue();
  const errors: unknown[] = [];
  // The error escapes to the process, as any listener's would; captured here (before the test runner
  // sees it) to look at it.
  process.setUncaughtExceptionCaptureCallback((err) => errors.push(err));
  t.after(() => process.setUncaughtExceptionCaptureCallback(null));
  queue.add(target(log, 0));
  queue.add(
    target(log, 1, () => {
      throw new Error("listener failed");
    }),
  );
  queue.add(target(log, 2));
  await nextTurn();
  await nextTurn();
  assert.deepEqual(log, [0, 1, 2]);
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /listener failed/);
});

test("runNowOrQueue runs at once until the turn has been busy for sliceMs, then queues", async () => {
  const clock = fakeClock();
  const log: number[] = [];
  const queue = new FlushQueue({ sliceMs: 10, chunk: 1, now: clock.now });
  // Each handshake takes 3 ms: the 4th starts 9 ms into the turn, the 5th at 12 ms waits.
  for (let i = 0; i < 8; i++) queue.runNowOrQueue(target(log, i, () => (clock.t += 3)));
  assert.deepEqual(log, [0, 1, 2, 3]);
  await nextTurn();
  // The queued four go out in the next turn (one slice of 10 ms holds them).
  assert.deepEqual(log, [0, 1, 2, 3, 4, 5, 6, 7]);
  // A new turn: at once again.
  queue.runNowOrQueue(target(log, 8));
  assert.deepEqual(log.at(-1), 8);
});

test("runNowOrQueue keeps first come, first served: while runs wait, a new turn's runs queue behind them", async () => {
  const clock = fakeClock();
  const log: number[] = [];
  const queue = new FlushQueue({ sliceMs: 10, chunk: 1, now: clock.now });
  // 6 of 5 ms: 2 run at once, 4 wait.
  for (let i = 0; i < 6; i++) queue.runNowOrQueue(target(log, i, () => (clock.t += 5)));
  assert.deepEqual(log, [0, 1]);
  // The queue's slice (10 ms) takes 2 or 3 of them: past the slice the rest waits another turn.
  await nextTurn();
  const afterFirstSlice = log.length;
  assert.ok(afterFirstSlice < 6, `${afterFirstSlice} ran`);
  // Arriving now, in a fresh turn: still behind the ones waiting.
  queue.runNowOrQueue(target(log, 6));
  assert.equal(log.length, afterFirstSlice);
  await nextTurn();
  await nextTurn();
  assert.deepEqual(log, [0, 1, 2, 3, 4, 5, 6]);
  // Nothing waits any more: at once again.
  queue.runNowOrQueue(target(log, 7));
  assert.equal(log.at(-1), 7);
});

test("mayRunNow: at most one chunk at once per tick, and never past flushes already queued", async () => {
  const log: number[] = [];
  const queue = new FlushQueue({ chunk: 3 });
  // Nothing queued: three may run now, the fourth of the same tick may not.
  assert.deepEqual(
    [queue.mayRunNow(), queue.mayRunNow(), queue.mayRunNow(), queue.mayRunNow()],
    [true, true, true, false],
  );
  // The count starts again on the next tick.
  await new Promise<void>((resolve) => process.nextTick(resolve));
  assert.equal(queue.mayRunNow(), true);
  // With a flush waiting in the queue, a later one must wait behind it.
  queue.add(target(log, 1));
  assert.equal(queue.mayRunNow(), false);
  await nextTurn();
  assert.deepEqual(log, [1]);
  assert.equal(queue.mayRunNow(), true);
});
