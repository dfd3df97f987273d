// Names of the Redis channels and keys of one namespace. Traffic by interest: a node subscribes to
// the channel of each room it has members in, plus one channel for broadcasts to everyone, one for
// cluster requests and one for the responses addressed to it. On a Redis Cluster (sharded pub/sub)
// the names of a namespace carry one hash tag, so its channels and keys live on one shard (the
// recovery script appends to the stream and publishes in one slot) — except the room channels:
// each room has a hash tag of its own, so the traffic of rooms spreads over every master.

import { escapeGlob } from "./own-socket-rooms.js";

export class Channels {
  /** Broadcasts to all sockets, or to several rooms (receivers filter locally). */
  readonly all: string;
  /** Cluster requests and heartbeats: every node of the namespace listens. */
  readonly request: string;
  /** Recovery stream of logged broadcasts. */
  readonly stream: string;
  /** Bookkeeping of the stream: `bytes` kept, `trimmed` = highest id ever evicted. */
  readonly streamMeta: string;
  private readonly prefix: string;
  private readonly roomPrefix: string;
  private readonly sharded: boolean;

  constructor(key: string, nsp: string, sharded = false) {
    this.sharded = sharded;
    if (sharded) {
      const tag = `{${key}#${nsp}}`;
      this.prefix = `${tag}#`;
      this.all = this.prefix;
      this.request = `${tag}-request#`;
      this.roomPrefix = `{${key}#${nsp}#`;
    } else {
      this.prefix = `${key}#${nsp}#`;
      this.all = this.prefix;
      this.request = `${key}-request#${nsp}#`;
      this.roomPrefix = this.prefix;
    }
    this.stream = `${this.prefix}stream`;
    this.streamMeta = `${this.prefix}stream-meta`;
  }

  /** Broadcasts to one room; sharded: in the room's own slot (`{<key>#<nsp>#<room>}`). */
  room(room: string | number): string {
    return this.sharded ? `${this.roomPrefix}${room}}#r#` : `${this.prefix}${room}#`;
  }

  /** Not sharded: the pattern of the room channels of node `uid`'s sockets (ids `<uid>.<random>`). */
  ownSocketRooms(uid: string): string {
    return `${escapeGlob(this.prefix)}${escapeGlob(uid)}.*`;
  }

  /** Responses addressed to the adapter `uid`. */
  response(uid: string): string {
    return `${this.request.slice(0, -1)}${uid}#`;
  }

  /** A disconnected socket's session, by private session id. */
  session(pid: string): string {
    return `${this.prefix}session#${pid}`;
  }

  /** Sharded mode: a key that exists while the node `uid` is alive (short TTL, refreshed). */
  alive(uid: string): string {
    return `${this.prefix}alive#${uid}`;
  }
}
