// The login limiter on its own (the admin-auth tests drive it through real clients): per-address
// failures in a window, attempts counted as failed until settled, the cap on checks at once, and the
// bounded table of addresses.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LoginLimiter } from "../src/login-limiter.ts";

function limiter(overrides: Partial<ConstructorParameters<typeof LoginLimiter>[0]> = {}) {
  let now = 0;
  const l = new LoginLimiter({
    maxFailures: 2,
    window: 1000,
    maxAddresses: 3,
    maxConcurrent: 2,
    now: () => now,
    ...overrides,
  });
  return { l, advance: (ms: number) => (now += ms) };
}

test("an attempt counts as failed until settled: parallel attempts cannot pass the limit", () => {
  const { l } = limiter({ maxConcurrent: 10 });
  assert.equal(l.begin("a"), undefined);
  assert.equal(l.begin("a"), undefined);
  // Two attempts in flight from "a": a third is refused before either is settled.
  assert.deepEqual(l.begin("a"), { reason: "too many failed logins", retryAfter: 1000 });
  // Another address is not affected.
  assert.equal(l.begin("b"), undefined);
});

test("a success clears the address; failures expire with the window", () => {
  const { l, advance } = limiter();
  assert.equal(l.begin("a"), undefined);
  l.settle("a", false);
  assert.equal(l.begin("a"), undefined);
  l.settle("a", true);
  assert.equal(l.size, 0);

  for (let i = 0; i < 2; i++) {
    assert.equal(l.begin("a"), undefined);
    l.settle("a", false);
  }
  advance(400);
  assert.deepEqual(l.begin("a"), { reason: "too many failed logins", retryAfter: 600 });
  advance(600);
  assert.equal(l.begin("a"), undefined);
  l.settle("a", false);
});

test("at most maxConcurrent checks at once, whatever the addresses", () => {
  const { l } = limiter({ maxConcurrent: 2 });
  assert.equal(l.begin("a"), undefined);
  assert.equal(l.begin("b"), undefined);
  assert.deepEqual(l.begin("c"), { reason: "too many logins at once", retryAfter: 0 });
  assert.equal(l.inProgress, 2);
  l.settle("a", false);
  assert.equal(l.begin("c"), undefined);
  assert.equal(l.inProgress, 2);
  // The refused attempt of "c" did not count as a failure: only the one that ran.
  l.settle("c", false);
  assert.equal(l.begin("c"), undefined);
  l.settle("c", false);
  assert.equal(l.begin("c")?.reason, "too many failed logins");
});

test("the table of addresses is bounded: the one tracked longest is forgotten first", () => {
  const { l } = limiter({ maxAddresses: 3, maxFailures: 1, maxConcurrent: 100 });
  for (const address of ["a", "b", "c", "d"]) {
    assert.equal(l.begin(address), undefined);
    l.settle(address, false);
  }
  assert.equal(l.size, 3);
  // "a" was forgotten: it may try again (and "b", now the oldest, makes room for it); "d" is still limited.
  assert.equal(l.begin("a"), undefined);
  assert.equal(l.begin("d")?.reason, "too many failed logins");
  assert.equal(l.size, 3);
});
