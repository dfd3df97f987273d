// AddressSet: membership of addresses and CIDR ranges, remembered answers included.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AddressSet } from "../src/client-address.js";

test("addresses and ranges, asked again and again, answer the same", () => {
  const set = new AddressSet(["127.0.0.0/8", "::1", "10.1.2.3"], "exemptAddresses");
  for (let round = 0; round < 3; round++) {
    assert.equal(set.has("127.0.0.1"), true);
    assert.equal(set.has("127.255.0.9"), true);
    assert.equal(set.has("::1"), true);
    assert.equal(set.has("10.1.2.3"), true);
    assert.equal(set.has("10.1.2.4"), false);
    assert.equal(set.has("not an address"), false);
    assert.equal(set.has(""), false);
  }
});

test("past the remembered answers' limit, answers stay right", () => {
  const set = new AddressSet(["10.0.0.0/16"], "exemptAddresses");
  // 3 × 4,096 distinct addresses: the memory starts over several times.
  for (let i = 0; i < 3 * 4096; i++) {
    const inside = `10.0.${(i >> 8) & 255}.${i & 255}`;
    const outside = `10.1.${(i >> 8) & 255}.${i & 255}`;
    assert.equal(set.has(inside), true, inside);
    assert.equal(set.has(outside), false, outside);
  }
});

test("an empty set holds nothing", () => {
  assert.equal(new AddressSet([], "trustedProxies").has("127.0.0.1"), false);
});
