// The shared timer list behind heartbeats, driven by mock.timers.
import assert from "node:assert/strict";
import { type TestContext, test } from "node:test";
import type { Clock } from "../src/clock.js";
import { type TimerEntry, TimerList } from "../src/timer-list.js";

interface Entry extends TimerEntry {
  name: string;
}

function entry(name: string): Entry {
  return { name, timerPrev: undefined, timerNext: undefined, timerDeadline: 0 };
}

/** mock.timers for setTimeout and Date, and a clock on them that counts its live timers. */
function mockClock(t: TestContext): Clock & { live: number } {
  t.mock.timers.enable({ apis: ["setTimeout", "Date"] });
  const clock = {
    live: 0,
    now: () => Date.now(),
    setTimeout<A>(callback: (arg: A) => void, ms: number, arg: A): unknown {
      clock.live++;
      return setTimeout(
        (a: A) => {
          clock.live--;
          callback(a);
        },
        ms,
        arg,
      );
    },
    clearTimeout(handle: unknown): void {
      clock.live--;
      clearTimeout(handle as NodeJS.Timeout);
    },
  };
  return clock;
}

test("entries expire in order, each `delay` after it joined, on one clock timer", (t) => {
  const clock = mockClock(t);
  const expired: string[] = [];
  const list = new TimerList<Entry>(100, clock, (e) => expired.push(e.name));
  list.add(entry("a"));
  t.mock.timers.tick(30);
  list.add(entry("b"));
  list.add(entry("c"));
  assert.equal(clock.live, 1);
  assert.equal(list.length, 3);
  t.mock.timers.tick(69);
  assert.deepEqual(expired, []);
  t.mock.timers.tick(1);
  assert.deepEqual(expired, ["a"]);
  assert.equal(clock.live, 1, "re-armed for b");
  t.mock.timers.tick(30);
  assert.deepEqual(expired, ["a", "b", "c"]);
  assert.equal(list.length, 0);
  assert.equal(clock.live, 0, "an empty list holds no timer");
});

test("remove takes an entry out from anywhere; the clock timer is cleared when the list empties", (t) => {
  const clock = mockClock(t);
  const expired: string[] = [];
  const list = new TimerList<Entry>(50, clock, (e) => expired.push(e.name));
  const [a, b, c] = [entry("a"), entry("b"), entry("c")];
  list.add(a);
  list.add(b);
  list.add(c);
  list.remove(b);
  list.remove(b); // not in the list: nothing happens
  list.remove(a);
  assert.equal(list.length, 1);
  t.mock.timers.tick(50);
  assert.deepEqual(expired, ["c"]);
  list.add(a);
  list.remove(a);
  assert.equal(clock.live, 0);
  t.mock.timers.tick(1000);
  assert.deepEqual(expired, ["c"]);
});

test("an entry re-added from onExpire waits a full delay again; clear() empties the list", (t) => {
  const clock = mockClock(t);
  let count = 0;
  const e = entry("a");
  const list: TimerList<Entry> = new TimerList<Entry>(10, clock, (x) => {
    count++;
    list.add(x);
  });
  list.add(e);
  t.mock.timers.tick(10);
  t.mock.timers.tick(5);
  assert.equal(count, 1);
  t.mock.timers.tick(5);
  assert.equal(count, 2);
  list.clear();
  assert.equal(list.length, 0);
  assert.equal(clock.live, 0);
});

test("the clock option is checked: a value without now/setTimeout/clearTimeout is a TypeError", async () => {
  const { EngineServer } = await import("@volley/engine");
  assert.throws(() => new EngineServer({ clock: {} as never }), {
    name: "TypeError",
    message: /option clock must have now\(\), setTimeout\(\) and clearTimeout\(\)/,
  });
  assert.throws(() => new EngineServer({ pingInterval: -1 }), /option pingInterval/);
});
