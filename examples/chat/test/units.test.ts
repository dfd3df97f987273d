// The demo's pure pieces: name clean-up, the bounded message log, the page's outbox and typing text.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Outbox, randomClientId } from "../src/page/outbox.js";
import { typingText } from "../src/page/typing.js";
import { MessageLog } from "../src/server/message-log.js";
import { userName } from "../src/server/user-name.js";
import type { ChatMessage } from "../src/shared/events.js";

describe("userName", () => {
  test("keeps a clean name, trims and collapses whitespace, cuts to the limit", () => {
    assert.equal(userName("ada", 32), "ada");
    assert.equal(userName("  ada \n lovelace ", 32), "ada lovelace");
    assert.equal(userName("abcdefgh", 4), "abcd");
    assert.equal(userName("😀😀😀", 2), "😀😀");
  });

  test("missing, non-string or empty names become guest-NNNN", () => {
    for (const value of [undefined, null, 42, {}, "", "   ", "\u0000\u0007"]) {
      assert.equal(
        userName(value, 32, () => 0.0042),
        "guest-0042",
      );
    }
  });
});

function message(id: string, room: ChatMessage["room"] = "general"): ChatMessage {
  return { id, room, text: id, at: 1, from: { id: "s", name: "n" } };
}

describe("MessageLog", () => {
  test("keeps the last historyLimit messages per room", () => {
    const log = new MessageLog(2, 100);
    for (const id of ["a", "b", "c"]) log.add(message(id));
    log.add(message("r", "random"));
    assert.deepEqual(
      log.history("general").map((m) => m.id),
      ["b", "c"],
    );
    assert.deepEqual(
      log.history("random").map((m) => m.id),
      ["r"],
    );
    assert.deepEqual(log.history("help"), []);
  });

  test("remembers at most dedupeWindow ids, forgetting the oldest", () => {
    const log = new MessageLog(10, 2);
    for (const id of ["a", "b", "c"]) log.add(message(id));
    assert.equal(log.find("a"), undefined);
    assert.equal(log.find("b")?.id, "b");
    assert.equal(log.find("c")?.id, "c");
  });
});

describe("Outbox", () => {
  test("queued → sent → delivered; ids are stable and unique", () => {
    const outbox = new Outbox("c1");
    const one = outbox.add("general", "one");
    const two = outbox.add("general", "two");
    assert.deepEqual([one.id, two.id], ["c1:1", "c1:2"]);
    assert.deepEqual(
      outbox.queued().map((e) => e.id),
      ["c1:1", "c1:2"],
    );
    outbox.mark(one.id, "sent");
    assert.deepEqual(
      outbox.queued().map((e) => e.id),
      ["c1:2"],
    );
    outbox.mark(one.id, "delivered");
    assert.equal(outbox.has(one.id), false);
    assert.equal(outbox.mark(one.id, "delivered"), undefined);
  });

  test("a dropped connection puts sent messages back in the queue, in order", () => {
    const outbox = new Outbox("c2");
    const a = outbox.add("general", "a");
    const b = outbox.add("general", "b");
    outbox.add("general", "c");
    outbox.mark(a.id, "sent");
    outbox.mark(b.id, "sent");
    assert.deepEqual(
      outbox.requeueSent().map((e) => e.id),
      ["c2:1", "c2:2"],
    );
    assert.deepEqual(
      outbox.queued().map((e) => e.text),
      ["a", "b", "c"],
    );
  });

  test("client ids are 16 hex characters and differ", () => {
    const ids = new Set(Array.from({ length: 20 }, randomClientId));
    assert.equal(ids.size, 20);
    for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
  });
});

describe("typingText", () => {
  test("names one or two people, counts more", () => {
    assert.equal(typingText([]), "");
    assert.equal(typingText(["ann"]), "ann is typing…");
    assert.equal(typingText(["ann", "ben"]), "ann and ben are typing…");
    assert.equal(typingText(["ann", "ben", "cat"]), "3 people are typing…");
  });
});
