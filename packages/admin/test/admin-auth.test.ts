// The admin view refuses to start without credentials, refuses wrong ones with real clients, limits
// failed logins per address, and lets the right operator in.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import { attachAdmin, hashPassword } from "@volley/admin";
import { Server } from "volley";
import { CHEAP, next, PASSWORD, setup, USER } from "./harness.ts";

test("attachAdmin refuses to start without credentials, with a clear error", () => {
  const io = new Server(createServer());
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{}, /option username is required \(the admin view has no default credentials\)/],
    [{ username: "" }, /option username is required/],
    [{ username: "op" }, /exactly one of the options password and passwordHash/],
    [{ username: "op", password: "longenough", passwordHash: "x" }, /exactly one of/],
    [{ username: "op", password: "short" }, /at least 8 characters/],
    [{ username: "op", passwordHash: "scrypt$3$8$1$AAAA$AAAA" }, /output of hashPassword/],
    [{ username: "op", password: "longenough", path: "/" }, /must not be "\/"/],
    [{ username: "op", password: "longenough", path: "/socket.io/admin" }, /must not .* lie under/],
    [{ username: "op", password: "longenough", path: "no-slash" }, /option path must start with "\/"/],
    [{ username: "op", password: "longenough", namespace: "/" }, /option namespace must not be "\/"/],
    [{ username: "op", password: "longenough", updateInterval: 0 }, /updateInterval must be a positive/],
  ];
  for (const [options, message] of cases) {
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong options
    assert.throws(() => attachAdmin(io, options as any), message, JSON.stringify(options));
  }
  assert.throws(
    () => attachAdmin(new Server(), { username: "op", password: "longenough" }),
    /attach the Volley server to an http server first/,
  );
  // Nothing was left behind by the refusals.
  assert.deepEqual(
    io.namespaces().map((n) => n.name),
    ["/"],
  );
});

test("wrong credentials are refused; the right ones get in", async () => {
  const h = await setup({ maxFailedLogins: 10 });
  try {
    const refusals: string[] = [];
    h.admin.on("loginRefused", ({ reason }) => refusals.push(reason));
    for (const auth of [
      {},
      { username: USER },
      { username: USER, password: "wrong password" },
      { username: "someone", password: PASSWORD },
      { username: USER, password: 12345678 },
    ]) {
      const err = await next<Error>(h.operator(auth), "connect_error");
      assert.equal(err.message, "invalid credentials", JSON.stringify(auth));
    }
    assert.equal(refusals.length, 5);

    const logins: string[] = [];
    h.admin.on("login", ({ operator }) => logins.push(operator));
    const operator = h.operator();
    const hello = await next<{ operator: string; history: unknown[] }>(operator, "hello");
    assert.equal(hello.operator, USER);
    assert.ok(Array.isArray(hello.history));
    assert.ok(operator.connected);
    assert.deepEqual(logins, [USER]);
    // Pushed at once after login: the namespaces, without the admin namespace itself.
    const snapshot = await next<{ namespaces: Array<{ name: string }>; operators: number }>(
      operator,
      "snapshot",
    );
    assert.deepEqual(
      snapshot.namespaces.map((n) => n.name),
      ["/"],
    );
    assert.equal(snapshot.operators, 1);
  } finally {
    await h.cleanup();
  }
});

test("a passwordHash from hashPassword is accepted and the password it hashes gets in", async () => {
  const passwordHash = await hashPassword("another secret", CHEAP);
  assert.match(passwordHash, /^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  const h = await setup({ password: undefined, passwordHash });
  try {
    const wrong = await next<Error>(h.operator({ username: USER, password: PASSWORD }), "connect_error");
    assert.equal(wrong.message, "invalid credentials");
    const right = h.operator({ username: USER, password: "another secret" });
    await next(right, "connect");
    assert.ok(right.connected);
  } finally {
    await h.cleanup();
  }
});

test("failed logins are limited per address, until the window has passed", async () => {
  let now = 1_000_000;
  const h = await setup({ maxFailedLogins: 2, failedLoginWindow: 60_000, now: () => now });
  try {
    for (let i = 0; i < 2; i++) {
      const err = await next<Error>(h.operator({ username: USER, password: "guess" }), "connect_error");
      assert.equal(err.message, "invalid credentials");
    }
    // Even the right password is not checked now.
    const limited = await next<Error & { data?: { retryAfter: number } }>(h.operator(), "connect_error");
    assert.equal(limited.message, "too many failed logins");
    assert.equal(limited.data?.retryAfter, 60);

    now += 59_000;
    const still = await next<Error & { data?: { retryAfter: number } }>(h.operator(), "connect_error");
    assert.equal(still.message, "too many failed logins");
    assert.equal(still.data?.retryAfter, 1);

    now += 1_000;
    const operator = h.operator();
    await next(operator, "connect");
    assert.ok(operator.connected);
    // A success clears the count: two more failures are allowed again.
    const again = await next<Error>(h.operator({ username: USER, password: "guess" }), "connect_error");
    assert.equal(again.message, "invalid credentials");
  } finally {
    await h.cleanup();
  }
});
