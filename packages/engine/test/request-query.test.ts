// The request-query scanner: the same answers as URLSearchParams for the engine's parameters.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { test } from "node:test";
import { type EngineQuery, pathnameOf, queryOf } from "../src/request-query.js";

const KEYS = ["transport", "sid", "EIO", "b64", "j"] as const;

function request(url: string | undefined): IncomingMessage {
  return { url } as IncomingMessage;
}

/** What URLSearchParams answers for the same URL: the reference. */
function reference(url: string): EngineQuery {
  const q = url.indexOf("?");
  const params = new URLSearchParams(q === -1 ? "" : url.slice(q + 1));
  return {
    transport: params.get("transport"),
    sid: params.get("sid"),
    EIO: params.get("EIO"),
    b64: params.get("b64"),
    j: params.get("j"),
  };
}

test("reads the parameters of an ordinary polling request", () => {
  const query = queryOf(request("/socket.io/?EIO=4&transport=polling&t=PZx1&sid=AbC-d_e0123456789xyz"));
  assert.deepEqual(query, {
    transport: "polling",
    sid: "AbC-d_e0123456789xyz",
    EIO: "4",
    b64: null,
    j: null,
  });
});

test("no query, an empty one, or no url: every parameter is null", () => {
  const none = { transport: null, sid: null, EIO: null, b64: null, j: null };
  assert.deepEqual(queryOf(request("/socket.io/")), none);
  assert.deepEqual(queryOf(request("/socket.io/?")), none);
  assert.deepEqual(queryOf(request(undefined)), none);
});

test("agrees with URLSearchParams on edge cases", () => {
  const urls = [
    "/x?EIO=3&b64&transport=polling",
    "/x?EIO=3&b64=&j=0&transport=polling",
    "/x?sid=first&sid=second",
    "/x?&&sid=a&&",
    "/x?sid",
    "/x?=sid&sid=b",
    "/x?s%69d=encoded-name&sid=plain",
    "/x?sid=a%2Bb+c",
    "/x?sid=%zz%2&transport=%E2%82%AC",
    "/x?sid=%F0%9F%98%80&EIO=%34",
    "/x?transport=polling=extra",
    "/x?SID=upper&Sid=mixed",
    "/x?sid=a#fragment",
    "/x?transport+=space&transport=polling",
    "/x??sid=q",
  ];
  for (const url of urls) assert.deepEqual(queryOf(request(url)), reference(url), url);
});

test("agrees with URLSearchParams on generated queries", () => {
  // A fixed pseudo-random stream (xorshift32), so every run checks the same queries.
  let state = 0x9e3779b9;
  const next = (n: number): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const pieces = [...KEYS, "t", "x", "=", "&", "%", "%2", "%41", "+", "a", "4", "%E2%82%AC", "?", "s%69d"];
  for (let i = 0; i < 5000; i++) {
    let query = "";
    const length = next(12);
    for (let k = 0; k < length; k++) query += pieces[next(pieces.length)];
    const url = `/socket.io/?${query}`;
    assert.deepEqual(queryOf(request(url)), reference(url), url);
  }
});

test("pathnameOf drops the query string", () => {
  assert.equal(pathnameOf(request("/socket.io/?EIO=4")), "/socket.io/");
  assert.equal(pathnameOf(request("/socket.io/")), "/socket.io/");
  assert.equal(pathnameOf(request(undefined)), "/");
});
