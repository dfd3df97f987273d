// Sessions for connection-state recovery, one Redis hash per private session id:
//   owner = uid of the node the socket lives (or lived) on · live = "1" while connected · frame
// A connected socket's session is written when it connects and when its rooms change, and
// refreshed now and then, so that if its node dies (even SIGKILL) another node can still restore
// it. A disconnected socket's session is written with live = "0" and a TTL of
// maxDisconnectionDuration. Writes are conditional on ownership, so a slow node can never
// overwrite a session another node has already restored.
import type { Channels } from "./channels.js";
import { LuaScript } from "./lua-script.js";
import type { RedisClient } from "./redis-client.js";

// KEYS: session. ARGV: owner, live, frame, ttl (ms).
const WRITE = new LuaScript(`
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'live', ARGV[2], 'frame', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`);

// KEYS: session. ARGV: owner. Deletes the session if this node still owns it.
const DROP = new LuaScript(`
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

// KEYS: session. ARGV: a live owner known to be gone ("" = none). Takes (reads and deletes) the
// session unless its socket is still live on a node not known to be gone: then returns
// { owner, "1" } and leaves it.
const TAKE = new LuaScript(`
local v = redis.call('HMGET', KEYS[1], 'owner', 'live', 'frame')
if not v[3] then return false end
if v[2] == '1' and v[1] ~= ARGV[1] then return { v[1], '1' } end
redis.call('DEL', KEYS[1])
return { v[1], v[2], v[3] }
`);

/** What {@link SessionStore.take} found. */
export type TakeResult =
  | { kind: "none" }
  | { kind: "live"; owner: string }
  | { kind: "taken"; owner: string; frame: Buffer };

// Socket.IO private ids are 20 base64url characters here; other servers' may differ, so allow some range.
const PID = /^[A-Za-z0-9_-]{1,64}$/;

/** Whether `pid` (from a client's auth) can name a session key. */
export function isPrivateSessionId(pid: string): boolean {
  return PID.test(pid);
}

export class SessionStore {
  private readonly client: RedisClient;
  private readonly channels: Channels;
  private readonly uid: string;

  constructor(client: RedisClient, channels: Channels, uid: string) {
    this.client = client;
    this.channels = channels;
    this.uid = uid;
  }

  load(): Promise<unknown> {
    return Promise.all([WRITE.load(this.client), DROP.load(this.client), TAKE.load(this.client)]);
  }

  /** Writes a session owned by this node; false when another node owns it now. */
  async write(pid: string, live: boolean, frame: Buffer, ttl: number): Promise<boolean> {
    const reply = await WRITE.run(
      this.client,
      false,
      [this.channels.session(pid)],
      [this.uid, live ? "1" : "0", frame, Math.max(1, Math.ceil(ttl))],
    );
    return reply === 1;
  }

  /** Deletes a session this node owns (the socket left for good). */
  async drop(pid: string): Promise<void> {
    await DROP.run(this.client, false, [this.channels.session(pid)], [this.uid]);
  }

  /** Takes a session out (a session is restored once). `goneOwner` allows taking a live session of a dead node. */
  async take(pid: string, goneOwner = ""): Promise<TakeResult> {
    const reply = await TAKE.run(this.client, true, [this.channels.session(pid)], [goneOwner]);
    if (!Array.isArray(reply)) return { kind: "none" };
    const [owner, live, frame] = reply as Buffer[];
    if (!owner || !live) return { kind: "none" };
    if (!frame) return { kind: "live", owner: owner.toString() };
    return { kind: "taken", owner: owner.toString(), frame };
  }
}
