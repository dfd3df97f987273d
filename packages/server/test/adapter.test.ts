// The in-memory adapter on its own: rooms both ways, room events, matching rules.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Adapter, InMemoryAdapter, Server } from "volley";

test("rooms ⇄ sids stay in step and emit room events", async () => {
  const io = new Server();
  const adapter = io.of("/unit").adapter;
  assert.ok(adapter instanceof Adapter);
  assert.equal(InMemoryAdapter, Adapter);
  const events: string[] = [];
  for (const ev of ["create-room", "delete-room", "join-room", "leave-room"]) {
    adapter.on(ev, (...args: unknown[]) => events.push(`${ev}:${args.join(",")}`));
  }
  adapter.addAll("s1", new Set(["s1", "a"]));
  adapter.addAll("s2", new Set(["a"]));
  adapter.addAll("s2", new Set(["a"])); // idempotent
  assert.deepEqual([...adapter.rooms.get("a")!], ["s1", "s2"]);
  assert.deepEqual([...adapter.socketRooms("s1")!], ["s1", "a"]);
  adapter.del("s1", "a");
  assert.deepEqual([...adapter.rooms.get("a")!], ["s2"]);
  adapter.delAll("s2");
  assert.equal(adapter.rooms.has("a"), false);
  assert.equal(adapter.sids.has("s2"), false);
  adapter.delAll("unknown"); // no-op
  assert.deepEqual(events, [
    "create-room:s1",
    "join-room:s1,s1",
    "create-room:a",
    "join-room:a,s1",
    "join-room:a,s2",
    "leave-room:a,s1",
    "leave-room:a,s2",
    "delete-room:a",
  ]);
  // no sockets are connected: every query is empty
  assert.equal((await adapter.sockets(new Set())).size, 0);
  assert.deepEqual(await adapter.fetchSockets({ rooms: new Set(["s1"]) }), []);
  await io.close();
});
