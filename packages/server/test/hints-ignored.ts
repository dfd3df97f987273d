// The check that socket.io-client ignores close hints (Engine.IO noops): close-hints.test.ts sends every
// form, graceful-close.test.ts the one a graceful close sends.
import assert from "node:assert/strict";
import type { CloseHint } from "@volley/engine";
import type { Socket } from "volley";
import { type Harness, next } from "./helpers.js";

/**
 * Connects socket.io-client to `h`, has the server send `hints` on that connection, and checks the client
 * noticed none: no error, no disconnect, no event, and an acknowledged emit still answered.
 */
export async function assertHintsIgnored(h: Harness, hints: CloseHint[]): Promise<void> {
  const joined = next<[Socket]>(h.io, "connection");
  const client = h.client();
  await next(client, "connect");
  const [socket] = await joined;
  socket.on("hello", (ack: (v: string) => void) => ack("hi"));
  const seen: unknown[] = [];
  client.on("connect_error", (e) => seen.push(e));
  client.io.on("error", (e) => seen.push(e));
  client.on("disconnect", (r) => seen.push(r));
  client.onAny((...args) => seen.push(args));
  for (const hint of hints) socket.client._advise(hint);
  assert.equal(await client.timeout(5_000).emitWithAck("hello"), "hi");
  assert.deepEqual(seen, []);
  assert.equal(client.connected, true);
}
