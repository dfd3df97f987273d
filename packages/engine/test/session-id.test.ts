// Session ids from pooled random bytes: the format, and no id repeated across batches.
import assert from "node:assert/strict";
import { test } from "node:test";
import { generateSessionId } from "../src/session-id.js";

test("ids are 20 characters of base64url (120 bits)", () => {
  for (let i = 0; i < 100; i++) assert.match(generateSessionId(), /^[A-Za-z0-9_-]{20}$/);
});

test("ids never repeat, within and across batches of random bytes", () => {
  // 2,000 ids span several batches of 256: a batch boundary that reused bytes would repeat an id.
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) seen.add(generateSessionId());
  assert.equal(seen.size, 2000);
});

test("consecutive ids share no bytes (each takes its own 15)", () => {
  const a = Buffer.from(generateSessionId(), "base64url");
  const b = Buffer.from(generateSessionId(), "base64url");
  assert.equal(a.length, 15);
  assert.notDeepEqual(a, b);
});
