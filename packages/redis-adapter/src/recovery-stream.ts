// Connection-state recovery in Redis: every logged broadcast is appended to one stream per
// namespace (its stream id is the offset clients hold), bounded by count, bytes and age; sessions
// of disconnected sockets are keys with a TTL. Appending and publishing happen in one script, so the
// order of the stream is the order in which every node receives the broadcasts: a client that
// reconnects anywhere replays exactly what follows its offset.
import type { Channels } from "./channels.js";
import { RedisAdapterError } from "./errors.js";
import { LuaScript } from "./lua-script.js";
import type { RedisClient } from "./redis-client.js";

/** First byte of a published broadcast that was logged: `0x02 <stream id> 0x00 <frame>`. */
export const LOGGED_MARKER = 2;

/**
 * First byte of the marker a read of the stream publishes to the reading node: `0x03 <read number>`.
 * Published in the read's script, it reaches the node after every broadcast published before the
 * read (one subscriber connection delivers in publish order). Cluster frames start with 1.
 */
export const READ_MARKER = 3;

// KEYS: stream, meta. ARGV: channel, frame, maxLen, maxBytes, maxAge (ms), publish command
// (PUBLISH, or SPUBLISH on a Redis Cluster: the channel is in the stream's slot).
// Evicts oldest first, so the last evicted id is the highest ever evicted (`trimmed`).
const APPEND = new LuaScript(`
local id = redis.call('XADD', KEYS[1], '*', 'm', ARGV[2])
local bytes = redis.call('HINCRBY', KEYS[2], 'bytes', string.len(ARGV[2]))
local len = redis.call('XLEN', KEYS[1])
local maxLen = tonumber(ARGV[3])
local maxBytes = tonumber(ARGV[4])
local t = redis.call('TIME')
local oldestAllowed = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[5])
local trimmed = false
for _ = 1, 1000 do
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  if not oldest then break end
  local ms = tonumber(string.match(oldest[1], '^(%d+)'))
  if len <= maxLen and bytes <= maxBytes and ms >= oldestAllowed then break end
  redis.call('XDEL', KEYS[1], oldest[1])
  bytes = bytes - string.len(oldest[2][2] or '')
  len = len - 1
  trimmed = oldest[1]
end
if trimmed then redis.call('HSET', KEYS[2], 'bytes', bytes, 'trimmed', trimmed) end
redis.call(ARGV[6], ARGV[1], string.char(${LOGGED_MARKER}) .. id .. string.char(0) .. ARGV[2])
return id
`);

// KEYS: stream, meta. ARGV: offset, marker channel, marker, publish command. Every entry after the
// offset, or nil when any of them is gone (all or nothing) or the offset was never issued. With the
// entries, the marker is published on the reader's channel (sharded: in the stream's slot).
const RANGE_AFTER = new LuaScript(`
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function le(a, b)
  local ams, aseq = parse(a)
  local bms, bseq = parse(b)
  return ams < bms or (ams == bms and aseq <= bseq)
end
local function read(offset)
  local trimmed = redis.call('HGET', KEYS[2], 'trimmed')
  if trimmed and not le(trimmed, offset) then return false end
  if redis.call('EXISTS', KEYS[1]) == 0 then
    if offset == '0-0' and not trimmed then return {} end
    return false
  end
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  local last = nil
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] end
  end
  if not last or not le(offset, last) then return false end
  return redis.call('XRANGE', KEYS[1], '(' .. offset, '+')
end
local entries = read(ARGV[1])
if entries then redis.call(ARGV[4], ARGV[2], ARGV[3]) end
return entries
`);

// KEYS: stream. The id of the newest entry ever added, "0-0" when there is no stream.
const LAST_ID = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return '0-0' end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then return info[i + 1] end
end
return '0-0'
`);

// Stream ids are "<ms>-<seq>"; 15 digits keep both exact in Lua's doubles.
const STREAM_ID = /^\d{1,15}-\d{1,15}$/;

/** Whether `offset` looks like a stream id (anything else from a client is refused before Redis). */
export function isStreamId(offset: string): boolean {
  return STREAM_ID.test(offset);
}

/**
 * Splits a message of a broadcast channel into its stream id (undefined: not logged) and frame.
 * @throws RedisAdapterError `MALFORMED_MESSAGE` when a logged broadcast carries no valid stream id.
 */
export function splitLogged(raw: Buffer): { offset: string | undefined; frame: Buffer } {
  if (raw[0] !== LOGGED_MARKER) return { offset: undefined, frame: raw };
  const end = raw.indexOf(0, 1);
  const offset = end < 0 ? "" : raw.toString("latin1", 1, end);
  if (!isStreamId(offset))
    throw new RedisAdapterError("MALFORMED_MESSAGE", "logged broadcast without a stream id");
  return { offset, frame: raw.subarray(end + 1) };
}

export interface StreamLimits {
  maxLen: number;
  maxBytes: number;
  /** Entries older than this are useless (= maxDisconnectionDuration), ms. */
  maxAge: number;
}

export class RecoveryStream {
  private readonly client: RedisClient;
  private readonly channels: Channels;
  private readonly limits: StreamLimits;

  private readonly publishCommand: string;

  constructor(client: RedisClient, channels: Channels, limits: StreamLimits, sharded = false) {
    this.publishCommand = sharded ? "SPUBLISH" : "PUBLISH";
    this.client = client;
    this.channels = channels;
    this.limits = limits;
  }

  /** Loads the scripts (call once before the first append, so EVALSHA never misses in order). */
  load(): Promise<unknown> {
    return Promise.all([APPEND.load(this.client), RANGE_AFTER.load(this.client), LAST_ID.load(this.client)]);
  }

  /** Appends `frame` and publishes it on `channel` with its stream id, atomically; resolves with the id. */
  append(channel: string, frame: Buffer): Promise<string> {
    const { maxLen, maxBytes, maxAge } = this.limits;
    return APPEND.run(
      this.client,
      false,
      [this.channels.stream, this.channels.streamMeta],
      [channel, frame, maxLen, maxBytes, maxAge, this.publishCommand],
    ) as Promise<string>;
  }

  /**
   * Entries after `offset` as `[id, frame]`, or null when the stream cannot give all of them. With
   * the entries, `marker` is published on `markerChannel` (in the same script, after the read).
   */
  async after(
    offset: string,
    markerChannel: string,
    marker: Buffer,
  ): Promise<Array<[string, Buffer]> | null> {
    if (!isStreamId(offset)) return null;
    const reply = await RANGE_AFTER.run(
      this.client,
      true,
      [this.channels.stream, this.channels.streamMeta],
      [offset, markerChannel, marker, this.publishCommand],
    );
    if (!Array.isArray(reply)) return null;
    const out: Array<[string, Buffer]> = [];
    for (const entry of reply as Array<[Buffer, Buffer[]]>) {
      const fields = entry[1];
      const frame = fields[1];
      if (fields[0]?.toString() === "m" && frame) out.push([entry[0].toString(), frame]);
    }
    return out;
  }

  /** The newest stream id ("0-0" before the first append). */
  async lastId(): Promise<string> {
    return String(await LAST_ID.run(this.client, false, [this.channels.stream], []));
  }
}

/** Orders two stream ids ("<ms>-<seq>"): negative, zero or positive. */
export function compareStreamIds(a: string, b: string): number {
  const da = a.indexOf("-");
  const db = b.indexOf("-");
  const ms = Number(a.slice(0, da)) - Number(b.slice(0, db));
  return ms !== 0 ? ms : Number(a.slice(da + 1)) - Number(b.slice(db + 1));
}
