// Reconnection backoff on injected timers: no sleeping, exact delays.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Manager } from "@volley/client";
import { Backoff } from "../src/backoff.js";

describe("Backoff", () => {
  test("doubles from min, capped at max, without jitter", () => {
    const b = new Backoff({ min: 100, max: 1000, jitter: 0 });
    assert.deepEqual(
      Array.from({ length: 6 }, () => b.duration()),
      [100, 200, 400, 800, 1000, 1000],
    );
    b.reset();
    assert.equal(b.duration(), 100);
  });

  test("jitter moves each delay by at most the factor, both ways", () => {
    const down = new Backoff({ min: 1000, max: 10_000, jitter: 0.5, random: () => 0.4 }); // digit 4: down
    assert.equal(down.duration(), 1000 - 400 * 0.5);
    const up = new Backoff({ min: 1000, max: 10_000, jitter: 0.5, random: () => 0.5 }); // digit 5: up
    assert.equal(up.duration(), 1000 + 250);
    const capped = new Backoff({ min: 1000, max: 1100, jitter: 0.5, random: () => 0.99 });
    assert.equal(capped.duration(), 1100);
    for (let i = 0; i < 200; i++) {
      const b = new Backoff({ min: 1000, max: 100_000, jitter: 0.3, random: () => i / 200 });
      const d = b.duration();
      assert.ok(d >= 700 && d <= 1300, `${d} within ±30%`);
    }
  });
});

describe("Manager reconnection schedule (node:test mock timers)", () => {
  // `transports: []` fails every attempt without any I/O, so only the mocked clock drives the test.
  test("delays follow the backoff; attempts count up; reconnect_failed at the limit", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const manager = new Manager("http://127.0.0.1:1", {
      transports: [],
      timeout: false,
      reconnectionDelay: 100,
      reconnectionDelayMax: 500,
      randomizationFactor: 0,
      reconnectionAttempts: 5,
    });
    const log: string[] = [];
    manager.on("error", () => log.push("error"));
    manager.on("reconnect_attempt", (n) => log.push(`attempt ${n}`));
    manager.on("reconnect_error", () => log.push("reconnect_error"));
    manager.on("reconnect_failed", () => log.push("failed"));
    const settle = () => new Promise<void>((resolve) => queueMicrotask(resolve));
    await settle();
    assert.deepEqual(log, ["error"]);
    for (const delay of [100, 200, 400, 500, 500]) {
      log.length = 0;
      t.mock.timers.tick(delay - 1);
      assert.deepEqual(log, [], `nothing before ${delay} ms`);
      t.mock.timers.tick(1);
      await settle();
    }
    // As socket.io-client: the last attempt's failure gives up (`reconnect_failed`) before `reconnect_error`.
    assert.deepEqual(log, ["attempt 5", "error", "failed", "reconnect_error"]);
    manager.disconnect();
  });

  test("jittered delays stay within ±randomizationFactor", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    const manager = new Manager("http://127.0.0.1:1", {
      transports: [],
      timeout: false,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 1000,
      randomizationFactor: 0.5,
      random: () => 0.9, // digit 9: the delay moves up by 0.9 × 0.5 × 1000, capped at max
      reconnectionAttempts: 1,
    });
    const attempts: number[] = [];
    manager.on("reconnect_attempt", (n) => attempts.push(n));
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    t.mock.timers.tick(999);
    assert.deepEqual(attempts, []);
    t.mock.timers.tick(1);
    assert.deepEqual(attempts, [1]);
    manager.disconnect();
  });
});
